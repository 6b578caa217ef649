// ONNX import: constant folding of integer shape arithmetic between rounds of ONNX shape inference
// (contract in onnx_import_fold.hpp; operator semantics from the ONNX operator specification).
#include "workloads/onnx_import_fold.hpp"

#include <fmt/format.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace leopard::workloads::onnx_fold {

namespace {

using TP = onnx::TensorProto;
using Dims = std::vector<std::int64_t>;

// An integer or boolean tensor: row-major values as int64, and the ONNX element type it has.
struct IntTensor {
  Dims dims;
  std::vector<std::int64_t> v;
  int type = TP::INT64;
};

bool foldable_type(int type) { return type == TP::INT64 || type == TP::INT32 || type == TP::BOOL; }

// Elements of `dims`, or -1 when negative or above kMaxFoldElements.
std::int64_t elements(const Dims& dims) {
  std::int64_t n = 1;
  for (const auto d : dims) {
    if (d < 0 || (d > 0 && n > kMaxFoldElements / d)) return -1;
    n *= d;
  }
  return n <= kMaxFoldElements ? n : -1;
}

std::optional<IntTensor> from_proto(const TP& t) {
  if (!foldable_type(t.data_type()) || t.data_location() == TP::EXTERNAL) return std::nullopt;
  IntTensor x;
  x.type = t.data_type();
  x.dims.assign(t.dims().begin(), t.dims().end());
  const std::int64_t n = elements(x.dims);
  if (n < 0) return std::nullopt;
  x.v.resize(static_cast<std::size_t>(n));
  const std::size_t width = x.type == TP::INT64 ? 8 : x.type == TP::INT32 ? 4 : 1;
  if (t.has_raw_data()) {
    if (t.raw_data().size() != static_cast<std::size_t>(n) * width) return std::nullopt;
    for (std::int64_t i = 0; i < n; ++i) {
      const char* p = t.raw_data().data() + i * static_cast<std::int64_t>(width);
      if (width == 8) {
        std::memcpy(&x.v[static_cast<std::size_t>(i)], p, 8);
      } else if (width == 4) {
        std::int32_t w = 0;
        std::memcpy(&w, p, 4);
        x.v[static_cast<std::size_t>(i)] = w;
      } else {
        x.v[static_cast<std::size_t>(i)] = *p != 0 ? 1 : 0;
      }
    }
    return x;
  }
  if (x.type == TP::INT64) {
    if (t.int64_data_size() != n) return std::nullopt;
    std::copy(t.int64_data().begin(), t.int64_data().end(), x.v.begin());
  } else {
    if (t.int32_data_size() != n) return std::nullopt;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int32_t w = t.int32_data(static_cast<int>(i));
      x.v[static_cast<std::size_t>(i)] = x.type == TP::BOOL ? (w != 0 ? 1 : 0) : w;
    }
  }
  return x;
}

void to_proto(const IntTensor& x, const std::string& name, TP& t) {
  t.set_name(name);
  t.set_data_type(x.type);
  for (const auto d : x.dims) t.add_dims(d);
  for (const auto v : x.v) {
    if (x.type == TP::INT64) {
      t.add_int64_data(v);
    } else {
      t.add_int32_data(static_cast<std::int32_t>(v));
    }
  }
}

// Values of the given type: int32 wraps like a C++ conversion, bool is 0 / 1.
void normalise(IntTensor& x) {
  for (auto& v : x.v) {
    if (x.type == TP::BOOL) v = v != 0 ? 1 : 0;
    if (x.type == TP::INT32) v = static_cast<std::int32_t>(v);
  }
}

std::int64_t axis_of(std::int64_t axis, std::int64_t rank, bool* ok) {
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) *ok = false;
  return axis;
}

// Multi-index of flat index `i` in `dims` (row-major).
Dims unflatten(std::int64_t i, const Dims& dims) {
  Dims idx(dims.size());
  for (std::size_t a = dims.size(); a-- > 0;) {
    idx[a] = dims[a] > 0 ? i % dims[a] : 0;
    i = dims[a] > 0 ? i / dims[a] : 0;
  }
  return idx;
}

// Flat index in `in` (broadcast to the right-aligned out multi-index `idx`).
std::int64_t broadcast_flat(const Dims& idx, const Dims& in) {
  std::int64_t flat = 0;
  const std::size_t off = idx.size() - in.size();
  for (std::size_t a = 0; a < in.size(); ++a) flat = flat * in[a] + (in[a] == 1 ? 0 : idx[off + a]);
  return flat;
}

// Numpy (multidirectional) broadcast of the dims, nullopt when incompatible.
std::optional<Dims> broadcast_dims(const std::vector<const Dims*>& list) {
  std::size_t rank = 0;
  for (const auto* d : list) rank = std::max(rank, d->size());
  Dims out(rank, 1);
  for (const auto* d : list) {
    const std::size_t off = rank - d->size();
    for (std::size_t a = 0; a < d->size(); ++a) {
      const std::int64_t v = (*d)[a];
      if (v == out[off + a] || v == 1) continue;
      if (out[off + a] != 1) return std::nullopt;
      out[off + a] = v;
    }
  }
  return out;
}

// Elementwise op over broadcast inputs; `f` returns nullopt on overflow or division by zero.
std::optional<IntTensor> elementwise(
    const std::vector<const IntTensor*>& in, int type,
    const std::function<std::optional<std::int64_t>(const std::vector<std::int64_t>&)>& f) {
  std::vector<const Dims*> dims;
  for (const auto* x : in) dims.push_back(&x->dims);
  const auto out_dims = broadcast_dims(dims);
  if (!out_dims) return std::nullopt;
  const std::int64_t n = elements(*out_dims);
  if (n < 0) return std::nullopt;
  IntTensor out;
  out.dims = *out_dims;
  out.type = type;
  out.v.resize(static_cast<std::size_t>(n));
  std::vector<std::int64_t> args(in.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const Dims idx = unflatten(i, out.dims);
    for (std::size_t k = 0; k < in.size(); ++k) {
      args[k] = in[k]->v[static_cast<std::size_t>(broadcast_flat(idx, in[k]->dims))];
    }
    const auto r = f(args);
    if (!r) return std::nullopt;
    out.v[static_cast<std::size_t>(i)] = *r;
  }
  normalise(out);
  return out;
}

// Generic gather along `axis`: out[..., j, ...] = in[..., index(j), ...].
IntTensor take(const IntTensor& x, std::int64_t axis, const std::vector<std::int64_t>& index) {
  IntTensor out;
  out.type = x.type;
  out.dims = x.dims;
  out.dims[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(index.size());
  const std::int64_t n = elements(out.dims);
  out.v.resize(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
  for (std::int64_t i = 0; i < n; ++i) {
    Dims idx = unflatten(i, out.dims);
    idx[static_cast<std::size_t>(axis)] = index[static_cast<std::size_t>(idx[axis])];
    std::int64_t flat = 0;
    for (std::size_t a = 0; a < x.dims.size(); ++a) flat = flat * x.dims[a] + idx[a];
    out.v[static_cast<std::size_t>(i)] = x.v[static_cast<std::size_t>(flat)];
  }
  return out;
}

IntTensor scalar_like(std::int64_t v, int type) {
  IntTensor t;
  t.v = {v};
  t.type = type;
  return t;
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::int64_t int_attr(const onnx::NodeProto& node, const std::string& name, std::int64_t def) {
  const auto* a = attribute(node, name);
  return a != nullptr ? a->i() : def;
}

// Axes from input `pos` (newer opsets) or from the attribute `name` (older ones).
std::optional<std::vector<std::int64_t>> axes_of(const onnx::NodeProto& node,
                                                 const std::vector<const IntTensor*>& in,
                                                 std::size_t pos, const std::string& name) {
  if (in.size() > pos && in[pos] != nullptr) return in[pos]->v;
  if (node.input_size() > static_cast<int>(pos) && !node.input(static_cast<int>(pos)).empty()) {
    return std::nullopt;  // given but unknown
  }
  const auto* a = attribute(node, name);
  if (a == nullptr) return std::vector<std::int64_t>{};
  return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
}

using Result = std::optional<std::vector<IntTensor>>;

Result one(std::optional<IntTensor> x) {
  if (!x) return std::nullopt;
  return std::vector<IntTensor>{std::move(*x)};
}

std::optional<std::int64_t> checked(std::int64_t a, std::int64_t b, char op) {
  std::int64_t r = 0;
  bool overflow = false;
  switch (op) {
    case '+':
      overflow = __builtin_add_overflow(a, b, &r);
      break;
    case '-':
      overflow = __builtin_sub_overflow(a, b, &r);
      break;
    case '*':
      overflow = __builtin_mul_overflow(a, b, &r);
      break;
    default:  // '/': truncating integer division
      if (b == 0 || (a == std::numeric_limits<std::int64_t>::min() && b == -1)) return std::nullopt;
      r = a / b;
  }
  if (overflow) return std::nullopt;
  return r;
}

Result eval_slice(const onnx::NodeProto& node, const std::vector<const IntTensor*>& in, int opset) {
  const IntTensor& x = *in[0];
  std::vector<std::int64_t> starts, ends, axes, steps;
  if (opset >= 10) {
    if (in.size() < 3 || in[1] == nullptr || in[2] == nullptr) return std::nullopt;
    starts = in[1]->v;
    ends = in[2]->v;
    const auto a = axes_of(node, in, 3, "");
    const auto s = axes_of(node, in, 4, "");
    if (!a || !s) return std::nullopt;
    axes = *a;
    steps = *s;
  } else {
    const auto* s = attribute(node, "starts");
    const auto* e = attribute(node, "ends");
    if (s == nullptr || e == nullptr) return std::nullopt;
    starts.assign(s->ints().begin(), s->ints().end());
    ends.assign(e->ints().begin(), e->ints().end());
    if (const auto* a = attribute(node, "axes")) axes.assign(a->ints().begin(), a->ints().end());
  }
  if (axes.empty()) {
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return std::nullopt;
  }
  const auto rank = static_cast<std::int64_t>(x.dims.size());
  IntTensor out = x;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    bool ok = true;
    const std::int64_t axis = axis_of(axes[i], rank, &ok);
    const std::int64_t step = steps[i];
    if (!ok || step == 0) return std::nullopt;
    const std::int64_t dim = out.dims[static_cast<std::size_t>(axis)];
    std::int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    std::int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (ends[i] < -dim && step < 0) e = -1;  // "to the beginning"
    if (step > 0) {
      s = std::clamp<std::int64_t>(s, 0, dim);
      e = std::clamp<std::int64_t>(e, 0, dim);
    } else {
      s = std::clamp<std::int64_t>(s, 0, dim - 1);
      e = std::clamp<std::int64_t>(e, -1, dim - 1);
    }
    std::vector<std::int64_t> index;
    for (std::int64_t j = s; step > 0 ? j < e : j > e; j += step) index.push_back(j);
    out = take(out, axis, index);
  }
  return one(out);
}

Result eval_split(const onnx::NodeProto& node, const std::vector<const IntTensor*>& in, int opset) {
  const IntTensor& x = *in[0];
  bool ok = true;
  const std::int64_t axis =
      axis_of(int_attr(node, "axis", 0), static_cast<std::int64_t>(x.dims.size()), &ok);
  if (!ok) return std::nullopt;
  const std::int64_t dim = x.dims[static_cast<std::size_t>(axis)];
  std::vector<std::int64_t> split;
  if (opset >= 13) {
    const auto s = axes_of(node, in, 1, "");
    if (!s) return std::nullopt;
    split = *s;
  } else if (const auto* a = attribute(node, "split")) {
    split.assign(a->ints().begin(), a->ints().end());
  }
  const auto parts = static_cast<std::int64_t>(node.output_size());
  if (split.empty()) {
    if (parts == 0 || dim % parts != 0) return std::nullopt;
    split.assign(static_cast<std::size_t>(parts), dim / parts);
  }
  if (static_cast<std::int64_t>(split.size()) != parts) return std::nullopt;
  std::vector<IntTensor> out;
  std::int64_t at = 0;
  for (const auto len : split) {
    if (len < 0 || at + len > dim) return std::nullopt;
    std::vector<std::int64_t> index;
    for (std::int64_t j = 0; j < len; ++j) index.push_back(at + j);
    out.push_back(take(x, axis, index));
    at += len;
  }
  return out;
}

Result eval_reshape(const onnx::NodeProto& node, const IntTensor& x, const IntTensor& shape) {
  const bool allow_zero = int_attr(node, "allowzero", 0) != 0;
  Dims dims;
  std::int64_t known = 1;
  int infer_at = -1;
  for (std::size_t i = 0; i < shape.v.size(); ++i) {
    std::int64_t d = shape.v[i];
    if (d == 0 && !allow_zero) {
      if (i >= x.dims.size()) return std::nullopt;
      d = x.dims[i];
    }
    if (d == -1) {
      if (infer_at >= 0) return std::nullopt;
      infer_at = static_cast<int>(i);
      dims.push_back(1);
      continue;
    }
    if (d < 0) return std::nullopt;
    dims.push_back(d);
    known *= d;
  }
  const auto n = static_cast<std::int64_t>(x.v.size());
  if (infer_at >= 0) {
    if (known == 0 || n % known != 0) return std::nullopt;
    dims[static_cast<std::size_t>(infer_at)] = n / known;
  }
  if (elements(dims) != n) return std::nullopt;
  IntTensor out = x;
  out.dims = dims;
  return one(out);
}

Result eval_shape(const onnx::NodeProto& node,
                  const std::function<std::optional<Dims>(const std::string&)>& shape_of) {
  const std::string& op = node.op_type();
  if (node.input_size() < 1) return std::nullopt;
  const auto dims = shape_of(node.input(0));
  if (!dims) return std::nullopt;
  if (op == "Size") return one(scalar_like(elements(*dims), TP::INT64));
  const auto rank = static_cast<std::int64_t>(dims->size());
  std::int64_t start = int_attr(node, "start", 0), end = int_attr(node, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<std::int64_t>(start, 0, rank);
  end = std::clamp<std::int64_t>(end, 0, rank);
  IntTensor out;
  out.v.assign(dims->begin() + start, dims->begin() + std::max(start, end));
  out.dims = {static_cast<std::int64_t>(out.v.size())};
  return one(out);
}

Result eval_constant_of_shape(const onnx::NodeProto& node,
                              const std::vector<const IntTensor*>& in) {
  if (in.empty() || in[0] == nullptr) return std::nullopt;
  IntTensor value = scalar_like(0, TP::FLOAT);
  if (const auto* a = attribute(node, "value")) {
    const auto v = from_proto(a->t());
    if (!v || v->v.size() != 1) return std::nullopt;
    value = *v;
  }
  if (!foldable_type(value.type)) return std::nullopt;
  IntTensor out;
  out.type = value.type;
  out.dims = in[0]->v;
  const std::int64_t n = elements(out.dims);
  if (n < 0) return std::nullopt;
  out.v.assign(static_cast<std::size_t>(n), value.v[0]);
  return one(out);
}

Result eval_gather(const onnx::NodeProto& node, const std::vector<const IntTensor*>& in) {
  const IntTensor& x = *in[0];
  const auto rank = static_cast<std::int64_t>(x.dims.size());
  const auto arg = [&](std::size_t i) -> const IntTensor* {
    return i < in.size() ? in[i] : nullptr;
  };
  const IntTensor* idx = arg(1);
  bool ok = idx != nullptr;
  const std::int64_t axis = axis_of(int_attr(node, "axis", 0), rank, &ok);
  if (!ok) return std::nullopt;
  const std::int64_t dim = x.dims[static_cast<std::size_t>(axis)];
  std::vector<std::int64_t> index;
  for (auto i : idx->v) {
    if (i < 0) i += dim;
    if (i < 0 || i >= dim) return std::nullopt;
    index.push_back(i);
  }
  IntTensor out = take(x, axis, index);
  // Output dims: data[:axis] + indices.dims + data[axis+1:].
  Dims dims(x.dims.begin(), x.dims.begin() + axis);
  dims.insert(dims.end(), idx->dims.begin(), idx->dims.end());
  dims.insert(dims.end(), x.dims.begin() + axis + 1, x.dims.end());
  out.dims = dims;
  return one(out);
}

Result eval_unsqueeze(const onnx::NodeProto& node, const std::vector<const IntTensor*>& in,
                      int opset) {
  const std::string& op = node.op_type();
  const IntTensor& x = *in[0];
  const auto rank = static_cast<std::int64_t>(x.dims.size());
  const auto axes = axes_of(node, in, 1, opset >= 13 ? "" : "axes");
  if (!axes) return std::nullopt;
  IntTensor out = x;
  if (op == "Unsqueeze") {
    const auto out_rank = rank + static_cast<std::int64_t>(axes->size());
    std::set<std::int64_t> at;
    for (const auto a : *axes) {
      bool ok = true;
      if (!at.insert(axis_of(a, out_rank, &ok)).second || !ok) return std::nullopt;
    }
    out.dims.clear();
    std::size_t from = 0;
    for (std::int64_t a = 0; a < out_rank; ++a) {
      if (at.count(a) > 0) {
        out.dims.push_back(1);
      } else {
        if (from >= x.dims.size()) return std::nullopt;
        out.dims.push_back(x.dims[from++]);
      }
    }
  } else {
    std::set<std::int64_t> at;
    for (const auto a : *axes) {
      bool ok = true;
      at.insert(axis_of(a, rank, &ok));
      if (!ok) return std::nullopt;
    }
    out.dims.clear();
    for (std::int64_t a = 0; a < rank; ++a) {
      const std::int64_t d = x.dims[static_cast<std::size_t>(a)];
      if ((at.empty() && d == 1) || at.count(a) > 0) {
        if (d != 1) return std::nullopt;
        continue;
      }
      out.dims.push_back(d);
    }
  }
  return one(out);
}

Result eval_concat(const onnx::NodeProto& node, const std::vector<const IntTensor*>& in) {
  const IntTensor& x = *in[0];
  const auto rank = static_cast<std::int64_t>(x.dims.size());
  bool ok = true;
  const std::int64_t axis = axis_of(int_attr(node, "axis", 0), rank, &ok);
  if (!ok) return std::nullopt;
  // Stack along `axis`: outer blocks, each the concatenation of the inputs' inner blocks.
  std::int64_t outer = 1;
  for (std::int64_t a = 0; a < axis; ++a) outer *= x.dims[static_cast<std::size_t>(a)];
  IntTensor out = x;
  out.dims[static_cast<std::size_t>(axis)] = 0;
  std::vector<std::int64_t> inner;
  for (const auto* t : in) {
    if (t == nullptr || t->dims.size() != x.dims.size()) return std::nullopt;
    for (std::int64_t a = 0; a < rank; ++a) {
      if (a != axis && t->dims[static_cast<std::size_t>(a)] != x.dims[static_cast<std::size_t>(a)])
        return std::nullopt;
    }
    out.dims[static_cast<std::size_t>(axis)] += t->dims[static_cast<std::size_t>(axis)];
    inner.push_back(outer > 0 ? static_cast<std::int64_t>(t->v.size()) / outer : 0);
  }
  if (elements(out.dims) < 0) return std::nullopt;
  out.v.clear();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::size_t k = 0; k < in.size(); ++k) {
      const auto begin = in[k]->v.begin() + o * inner[k];
      out.v.insert(out.v.end(), begin, begin + inner[k]);
    }
  }
  return one(out);
}

Result eval_expand(const std::vector<const IntTensor*>& in) {
  const IntTensor& x = *in[0];
  const auto arg = [&](std::size_t i) -> const IntTensor* {
    return i < in.size() ? in[i] : nullptr;
  };
  if (arg(1) == nullptr) return std::nullopt;
  const Dims& shape = arg(1)->v;
  const auto dims = broadcast_dims({&x.dims, &shape});
  const std::int64_t n = dims ? elements(*dims) : -1;
  if (n < 0) return std::nullopt;
  IntTensor out;
  out.type = x.type;
  out.dims = *dims;
  out.v.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    out.v[static_cast<std::size_t>(i)] =
        x.v[static_cast<std::size_t>(broadcast_flat(unflatten(i, out.dims), x.dims))];
  }
  return one(out);
}

Result eval_range(const std::vector<const IntTensor*>& in) {
  const IntTensor& x = *in[0];
  const auto arg = [&](std::size_t i) -> const IntTensor* {
    return i < in.size() ? in[i] : nullptr;
  };
  if (arg(1) == nullptr || arg(2) == nullptr || x.v.size() != 1 || arg(1)->v.size() != 1 ||
      arg(2)->v.size() != 1 || arg(2)->v[0] == 0) {
    return std::nullopt;
  }
  const std::int64_t start = x.v[0], limit = arg(1)->v[0], delta = arg(2)->v[0];
  IntTensor out;
  out.type = x.type;
  for (std::int64_t v = start; delta > 0 ? v < limit : v > limit; v += delta) {
    if (static_cast<std::int64_t>(out.v.size()) >= kMaxFoldElements) return std::nullopt;
    out.v.push_back(v);
  }
  out.dims = {static_cast<std::int64_t>(out.v.size())};
  return one(out);
}

// Evaluates one node; `in[i]` is nullptr for an absent or unknown input, `shape_of` gives the
// static shape of any tensor (for Shape and Size).
Result evaluate(const onnx::NodeProto& node, const std::vector<const IntTensor*>& in, int opset,
                const std::function<std::optional<Dims>(const std::string&)>& shape_of) {
  const std::string& op = node.op_type();
  if (op == "Shape" || op == "Size") return eval_shape(node, shape_of);
  if (op == "ConstantOfShape") return eval_constant_of_shape(node, in);
  // Every other op needs its first input.
  if (in.empty() || in[0] == nullptr) return std::nullopt;
  const IntTensor& x = *in[0];
  const auto arg = [&](std::size_t i) -> const IntTensor* {
    return i < in.size() ? in[i] : nullptr;
  };
  if (op == "Identity") return one(x);
  if (op == "Cast") {
    IntTensor out = x;
    out.type = static_cast<int>(int_attr(node, "to", 0));
    if (!foldable_type(out.type)) return std::nullopt;
    normalise(out);
    return one(out);
  }
  if (op == "Gather") return eval_gather(node, in);
  if (op == "Unsqueeze" || op == "Squeeze") return eval_unsqueeze(node, in, opset);
  if (op == "Concat") return eval_concat(node, in);
  if (op == "Slice") return eval_slice(node, in, opset);
  if (op == "Split") return eval_split(node, in, opset);
  if (op == "Reshape") {
    if (arg(1) == nullptr) return std::nullopt;
    return eval_reshape(node, x, *arg(1));
  }
  if (op == "Expand") return eval_expand(in);
  if (op == "Range") return eval_range(in);
  if (op == "Not") {
    return one(elementwise({&x}, TP::BOOL,
                           [](const std::vector<std::int64_t>& a) { return a[0] == 0 ? 1 : 0; }));
  }
  if (op == "Where") {
    if (arg(1) == nullptr || arg(2) == nullptr) return std::nullopt;
    return one(elementwise({&x, arg(1), arg(2)}, arg(1)->type,
                           [](const std::vector<std::int64_t>& a) { return a[0] ? a[1] : a[2]; }));
  }
  static const std::map<std::string, char> kBinary = {
      {"Add", '+'},   {"Sub", '-'},  {"Mul", '*'},    {"Div", '/'},
      {"Equal", '='}, {"Less", '<'}, {"Greater", '>'}};
  const auto bin = kBinary.find(op);
  if (bin != kBinary.end() && arg(1) != nullptr) {
    const char c = bin->second;
    const bool compare = c == '=' || c == '<' || c == '>';
    return one(elementwise({&x, arg(1)}, compare ? TP::BOOL : x.type,
                           [c](const std::vector<std::int64_t>& a) -> std::optional<std::int64_t> {
                             if (c == '=') return a[0] == a[1] ? 1 : 0;
                             if (c == '<') return a[0] < a[1] ? 1 : 0;
                             if (c == '>') return a[0] > a[1] ? 1 : 0;
                             return checked(a[0], a[1], c);
                           }));
  }
  return std::nullopt;
}

int opset_of(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return static_cast<int>(o.version());
  }
  return std::numeric_limits<int>::max();
}

std::optional<Dims> static_shape(const onnx::ValueInfoProto& vi) {
  if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return std::nullopt;
  Dims dims;
  for (const auto& d : vi.type().tensor_type().shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) return std::nullopt;
    dims.push_back(d.dim_value());
  }
  return dims;
}

// One folding pass in graph (topological) order. Returns whether a node was folded.
bool fold_once(onnx::ModelProto& model) {
  static const std::set<std::string> kOps = {
      "Identity",  "Cast",    "Shape",          "Size",  "Gather",
      "Unsqueeze", "Squeeze", "Concat",         "Slice", "Split",
      "Reshape",   "Expand",  "Range",          "Add",   "Sub",
      "Mul",       "Div",     "Equal",          "Less",  "Greater",
      "Not",       "Where",   "ConstantOfShape"};
  auto& graph = *model.mutable_graph();
  const int opset = opset_of(model);
  std::unordered_map<std::string, IntTensor> values;
  std::unordered_map<std::string, Dims> shapes;
  for (const auto& t : graph.initializer()) {
    shapes[t.name()] = Dims(t.dims().begin(), t.dims().end());
    if (auto v = from_proto(t)) values[t.name()] = std::move(*v);
  }
  for (const auto* list : {&graph.input(), &graph.value_info(), &graph.output()}) {
    for (const auto& vi : *list) {
      if (auto s = static_shape(vi)) shapes.try_emplace(vi.name(), std::move(*s));
    }
  }
  std::set<std::string> graph_io;
  for (const auto& vi : graph.input()) graph_io.insert(vi.name());
  for (const auto& vi : graph.output()) graph_io.insert(vi.name());
  const auto shape_of = [&](const std::string& name) -> std::optional<Dims> {
    if (const auto it = values.find(name); it != values.end()) return it->second.dims;
    if (const auto it = shapes.find(name); it != shapes.end()) return it->second;
    return std::nullopt;
  };

  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  std::vector<TP> added;
  for (auto& node : *graph.mutable_node()) {
    const bool standard = node.domain().empty() || node.domain() == "ai.onnx";
    if (standard && node.op_type() == "Constant" && node.output_size() == 1) {
      if (const auto* a = attribute(node, "value"); a != nullptr && a->has_t()) {
        if (auto v = from_proto(a->t())) values[node.output(0)] = std::move(*v);
      } else if (const auto* i = attribute(node, "value_int")) {
        values[node.output(0)] = scalar_like(i->i(), TP::INT64);
      } else if (const auto* is = attribute(node, "value_ints")) {
        IntTensor t;
        t.v.assign(is->ints().begin(), is->ints().end());
        t.dims = {static_cast<std::int64_t>(t.v.size())};
        values[node.output(0)] = std::move(t);
      }
    }
    bool folded = false;
    if (standard && kOps.count(node.op_type()) > 0 && node.output_size() > 0) {
      bool outputs_free = true;
      for (const auto& out : node.output()) {
        outputs_free = outputs_free && !out.empty() && graph_io.count(out) == 0;
      }
      std::vector<const IntTensor*> in;
      for (const auto& name : node.input()) {
        const auto it = name.empty() ? values.end() : values.find(name);
        in.push_back(it == values.end() ? nullptr : &it->second);
      }
      Result r;
      if (outputs_free) r = evaluate(node, in, opset, shape_of);
      if (r && static_cast<int>(r->size()) == node.output_size()) {
        for (int i = 0; i < node.output_size(); ++i) {
          TP t;
          to_proto((*r)[static_cast<std::size_t>(i)], node.output(i), t);
          added.push_back(std::move(t));
          values[node.output(i)] = std::move((*r)[static_cast<std::size_t>(i)]);
        }
        folded = true;
      }
    }
    if (!folded) *kept.Add() = std::move(node);
  }
  graph.mutable_node()->Swap(&kept);  // the nodes were moved into `kept`
  if (added.empty()) return false;
  for (auto& t : added) *graph.add_initializer() = std::move(t);
  return true;
}

// ONNX shape inference gives a Reshape, Expand or ConstantOfShape whose shape input has a known
// length n but unknown values an output of rank n, built dimension by dimension. A crafted file
// (a constant of 1.8e18 fed to ConstantOfShape, then to Expand) thus makes inference allocate
// without bound. Before each round, every dimension a graph declares and every constant fed to a
// shape-like input must stay at or below kMaxShapeDim (2^21 = 2,097,152: real models' dimensions
// are vocabularies of up to 256k and sequences of up to 1M; a shape vector of 2^21 unknown
// dimensions still fits in about 130 MB). Returns a message naming the tensor, or "".
constexpr std::int64_t kMaxShapeDim = std::int64_t{1} << 21;

std::string oversized_shape(const onnx::ModelProto& model) {
  const auto& graph = model.graph();
  const auto too_big = [](std::int64_t d) { return d > kMaxShapeDim; };
  const auto declared = [&](const onnx::ValueInfoProto& v) -> std::string {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return {};
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      if (d.has_dim_value() && too_big(d.dim_value())) {
        return fmt::format("tensor '{}' declares a dimension of {} (above 2^21)", v.name(),
                           d.dim_value());
      }
    }
    return {};
  };
  for (const auto* list : {&graph.input(), &graph.output(), &graph.value_info()}) {
    for (const auto& v : *list) {
      if (auto m = declared(v); !m.empty()) return m;
    }
  }
  // Constants by output name: Constant nodes' `value` and the initializers.
  std::unordered_map<std::string, const TP*> constants;
  for (const auto& t : graph.initializer()) constants.emplace(t.name(), &t);
  for (const auto& n : graph.node()) {
    if (n.op_type() != "Constant" || n.output_size() != 1) continue;
    for (const auto& a : n.attribute()) {
      if (a.name() == "value" && a.has_t()) constants.emplace(n.output(0), &a.t());
    }
  }
  for (const auto& t : graph.initializer()) {
    for (const auto d : t.dims()) {
      if (too_big(d)) {
        return fmt::format("initializer '{}' has a dimension of {} (above 2^21)", t.name(), d);
      }
    }
  }
  // The inputs that are shapes, repeat counts or range bounds.
  static const std::map<std::string, std::vector<int>> kShapeInputs = {
      {"Reshape", {1}},     {"Expand", {1}}, {"ConstantOfShape", {0}}, {"Tile", {1}},
      {"Range", {0, 1, 2}}, {"Resize", {3}}, {"Upsample", {1}},        {"OneHot", {1}}};
  for (const auto& n : graph.node()) {
    const auto op = kShapeInputs.find(n.op_type());
    if (op == kShapeInputs.end()) continue;
    for (const int i : op->second) {
      if (i >= n.input_size()) continue;
      const auto c = constants.find(n.input(i));
      if (c == constants.end()) continue;
      const auto x = from_proto(*c->second);
      if (!x) continue;
      for (const auto v : x->v) {
        if (too_big(v) || (n.op_type() == "Range" && v < -kMaxShapeDim)) {
          return fmt::format("{} node '{}': input '{}' holds {} (a shape or count above 2^21)",
                             n.op_type(), n.name(), n.input(i), v);
        }
      }
    }
  }
  return {};
}

}  // namespace

std::string infer_and_fold(onnx::ModelProto& model) {
  std::string error;
  for (int round = 0; round < kMaxFoldRounds; ++round) {
    if (round > 0) {
      // Keep only fully static value_info: symbolic entries (the exporter's, or inferred before
      // the last fold) would hide what inference can now fix.
      auto& vi = *model.mutable_graph()->mutable_value_info();
      google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> fixed;
      for (auto& v : vi) {
        if (static_shape(v)) *fixed.Add() = std::move(v);
      }
      vi.Swap(&fixed);
    }
    error.clear();
    if (auto oversized = oversized_shape(model); !oversized.empty()) {
      return "shape inference skipped: " + oversized;
    }
    try {
      onnx::shape_inference::InferShapes(model);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!fold_once(model)) break;
  }
  return error;
}

}  // namespace leopard::workloads::onnx_fold
