// ONNX import, shape arithmetic: constant-folds the small integer subgraphs exporters write to
// compute shapes (PyTorch's expand / repeat_interleave / view write Shape -> Gather -> Concat,
// ConstantOfShape -> Mul -> Equal -> Where chains), so that ONNX shape inference can fix the shapes
// of the Reshape / Expand nodes they feed. Internal to workloads/onnx_import.cpp.
//
// Folded: nodes of the standard domain among Constant, Identity, Cast, Shape, Size, Gather,
// Unsqueeze, Squeeze, Concat, Slice, Split, Reshape, Expand, ConstantOfShape, Range, Add, Sub, Mul,
// Div, Equal, Less, Greater, Not, Where, whose inputs are all known (integer or boolean constants,
// or the static shape of any tensor for Shape and Size) and whose outputs are int32, int64 or bool
// tensors of at most kMaxFoldElements elements. A folded node is replaced by initializers holding
// its outputs; shape inference then runs again, until nothing more folds (kMaxFoldRounds at most).
// Graph inputs are never folded: a symbolic input dim stays symbolic.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace leopard::workloads::onnx_fold {

// Largest tensor folded (elements): shapes have a handful; a 1024 x 1024 mask built from integer
// ops (arange comparisons) still folds into a constant the causal classifier can read.
constexpr std::int64_t kMaxFoldElements = std::int64_t{1} << 20;
// Rounds of (shape inference, folding): each round resolves at least one more level of
// Shape -> ... -> Reshape dependencies; exports need two or three.
constexpr int kMaxFoldRounds = 32;

// Runs shape inference and folding to a fixed point on `model` (modified in place). Returns the
// message of the last failed shape inference ("" when it succeeded).
std::string infer_and_fold(onnx::ModelProto& model);

}  // namespace leopard::workloads::onnx_fold
