// ONNX import: protobuf loading, ONNX shape inference, the attention pattern matcher, the causal
// mask classifier and the derived zoo entry (the recognised patterns are listed in
// onnx_import.hpp).
#include "workloads/onnx_import.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/onnx_import_fold.hpp"

namespace leopard::workloads {

namespace {

// Nodes allowed between the QK^T MatMul and the Softmax (scale, mask Add, Where, casts; the
// PyTorch and HuggingFace exports use one to three).
constexpr int kMaxScoreChain = 8;
// Nodes allowed between the Softmax and the PV MatMul (Cast, Dropout, Identity).
constexpr int kMaxProbChain = 4;
// Nodes visited upstream of one mask operand when looking for a causal source. A causal or padding
// mask is a handful of nodes from its constant or graph input; the bound keeps the search small
// when a "mask" is in fact computed from the whole network.
constexpr int kMaxMaskSearch = 256;
// Consumer edges examined per QK^T MatMul while following its scores chain: the chains are short,
// the bound (with the per-tensor depth memo) keeps a graph that fans out widely from linear cost.
constexpr int kMaxMatchSteps = 4096;
// Largest matrix (last two dims) scanned for a triangular pattern: 2^28 elements, far above a
// 4096 x 4096 causal buffer.
constexpr std::int64_t kMaxMaskElements = std::int64_t{1} << 28;
// Nodes visited upstream of K^T or V when looking for the GQA repetition and the KV-cache Concat
// (PyTorch's repeat_interleave puts about ten between the cache and the MatMul).
constexpr int kMaxKvTrace = 64;
// First byte of a serialised ModelProto: field 1 (ir_version), wire type 0 (varint): (1 << 3) | 0.
constexpr unsigned char kIrVersionTag = 0x08;
// Fused attention operators (onnxruntime contrib ops; ONNX opset 23 Attention) are not unfolded;
// the "no attention found" message names them when the graph has one.
constexpr const char* kFusedAttentionOps[] = {"Attention",
                                              "MultiHeadAttention",
                                              "GroupQueryAttention",
                                              "PackedAttention",
                                              "PackedMultiHeadAttention",
                                              "DecoderAttention",
                                              "DecoderMaskedMultiHeadAttention",
                                              "SparseAttention"};

bool standard_domain(const onnx::NodeProto& node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

std::string node_label(const onnx::NodeProto& node) {
  const std::string name =
      node.name().empty() ? node.output_size() > 0 ? node.output(0) : "?" : node.name();
  return "node '" + name + "' (" + node.op_type() + ")";
}

// One dimension of a tensor shape: a fixed size, or symbolic (`param`) / unknown (value -1).
struct Dim {
  std::int64_t value = -1;
  std::string param;
};
using Shape = std::vector<Dim>;

std::string shape_text(const std::vector<std::int64_t>& dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

// Producers, consumers, constants and shapes of the main graph's tensors.
class GraphIndex {
 public:
  explicit GraphIndex(const onnx::GraphProto& graph) : graph_(graph) {
    for (int i = 0; i < graph.node_size(); ++i) {
      const auto& node = graph.node(i);
      for (const auto& in : node.input()) {
        if (!in.empty()) consumers_[in].push_back(i);
      }
      for (const auto& out : node.output()) {
        if (!out.empty()) producers_[out] = i;
      }
      if (node.op_type() == "Constant" && standard_domain(node) && node.output_size() > 0) {
        constant_nodes_.insert(node.output(0));
        for (const auto& a : node.attribute()) {
          if (a.name() == "value" && a.has_t()) constants_[node.output(0)] = &a.t();
        }
      }
    }
    for (const auto& t : graph.initializer()) constants_[t.name()] = &t;
    for (const auto* list : {&graph.input(), &graph.output(), &graph.value_info()}) {
      for (const auto& vi : *list) {
        if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape()) {
          shapes_[vi.name()] = &vi.type().tensor_type().shape();
        }
      }
    }
  }

  const onnx::GraphProto& graph() const { return graph_; }

  const onnx::NodeProto* producer(const std::string& tensor) const {
    const auto it = producers_.find(tensor);
    return it == producers_.end() ? nullptr : &graph_.node(it->second);
  }

  std::vector<const onnx::NodeProto*> consumers(const std::string& tensor) const {
    std::vector<const onnx::NodeProto*> out;
    const auto it = consumers_.find(tensor);
    if (it == consumers_.end()) return out;
    for (int i : it->second) out.push_back(&graph_.node(i));
    return out;
  }

  // Initializer or Constant-node tensor (nullptr otherwise, and for value_float & co).
  const onnx::TensorProto* constant(const std::string& tensor) const {
    const auto it = constants_.find(tensor);
    return it == constants_.end() ? nullptr : it->second;
  }

  bool is_constant(const std::string& tensor) const {
    return constants_.count(tensor) > 0 || constant_nodes_.count(tensor) > 0;
  }

  // Shape from the initializer or constant, else from the graph's inputs, outputs and value_info
  // (filled by shape inference); nullopt when even the rank is unknown.
  std::optional<Shape> shape(const std::string& tensor) const {
    if (const auto* t = constant(tensor)) {
      Shape s;
      for (const auto d : t->dims()) s.push_back(Dim{d, ""});
      return s;
    }
    const auto it = shapes_.find(tensor);
    if (it == shapes_.end()) return std::nullopt;
    Shape s;
    for (const auto& d : it->second->dim()) {
      s.push_back(d.has_dim_value() ? Dim{d.dim_value(), ""} : Dim{-1, d.dim_param()});
    }
    return s;
  }

  // Number of elements when every dim is fixed.
  std::optional<std::int64_t> elements(const std::string& tensor) const {
    const auto s = shape(tensor);
    if (!s) return std::nullopt;
    std::int64_t n = 1;
    for (const auto& d : *s) {
      if (d.value < 0) return std::nullopt;
      if (d.value > 0 && n > std::numeric_limits<std::int64_t>::max() / d.value) {
        return std::nullopt;
      }
      n *= d.value;
    }
    return n;
  }

 private:
  const onnx::GraphProto& graph_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::unordered_map<std::string, int> producers_;
  std::unordered_map<std::string, const onnx::TensorProto*> constants_;
  std::set<std::string> constant_nodes_;
  std::unordered_map<std::string, const onnx::TensorShapeProto*> shapes_;
};

// Element bit patterns of a constant tensor, good for equality tests only (the triangular-mask
// check): read from raw_data, from the typed field onnx.proto stores the element type in, or from
// an external-data file beside the model.
class ElementBits {
 public:
  static std::optional<ElementBits> of(const onnx::TensorProto& t, std::int64_t count,
                                       const std::filesystem::path& model_dir) {
    ElementBits e;
    e.t_ = &t;
    using T = onnx::TensorProto;
    switch (t.data_type()) {
      case T::BOOL:
      case T::INT8:
      case T::UINT8:
        e.width_ = 1;
        e.typed_ = Typed::kInt32;
        break;
      case T::INT16:
      case T::UINT16:
      case T::FLOAT16:
      case T::BFLOAT16:
        e.width_ = 2;
        e.typed_ = Typed::kInt32;
        break;
      case T::INT32:
        e.width_ = 4;
        e.typed_ = Typed::kInt32;
        break;
      case T::FLOAT:
        e.width_ = 4;
        e.typed_ = Typed::kFloat;
        break;
      case T::UINT32:
        e.width_ = 4;
        e.typed_ = Typed::kUint64;
        break;
      case T::INT64:
        e.width_ = 8;
        e.typed_ = Typed::kInt64;
        break;
      case T::UINT64:
        e.width_ = 8;
        e.typed_ = Typed::kUint64;
        break;
      case T::DOUBLE:
        e.width_ = 8;
        e.typed_ = Typed::kDouble;
        break;
      default:
        return std::nullopt;  // strings, complex: never a mask
    }
    const auto bytes = static_cast<std::size_t>(count) * static_cast<std::size_t>(e.width_);
    if (t.data_location() == T::EXTERNAL) {
      if (!e.read_external(t, bytes, model_dir)) return std::nullopt;
      e.source_ = Source::kExternal;
    } else if (t.has_raw_data()) {
      if (t.raw_data().size() != bytes) return std::nullopt;
      e.source_ = Source::kRaw;
    } else if (e.typed_size() != count) {
      return std::nullopt;
    }
    return e;
  }

  std::uint64_t operator[](std::int64_t i) const {
    if (source_ != Source::kTyped) {
      // Little-endian bytes; equality tests do not depend on the byte order.
      const std::string& raw = source_ == Source::kRaw ? t_->raw_data() : external_;
      std::uint64_t v = 0;
      std::memcpy(&v, raw.data() + i * width_, static_cast<std::size_t>(width_));
      return v;
    }
    switch (typed_) {
      case Typed::kFloat:
        return std::bit_cast<std::uint32_t>(t_->float_data(static_cast<int>(i)));
      case Typed::kDouble:
        return std::bit_cast<std::uint64_t>(t_->double_data(static_cast<int>(i)));
      case Typed::kInt32:
        return static_cast<std::uint32_t>(t_->int32_data(static_cast<int>(i)));
      case Typed::kInt64:
        return static_cast<std::uint64_t>(t_->int64_data(static_cast<int>(i)));
      case Typed::kUint64:
        return t_->uint64_data(static_cast<int>(i));
    }
    return 0;
  }

 private:
  enum class Source { kTyped, kRaw, kExternal };
  enum class Typed { kFloat, kDouble, kInt32, kInt64, kUint64 };

  std::int64_t typed_size() const {
    switch (typed_) {
      case Typed::kFloat:
        return t_->float_data_size();
      case Typed::kDouble:
        return t_->double_data_size();
      case Typed::kInt32:
        return t_->int32_data_size();
      case Typed::kInt64:
        return t_->int64_data_size();
      case Typed::kUint64:
        return t_->uint64_data_size();
    }
    return -1;
  }

  // External data (onnx.proto TensorProto.external_data): `location` relative to the model's
  // folder, optional `offset` and `length` in bytes. Paths leaving the folder are not followed.
  bool read_external(const onnx::TensorProto& t, std::size_t bytes,
                     const std::filesystem::path& model_dir) {
    std::string location;
    std::uint64_t offset = 0;
    for (const auto& kv : t.external_data()) {
      try {
        if (kv.key() == "location") location = kv.value();
        if (kv.key() == "offset") offset = std::stoull(kv.value());
        if (kv.key() == "length" && std::stoull(kv.value()) != bytes) return false;
      } catch (const std::exception&) {
        return false;
      }
    }
    const std::filesystem::path rel(location);
    if (location.empty() || rel.is_absolute()) return false;
    for (const auto& part : rel) {
      if (part == "..") return false;
    }
    std::ifstream in(model_dir / rel, std::ios::binary);
    if (!in || !in.seekg(static_cast<std::streamoff>(offset))) return false;
    external_.resize(bytes);
    return static_cast<bool>(in.read(external_.data(), static_cast<std::streamsize>(bytes)));
  }

  const onnx::TensorProto* t_ = nullptr;
  int width_ = 0;
  Source source_ = Source::kTyped;
  Typed typed_ = Typed::kInt32;
  std::string external_;
};

// True when the first matrix (last two dims [r, c], r, c >= 2) of a constant holds one value at
// every position strictly above the diagonal j > i + o and a different value at every position on
// or below it, for o = 0 (top-left aligned, torch.tril) or o = c - r (bottom-right aligned: the
// queries are the last r of c positions). Covers 0 / -inf (or -1e4, finfo.min) additive masks and
// boolean keep (lower) or drop (upper) masks alike.
bool is_triangular(const onnx::TensorProto& t, const std::filesystem::path& model_dir) {
  const int rank = t.dims_size();
  if (rank < 2) return false;
  std::int64_t count = 1;
  for (const auto d : t.dims()) {
    if (d < 0 || (d > 0 && count > kMaxMaskElements / d)) return false;
    count *= d;
  }
  const std::int64_t r = t.dims(rank - 2);
  const std::int64_t c = t.dims(rank - 1);
  if (r < 2 || c < 2 || count == 0) return false;
  const auto bits = ElementBits::of(t, count, model_dir);
  if (!bits) return false;
  for (const std::int64_t o : {std::int64_t{0}, c - r}) {
    const std::uint64_t upper = (*bits)[c - 1];        // (0, c - 1): above the diagonal
    const std::uint64_t lower = (*bits)[(r - 1) * c];  // (r - 1, 0): on or below it
    if (upper == lower) continue;
    bool ok = true;
    for (std::int64_t i = 0; i < r && ok; ++i) {
      for (std::int64_t j = 0; j < c && ok; ++j) {
        ok = (*bits)[i * c + j] == (j > i + o ? upper : lower);
      }
    }
    if (ok) return true;
    if (c == r) break;  // both alignments are the same
  }
  return false;
}

// A mask operand is causal when a Trilu node or a triangular constant is among the first
// kMaxMaskSearch tensors upstream of it. Constants are classified once (GPT-2's `bias` buffer is
// shared by every layer).
class MaskClassifier {
 public:
  MaskClassifier(const GraphIndex& g, std::filesystem::path model_dir)
      : g_(g), model_dir_(std::move(model_dir)) {}

  bool is_causal(const std::string& mask) {
    std::deque<std::string> queue{mask};
    std::set<std::string> seen{mask};
    for (int visited = 0; !queue.empty() && visited < kMaxMaskSearch; ++visited) {
      const std::string t = queue.front();
      queue.pop_front();
      if (const auto* c = g_.constant(t)) {
        const auto it = triangular_.try_emplace(c, false);
        if (it.second) it.first->second = is_triangular(*c, model_dir_);
        if (it.first->second) return true;
        continue;
      }
      const auto* p = g_.producer(t);
      if (p == nullptr) continue;  // a graph input (padding mask)
      if (p->op_type() == "Trilu" && standard_domain(*p)) return true;
      for (const auto& in : p->input()) {
        if (!in.empty() && seen.insert(in).second) queue.push_back(in);
      }
    }
    return false;
  }

 private:
  const GraphIndex& g_;
  std::filesystem::path model_dir_;
  std::map<const onnx::TensorProto*, bool> triangular_;
};

int input_index(const onnx::NodeProto& node, const std::string& tensor) {
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i) == tensor) return i;
  }
  return -1;
}

// A matched attention pattern after the QK^T MatMul.
struct Match {
  const onnx::NodeProto* pv = nullptr;
  std::vector<std::string> masks;  // mask operands (Add's other input, Where's condition)
};

class PatternMatcher {
 public:
  PatternMatcher(const GraphIndex& g, int opset) : g_(g), opset_(opset) {}

  std::optional<Match> match(const onnx::NodeProto& qk) {
    if (qk.op_type() != "MatMul" || !standard_domain(qk) || qk.input_size() != 2 ||
        qk.output_size() < 1) {
      return std::nullopt;
    }
    // Q and K^T are computed tensors; a weight operand makes it a projection.
    if (g_.is_constant(qk.input(0)) || g_.is_constant(qk.input(1))) return std::nullopt;
    scores_depth_.clear();
    probs_depth_.clear();
    steps_ = kMaxMatchSteps;
    Match m;
    if (follow_scores(qk.output(0), 0, m)) return m;
    return std::nullopt;
  }

 private:
  // False when `tensor` was already followed from this depth or nearer (same outcome), or when the
  // step budget is spent; else records the depth.
  bool first_visit(std::unordered_map<std::string, int>& seen, const std::string& tensor,
                   int depth) {
    const auto [it, fresh] = seen.try_emplace(tensor, depth);
    if (!fresh && it->second <= depth) return false;
    it->second = depth;
    return steps_ > 0;
  }

  bool follow_scores(const std::string& s, int depth, Match& m) {
    if (!first_visit(scores_depth_, s, depth)) return false;
    for (const auto* c : g_.consumers(s)) {
      if (--steps_ < 0) return false;
      if (!standard_domain(*c) || c->output_size() < 1) continue;
      const std::string& op = c->op_type();
      const int pos = input_index(*c, s);
      if (op == "Softmax") {
        if (pos == 0 && softmax_over_last_axis(*c)) {
          if (const auto* pv = follow_probs(c->output(0), 0)) {
            m.pv = pv;
            return true;
          }
        }
        continue;
      }
      if (depth >= kMaxScoreChain) continue;
      bool pass = false;
      std::size_t masks_before = m.masks.size();
      if (op == "Mul" || op == "Div") {
        // scale: S * c, c * S or S / c with c one element
        pass = c->input_size() == 2 && (op == "Mul" || pos == 0) &&
               g_.elements(c->input(1 - pos)) == 1;
      } else if (op == "Add") {
        pass = c->input_size() == 2;
        if (pass) m.masks.push_back(c->input(1 - pos));
      } else if (op == "Where") {
        pass = c->input_size() == 3 && (pos == 1 || pos == 2);
        if (pass) m.masks.push_back(c->input(0));
      } else if (op == "Cast" || op == "Identity") {
        pass = pos == 0;
      }
      if (pass && follow_scores(c->output(0), depth + 1, m)) return true;
      m.masks.resize(masks_before);
    }
    return false;
  }

  const onnx::NodeProto* follow_probs(const std::string& p, int depth) {
    if (!first_visit(probs_depth_, p, depth)) return nullptr;
    for (const auto* c : g_.consumers(p)) {
      if (--steps_ < 0) return nullptr;
      if (!standard_domain(*c) || c->output_size() < 1) continue;
      if (c->op_type() == "MatMul" && c->input_size() == 2 && c->input(0) == p &&
          c->input(1) != p) {
        return c;
      }
      if (depth < kMaxProbChain && c->input(0) == p &&
          (c->op_type() == "Cast" || c->op_type() == "Identity" || c->op_type() == "Dropout")) {
        if (const auto* pv = follow_probs(c->output(0), depth + 1)) return pv;
      }
    }
    return nullptr;
  }

  // Softmax's `axis` defaults to -1 from opset 13, to 1 before (ONNX operator changelog); opset <
  // 13 flattens to 2-D at `axis`, which is the same as the last axis only when axis = rank - 1.
  bool softmax_over_last_axis(const onnx::NodeProto& softmax) const {
    std::int64_t axis = opset_ >= 13 ? -1 : 1;
    for (const auto& a : softmax.attribute()) {
      if (a.name() == "axis") axis = a.i();
    }
    if (axis == -1) return true;
    const auto shape = g_.shape(softmax.input(0));
    if (!shape) return false;
    const auto rank = static_cast<std::int64_t>(shape->size());
    return axis == rank - 1;
  }

  const GraphIndex& g_;
  int opset_;
  // Search state of one match(): nearest depth each tensor was followed from, steps left.
  std::unordered_map<std::string, int> scores_depth_, probs_depth_;
  int steps_ = 0;
};

// The fixed dims of a pattern tensor; symbolic or unknown dims are an InputError naming the file,
// the node and the tensor.
std::vector<std::int64_t> static_dims(const GraphIndex& g, const std::string& tensor,
                                      const onnx::NodeProto& node, const std::string& path,
                                      const std::string& inference_error) {
  const auto shape = g.shape(tensor);
  if (!shape) {
    throw InputError(
        path, 0, tensor,
        "attention at " + node_label(node) + ": the shape of tensor '" + tensor + "' is unknown" +
            (inference_error.empty() ? ""
                                     : " (ONNX shape inference failed: " + inference_error + ")") +
            "; static shapes required: give the graph inputs fixed shapes when exporting");
  }
  std::vector<std::int64_t> dims;
  for (std::size_t i = 0; i < shape->size(); ++i) {
    const Dim& d = (*shape)[i];
    if (d.value <= 0) {
      const std::string what = d.value == 0       ? "is 0"
                               : !d.param.empty() ? "is symbolic ('" + d.param + "')"
                                                  : "is unknown";
      throw InputError(path, 0, tensor,
                       "attention at " + node_label(node) + ": dimension " + std::to_string(i) +
                           " of tensor '" + tensor + "' " + what +
                           "; static shapes required: export with a fixed batch size and "
                           "sequence length (no dynamic axes)");
    }
    dims.push_back(d.value);
  }
  return dims;
}

// What lies between an attention operand (K^T or V) and the K / V projection.
struct KvTrace {
  std::int64_t repeat = 1;  // product of the Expand / Tile repetition factors met
  bool kv_cache = false;    // a Concat of a graph input (the past keys or values) was met
};

// True when `tensor` is a graph input, or is read out of one by a few indexing nodes (a past
// key/value stacked in one input, e.g. GPT-2's layer_past[0]: Gather, Slice, Squeeze, Split,
// Transpose, Reshape, Unsqueeze, Identity, Cast).
bool reads_graph_input(const GraphIndex& g, std::string tensor,
                       const std::set<std::string>& graph_inputs) {
  static const std::set<std::string> kIndexing = {"Gather",    "Slice",    "Squeeze",
                                                  "Split",     "Identity", "Cast",
                                                  "Transpose", "Reshape",  "Unsqueeze"};
  for (int step = 0; step < 8; ++step) {
    if (graph_inputs.count(tensor) > 0) return true;
    const auto* p = g.producer(tensor);
    if (p == nullptr || !standard_domain(*p) || kIndexing.count(p->op_type()) == 0 ||
        p->input_size() < 1 || g.is_constant(p->input(0))) {
      return false;
    }
    tensor = p->input(0);
  }
  return false;
}

// Walks upstream from `tensor` through the nodes exporters put between the K or V projection and
// the attention MatMul (Transpose, Reshape, Unsqueeze, Squeeze, Split, Slice, Gather, Concat,
// casts, a scalar scale), stopping at the first other node (the projection, a bias Add, rotary
// embeddings), a graph input or a constant. Grouped-query attention repeats each K/V head G times
// on that path, either with Expand (HF repeat_kv: Unsqueeze -> Expand -> Reshape; PyTorch 1.13's
// static repeat_interleave: Split -> per slice Unsqueeze -> Expand -> Reshape -> Concat) or with
// Tile; G is the product of their factors, elements out / elements in, along the path of each
// node's first computed input. A Loop on the path (PyTorch's dynamic repeat_interleave) is an
// InputError: its repetition is not known before run time.
KvTrace trace_kv(const GraphIndex& g, const std::string& tensor, const onnx::NodeProto& at,
                 const std::string& path) {
  static const std::set<std::string> kPass = {"Transpose",
                                              "Reshape",
                                              "Unsqueeze",
                                              "Squeeze",
                                              "Split",
                                              "Slice",
                                              "Gather",
                                              "Identity",
                                              "Cast",
                                              "Flatten",
                                              "Concat",
                                              "Expand",
                                              "Tile",
                                              "Mul",
                                              "Div",
                                              "ConcatFromSequence",
                                              "SequenceInsert",
                                              "SplitToSequence"};
  KvTrace out;
  std::string t = tensor;
  std::set<std::string> graph_inputs;
  for (const auto& vi : g.graph().input()) {
    if (!g.is_constant(vi.name())) graph_inputs.insert(vi.name());
  }
  for (int step = 0; step < kMaxKvTrace; ++step) {
    const auto* p = g.producer(t);
    if (p == nullptr || g.is_constant(t) || !standard_domain(*p)) break;
    const std::string& op = p->op_type();
    if (op == "Loop" || op == "Scan") {
      throw InputError(path, 0, t,
                       "attention at " + node_label(at) + ": its K or V heads come through " +
                           node_label(*p) +
                           ", a dynamic repeat_interleave (repeats known only at run time): "
                           "export with a static repeat count (an int) or repeat K and V with "
                           "expand + reshape (HF repeat_kv)");
    }
    if (kPass.count(op) == 0 || p->input_size() < 1) break;
    if (op == "Expand" || op == "Tile") {
      const auto in = g.elements(p->input(0));
      const auto res = g.elements(t);
      if (in && res && *in > 0 && *res % *in == 0) out.repeat *= *res / *in;
    }
    // Next: the first computed input (a Concat with the past keys continues with the new ones).
    std::string next;
    for (const auto& in : p->input()) {
      if (in.empty() || g.is_constant(in)) continue;
      if (op == "Concat" ? reads_graph_input(g, in, graph_inputs) : graph_inputs.count(in) > 0) {
        if (op == "Concat" && p->input_size() >= 2) out.kv_cache = true;
        continue;
      }
      if (next.empty()) next = in;
      if (op != "Concat") break;
    }
    if (next.empty()) break;
    t = next;
  }
  return out;
}

AttentionLayer layer_of(const GraphIndex& g, const onnx::NodeProto& qk, const Match& m,
                        const std::string& path, const std::string& inference_error,
                        MaskClassifier& masks) {
  // First: a Loop on the K or V path explains the unknown shapes better than they do.
  const KvTrace k_trace = trace_kv(g, qk.input(1), qk, path);
  const KvTrace v_trace = trace_kv(g, m.pv->input(1), *m.pv, path);
  const auto q = static_dims(g, qk.input(0), qk, path, inference_error);
  const auto kt = static_dims(g, qk.input(1), qk, path, inference_error);
  const auto v = static_dims(g, m.pv->input(1), *m.pv, path, inference_error);
  const std::string name = qk.name().empty() ? qk.output(0) : qk.name();
  auto bad = [&](const std::string& what) {
    return InputError(path, 0, name,
                      "attention at " + node_label(qk) + ": " + what + " (Q " + shape_text(q) +
                          ", K^T " + shape_text(kt) + ", V " + shape_text(v) + ")");
  };
  const std::size_t r = q.size();
  if (r < 2 || kt.size() != r || v.size() != r) {
    throw bad("expected Q, K^T and V of the same rank, 2 or more");
  }
  const std::int64_t d = q[r - 1];
  if (kt[r - 2] != d) throw bad("Q's head dim differs from K^T's");
  if (v[r - 2] != kt[r - 1]) throw bad("V's length differs from K^T's");
  if (v[r - 1] != d) throw bad("V's head dim differs from Q's (not supported)");
  // Heads: rank 3 [batch * heads, seq, d] read with batch 1; rank >= 4 [batch, h1, ..., seq, d]
  // with heads = h1 x ...; K^T and V may broadcast (size 1) along a head dim.
  // K/V heads: K's and V's own head dims (1 where they broadcast), divided by the repetition
  // traced upstream of them (grouped-query attention).
  std::int64_t heads = 1, k_heads = 1, v_heads = 1;
  for (std::size_t i = r == 3 ? 0 : 1; i + 2 < r; ++i) {
    const std::int64_t n = std::max({q[i], kt[i], v[i]});
    for (const std::int64_t x : {q[i], kt[i], v[i]}) {
      if (x != n && x != 1) throw bad("head dims do not broadcast");
    }
    if (n > std::numeric_limits<int>::max() / heads) throw bad("too many heads");
    heads *= n;
    k_heads *= kt[i];
    v_heads *= v[i];
  }
  if (k_heads % k_trace.repeat != 0 || v_heads % v_trace.repeat != 0) {
    throw bad("K or V is repeated " + std::to_string(k_trace.repeat) + " / " +
              std::to_string(v_trace.repeat) + " times, which does not divide its " +
              std::to_string(k_heads) + " / " + std::to_string(v_heads) + " heads");
  }
  const std::int64_t kv_heads = k_heads / k_trace.repeat;
  if (v_heads / v_trace.repeat != kv_heads) {
    throw bad("K has " + std::to_string(kv_heads) + " heads before repetition but V has " +
              std::to_string(v_heads / v_trace.repeat));
  }
  if (heads % kv_heads != 0) {
    throw bad(std::to_string(kv_heads) + " K/V heads do not divide the " + std::to_string(heads) +
              " query heads");
  }
  if (d > std::numeric_limits<int>::max()) throw bad("head dim too large");
  AttentionLayer layer;
  layer.name = name;
  layer.heads = static_cast<int>(heads);
  layer.head_dim = static_cast<int>(d);
  layer.kv_heads = kv_heads == heads ? 0 : static_cast<int>(kv_heads);
  layer.q_len = q[r - 2];
  layer.k_len = kt[r - 1];
  // Causal: a triangular mask, or a KV cache (a decoder's past keys: one decode step has no mask).
  layer.causal = k_trace.kv_cache || v_trace.kv_cache ||
                 std::any_of(m.masks.begin(), m.masks.end(),
                             [&](const std::string& mask) { return masks.is_causal(mask); });
  return layer;
}

// The ai.onnx opset the model imports (the newest known when it imports none).
int onnx_opset(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return static_cast<int>(o.version());
  }
  return std::numeric_limits<int>::max();
}

onnx::ModelProto load_model(const std::filesystem::path& file) {
  const std::string path = file.string();
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > static_cast<std::uintmax_t>(std::numeric_limits<int>::max())) {
    throw InputError(path, 0, "",
                     "larger than 2 GiB, the protobuf limit: export the weights as external data");
  }
  const std::string bytes = read_text_file(file);
  if (bytes.empty()) throw InputError(path, 0, "", "empty file, expected an ONNX model");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    throw InputError(path, 0, "",
                     "not a valid ONNX model: protobuf parsing failed (truncated or not ONNX)");
  }
  if (!model.has_graph() || model.graph().node_size() == 0) {
    throw InputError(path, 0, "graph",
                     "not an ONNX model: no graph nodes (a ModelProto with a graph was expected)");
  }
  return model;
}

std::string no_attention_message(const onnx::GraphProto& graph) {
  std::string msg =
      "no attention found: no MatMul -> [Mul|Div scale] -> [Add|Where mask] -> "
      "Softmax -> MatMul pattern among the graph's " +
      std::to_string(graph.node_size()) + " nodes";
  for (const auto& node : graph.node()) {
    for (const char* fused : kFusedAttentionOps) {
      if (node.op_type() == fused) {
        return msg + "; fused attention operator " + node_label(node) +
               " is not unfolded: export without onnxruntime fusion";
      }
    }
    if (node.op_type() == "Einsum") return msg + " (Einsum-based attention is not recognised)";
  }
  return msg;
}

// FFN width: the n for which the graph has both a [hidden, n] and an [n, hidden] 2-D weight on a
// MatMul (input 1) or Gemm (input 1, read [n, k] when transB = 1): the MLP's up and down
// projections. The n seen in most pairs wins (ties: the larger); 0 when there is none.
int ffn_width(const GraphIndex& g, int hidden) {
  std::map<std::pair<std::int64_t, std::int64_t>, int> weights;  // (in, out) -> count
  for (const auto& node : g.graph().node()) {
    if (!standard_domain(node) || node.input_size() < 2) continue;
    const bool gemm = node.op_type() == "Gemm";
    if (!gemm && node.op_type() != "MatMul") continue;
    const auto* w = g.constant(node.input(1));
    if (w == nullptr || w->dims_size() != 2) continue;
    bool trans_b = false;
    for (const auto& a : node.attribute()) {
      if (gemm && a.name() == "transB") trans_b = a.i() != 0;
    }
    ++weights[trans_b ? std::pair{w->dims(1), w->dims(0)} : std::pair{w->dims(0), w->dims(1)}];
  }
  int best = 0, best_pairs = 0;
  for (const auto& [io, count] : weights) {
    const auto [in, out] = io;
    if (in != hidden || out == hidden || out > std::numeric_limits<int>::max()) continue;
    const auto down = weights.find({out, hidden});
    if (down == weights.end()) continue;
    const int pairs = std::min(count, down->second);
    if (pairs > best_pairs || (pairs == best_pairs && out > best)) {
      best = static_cast<int>(out);
      best_pairs = pairs;
    }
  }
  return best;
}

struct Extracted {
  std::vector<AttentionLayer> layers;
  int ffn = 0;  // 0: not found
};

Extracted extract(const std::filesystem::path& file, bool want_ffn) {
  const std::string path = file.string();
  onnx::ModelProto model = load_model(file);
  // Shape inference fills value_info for the intermediate tensors (error mode 0: a node it cannot
  // infer is skipped). When it fails outright the declared shapes are used and its message is
  // quoted if a needed shape is then missing.
  // Shape arithmetic (Shape -> Gather -> Concat -> Reshape, the ConstantOfShape / Equal / Where
  // chains of expand) is constant-folded between rounds of inference, so that shapes the exporter
  // computes from static inputs are fixed.
  const std::string inference_error = onnx_fold::infer_and_fold(model);
  const GraphIndex g(model.graph());
  PatternMatcher matcher(g, onnx_opset(model));
  MaskClassifier masks(g, file.parent_path());
  Extracted out;
  for (const auto& node : model.graph().node()) {
    const auto m = matcher.match(node);
    if (!m) continue;
    AttentionLayer layer = layer_of(g, node, *m, path, inference_error, masks);
    layer.index = static_cast<int>(out.layers.size());
    out.layers.push_back(std::move(layer));
  }
  if (out.layers.empty()) throw InputError(path, 0, "", no_attention_message(model.graph()));
  if (want_ffn) {
    const std::int64_t hidden =
        std::int64_t{out.layers.front().heads} * out.layers.front().head_dim;
    if (hidden <= std::numeric_limits<int>::max()) out.ffn = ffn_width(g, static_cast<int>(hidden));
  }
  return out;
}

// `llama` (decoder-only, causal, grouped-query attention) when this build's ModelFamily has it,
// else gpt2, the causal decoder family without extra operators.
ModelFamily gqa_family() {
  try {
    return parse_family("llama", "", "family");
  } catch (const InputError&) {
    return ModelFamily::kGpt2;
  }
}

std::string layer_text(const AttentionLayer& l) {
  return "layer " + std::to_string(l.index) + " (node '" + l.name + "')";
}

// One zoo entry describes every layer: same heads and head dim, self-attention over one sequence
// (q_len == k_len, the same in every layer), one causal flag.
ModelSpec spec_from_layers(const std::vector<AttentionLayer>& layers, int ffn,
                           const std::filesystem::path& file, const std::string& name) {
  const std::string path = file.string();
  const AttentionLayer& first = layers.front();
  for (const auto& l : layers) {
    if (l.heads != first.heads || l.head_dim != first.head_dim) {
      throw InputError(path, 0, l.heads != first.heads ? "heads" : "head_dim",
                       layer_text(l) + " has " + std::to_string(l.heads) + " heads of dim " +
                           std::to_string(l.head_dim) + " but " + layer_text(first) + " has " +
                           std::to_string(first.heads) + " of dim " +
                           std::to_string(first.head_dim) +
                           ": a zoo entry needs the same heads and head dim in every layer "
                           "(`workloads show FILE` lists them)");
    }
    if (l.kv_heads_or_heads() != first.kv_heads_or_heads()) {
      throw InputError(path, 0, "kv_heads",
                       layer_text(l) + " has " + std::to_string(l.kv_heads_or_heads()) +
                           " K/V heads but " + layer_text(first) + " has " +
                           std::to_string(first.kv_heads_or_heads()) +
                           ": a zoo entry has one number of K/V heads");
    }
    if (l.q_len != first.q_len || l.k_len != first.k_len) {
      throw InputError(path, 0, l.q_len != first.q_len ? "q_len" : "k_len",
                       layer_text(l) + " has q_len " + std::to_string(l.q_len) + ", k_len " +
                           std::to_string(l.k_len) + " but " + layer_text(first) + " has " +
                           std::to_string(first.q_len) + ", " + std::to_string(first.k_len) +
                           ": a zoo entry has one sequence length");
    }
    if (l.causal != first.causal) {
      throw InputError(path, 0, "causal",
                       layer_text(l) + " is " + (l.causal ? "" : "not ") + "causal but " +
                           layer_text(first) + " is " + (first.causal ? "" : "not") +
                           ": a zoo entry is causal or not in every layer");
    }
  }
  const std::int64_t hidden = std::int64_t{first.heads} * first.head_dim;
  if (hidden > std::numeric_limits<int>::max() / 4) {
    throw InputError(path, 0, "hidden",
                     "heads x head dim = " + std::to_string(hidden) + " is too large");
  }
  // q_len != k_len: a KV-cache export (a prefill chunk or a decode step against past keys), read
  // as a causal decoder whose sequence is the k_len tokens the keys cover.
  const bool kv_cache = first.q_len != first.k_len;
  const bool causal = first.causal || kv_cache;
  const bool gqa = first.kv_heads_or_heads() != first.heads;
  ModelSpec spec;
  spec.name = name;
  if (spec.name.empty()) spec.name = file.stem().string();
  if (spec.name.empty()) spec.name = "onnx-model";
  // Grouped-query decoder -> llama; other decoders (causal) -> gpt2; encoders -> bert: the families
  // whose graphs have no extra operators.
  spec.family = gqa ? gqa_family() : causal ? ModelFamily::kGpt2 : ModelFamily::kBert;
  spec.kv_heads = first.kv_heads;
  spec.layers = static_cast<int>(layers.size());
  spec.heads = first.heads;
  spec.head_dim = first.head_dim;
  spec.hidden = static_cast<int>(hidden);
  // 4 x hidden: the usual transformer MLP ratio (BERT, GPT-2), used when no weight pair is found.
  spec.ffn = ffn > 0 ? ffn : 4 * spec.hidden;
  spec.max_positions = first.k_len;  // the exported (static) length; longer ones stay allowed
  spec.default_seq_len = first.k_len;
  spec.causal = causal;
  spec.description =
      "imported from ONNX: " + std::to_string(layers.size()) +
      " attention layers found by pattern" +
      (gqa ? ", grouped-query attention (" + std::to_string(first.kv_heads) + " K/V heads)" : "") +
      (kv_cache ? ", KV-cache export (q_len " + std::to_string(first.q_len) + ", k_len " +
                      std::to_string(first.k_len) + ")"
                : "") +
      ", ffn " + (ffn > 0 ? "from the MLP weights" : "assumed 4 x hidden (no MLP weights found)");
  spec.source = "ONNX import of " + file.filename().string();
  validate_model_spec(spec, path);
  return spec;
}

}  // namespace

bool looks_like_onnx(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".onnx") return true;
  std::ifstream in(file, std::ios::binary);
  char first = 0;
  return in.get(first) && static_cast<unsigned char>(first) == kIrVersionTag;
}

std::vector<AttentionLayer> read_onnx_attention(const std::filesystem::path& file) {
  return extract(file, false).layers;
}

OnnxModel import_onnx(const std::filesystem::path& file, const std::string& name) {
  Extracted e = extract(file, true);
  OnnxModel out;
  out.spec = spec_from_layers(e.layers, e.ffn, file, name);
  out.layers = std::move(e.layers);
  return out;
}

}  // namespace leopard::workloads
