// Design-space YAML: parsing, validation through the architecture parameter registry, mixed-radix
// indexing and building designs.
#include "dse/space.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>
#include <sstream>

#include "results/json_text.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/core/table.hpp"
#include "workloads/core/text.hpp"

namespace leopard::dse {

namespace {

constexpr std::int64_t kMaxAxisValues = 1000000;

std::int64_t line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

struct Parser {
  std::string file;
  std::filesystem::path dir;
  // Designs of the axes parsed so far: a range is refused before it is expanded when the space
  // would pass 2^53 designs (no time or memory spent on a hopeless space file).
  mutable double designs_so_far = 1;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& field,
                         const std::string& msg) const {
    throw InputError(file, line_of(node), field, msg);
  }

  std::vector<std::string> string_list(const YAML::Node& node, const std::string& field) const {
    if (!node.IsSequence()) fail(node, field, "expected a list");
    std::vector<std::string> out;
    for (const auto& item : node) {
      if (!item.IsScalar()) fail(item, field, "expected a list of strings");
      out.push_back(item.Scalar());
    }
    return out;
  }

  double number(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, field, "expected a number");
    const auto v = parse_double(node.Scalar());
    if (!v || !std::isfinite(*v))
      fail(node, field, "expected a number, got '" + node.Scalar() + "'");
    return *v;
  }

  void add_value(Axis& axis, const YAML::Node& at, const std::string& text) const {
    models::ParamValue value = models::parse_param(*axis.info, text, file, line_of(at));
    axis.values.push_back(value);
    axis.texts.push_back(models::param_to_string(value));
    // The axis's member of the params JSON object, serialised once here rather than per design.
    const std::string object = results::params_json({{axis.key, axis.texts.back()}});
    axis.json.push_back(object.substr(1, object.size() - 2));
  }

  Axis axis(const std::string& key, const YAML::Node& spec) const {
    Axis axis;
    axis.key = key;
    axis.line = line_of(spec);
    axis.info = &models::find_param(key, file, axis.line);
    const std::string field = "axes." + key;
    YAML::Node list = spec;
    if (spec.IsMap()) {
      for (const auto& kv : spec) {
        const std::string k = kv.first.Scalar();
        if (k != "from" && k != "to" && k != "step" && k != "values") {
          fail(kv.first, field + "." + k,
               "unknown field (an axis is a list, {values: [...]} or {from, to, step})");
        }
      }
      if (spec["values"]) {
        if (spec["from"] || spec["to"] || spec["step"]) {
          fail(spec, field, "give either values or from/to/step, not both");
        }
        list = spec["values"];
      } else {
        range(axis, spec, field);
        return axis;
      }
    }
    if (list.IsNull() || (list.IsSequence() && list.size() == 0)) {
      fail(list, field, "empty axis: give at least one value");
    }
    if (!list.IsSequence()) {
      fail(list, field, "expected a list of values, {values: [...]} or {from, to, step}");
    }
    for (const auto& item : list) {
      if (!item.IsScalar()) fail(item, field, "expected a scalar value");
      add_value(axis, item, item.Scalar());
    }
    check_unique(axis, list, field);
    return axis;
  }

  void range(Axis& axis, const YAML::Node& spec, const std::string& field) const {
    for (const char* k : {"from", "to", "step"}) {
      if (!spec[k]) fail(spec, field + "." + k, "missing (a range needs from, to and step)");
    }
    const auto& info = *axis.info;
    if (info.type != "int" && info.type != "float") {
      fail(spec, field, "a range needs a numeric key; '" + info.key + "' is " + info.type);
    }
    const double from = number(spec["from"], field + ".from");
    const double to = number(spec["to"], field + ".to");
    const double step = number(spec["step"], field + ".step");
    if (!(step > 0))
      fail(spec["step"], field + ".step", fmt::format("step must be > 0, got {}", step));
    if (to < from) {
      fail(spec["to"], field + ".to", fmt::format("to ({}) is below from ({})", to, from));
    }
    const double count = std::floor((to - from) / step + 1e-9) + 1;
    if (count > static_cast<double>(kMaxAxisValues)) {
      fail(spec, field,
           fmt::format("range has {:.0f} values; at most {} per axis", count, kMaxAxisValues));
    }
    if (designs_so_far * count > static_cast<double>(kMaxSpaceSize)) {
      fail(spec, field,
           fmt::format("the space has at least {:.3g} designs; at most 2^53 ({:.3g}) are "
                       "supported (shrink an axis)",
                       designs_so_far * count, static_cast<double>(kMaxSpaceSize)));
    }
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(count); ++i) {
      add_value(axis, spec, format_double(from + static_cast<double>(i) * step, 12));
    }
  }

  void check_unique(const Axis& axis, const YAML::Node& at, const std::string& field) const {
    std::set<std::string> seen;
    for (const auto& t : axis.texts) {
      if (!seen.insert(t).second) fail(at, field, "duplicate value '" + t + "'");
    }
  }
};

std::string hex(std::uint64_t v) { return fmt::format("{:016x}", v); }

}  // namespace

std::uint64_t fnv1a64(std::string_view text, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex64(std::uint64_t value) { return hex(value); }

DesignSpace DesignSpace::load(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  return parse(text, file.string(), file.parent_path());
}

DesignSpace DesignSpace::parse(const std::string& text, const std::string& file,
                               const std::filesystem::path& dir) {
  Parser p{file, dir};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw InputError(file, line_of(root), "", "expected a map (base, axes, ...)");
  DesignSpace s;
  s.file_ = file;
  try {
    for (const auto& kv : root) {
      const std::string k = kv.first.Scalar();
      if (k != "base" && k != "fixed" && k != "axes" && k != "constraints" && k != "objectives" &&
          k != "name" && k != "description") {
        p.fail(kv.first, k,
               "unknown field (expected base, fixed, axes, constraints, objectives, name, "
               "description)");
      }
    }
    // --- base ---
    const YAML::Node base = root["base"];
    if (!base || !base.IsScalar()) p.fail(root, "base", "missing: a preset name or an arch file");
    s.base_name_ = base.Scalar();
    std::string base_ref = s.base_name_;
    const bool is_path = base_ref.find('/') != std::string::npos || base_ref.ends_with(".yaml") ||
                         base_ref.ends_with(".yml");
    if (is_path && std::filesystem::path(base_ref).is_relative())
      base_ref = (dir / base_ref).string();
    try {
      s.base_ = models::load_arch(base_ref);
    } catch (const InputError& e) {
      p.fail(base, "base", e.what());
    }
    if (root["name"]) s.name_ = root["name"].Scalar();

    // --- fixed: keys set on the base for every design, without being axes ---
    if (const YAML::Node fixed = root["fixed"]) {
      if (!fixed.IsMap()) {
        p.fail(fixed, "fixed", "expected a map of dotted architecture keys to one value each");
      }
      std::set<std::string> fixed_keys;
      for (const auto& kv : fixed) {
        const std::string key = kv.first.Scalar();
        const std::string field = "fixed." + key;
        if (!fixed_keys.insert(key).second) p.fail(kv.first, field, "key given twice");
        if (!kv.second.IsScalar()) p.fail(kv.second, field, "expected one value (not a list)");
        try {
          const models::ParamInfo& info = models::find_param(key, file, line_of(kv.first));
          const models::ParamValue value =
              models::parse_param(info, kv.second.Scalar(), file, line_of(kv.second));
          info.set(s.base_, value);
          s.fixed_.emplace_back(key, models::param_to_string(value));
        } catch (const InputError& e) {
          p.fail(e.line() > 0 ? kv.second : kv.first, field, e.message());
        }
      }
    }
    s.base_hash_ = fnv1a64(models::arch_to_yaml(s.base_));

    // --- axes ---
    const YAML::Node axes = root["axes"];
    if (!axes) p.fail(root, "axes", "missing: at least one axis (dotted key -> values)");
    if (!axes.IsMap() || axes.size() == 0) {
      p.fail(axes, "axes",
             "expected a map of dotted architecture keys to values, with at least one");
    }
    std::set<std::string> keys;
    for (const auto& kv : axes) {
      const std::string key = kv.first.Scalar();
      if (!keys.insert(key).second) p.fail(kv.first, "axes." + key, "axis given twice");
      for (const auto& [fixed_key, value] : s.fixed_) {
        if (fixed_key == key) {
          p.fail(kv.first, "axes." + key,
                 "is also fixed (fixed." + key + ": " + value +
                     "): a key is either fixed for every design or an axis, not both");
        }
      }
      s.axes_.push_back(p.axis(key, kv.second));
      p.designs_so_far *= static_cast<double>(s.axes_.back().values.size());
    }

    // --- constraints and objectives ---
    if (root["constraints"]) {
      const YAML::Node cs = root["constraints"];
      if (!cs.IsSequence()) p.fail(cs, "constraints", "expected a list like [\"area_mm2 <= 12\"]");
      for (std::size_t i = 0; i < cs.size(); ++i) {
        const std::string field = fmt::format("constraints[{}]", i);
        if (!cs[i].IsScalar()) p.fail(cs[i], field, "expected a string like \"area_mm2 <= 12\"");
        Constraint c;
        std::string reason;
        if (!parse_constraint(cs[i].Scalar(), c, reason)) p.fail(cs[i], field, reason);
        s.constraints_.push_back(c);
      }
    }
    const YAML::Node objs = root["objectives"];
    if (!objs) p.fail(root, "objectives", "missing: e.g. [latency, energy, area]");
    if (!objs.IsSequence() || objs.size() == 0) {
      p.fail(objs, "objectives", "expected a non-empty list like [latency, energy, area]");
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < objs.size(); ++i) {
      const std::string field = fmt::format("objectives[{}]", i);
      if (!objs[i].IsScalar()) p.fail(objs[i], field, "expected an objective name");
      Objective o;
      std::string reason;
      if (!parse_objective(objs[i].Scalar(), o, reason)) p.fail(objs[i], field, reason);
      if (!seen.insert(o.name).second)
        p.fail(objs[i], field, "objective '" + o.name + "' given twice");
      s.objectives_.push_back(o);
    }
  } catch (const YAML::Exception& e) {
    throw InputError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", e.msg);
  }

  // --- size and strides, with an overflow check ---
  double approx = 1;
  for (const auto& a : s.axes_) approx *= static_cast<double>(a.values.size());
  if (approx > static_cast<double>(kMaxSpaceSize)) {
    throw InputError(file, 0, "axes",
                     fmt::format("the space has about {:.3g} designs; at most 2^53 ({:.3g}) are "
                                 "supported (shrink an axis)",
                                 approx, static_cast<double>(kMaxSpaceSize)));
  }
  s.strides_.assign(s.axes_.size(), 1);
  s.size_ = 1;
  for (std::size_t i = s.axes_.size(); i-- > 0;) {
    s.strides_[i] = s.size_;
    s.size_ *= static_cast<std::int64_t>(s.axes_[i].values.size());
  }

  // --- resolved text (provenance) ---
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!s.name_.empty()) out << YAML::Key << "name" << YAML::Value << s.name_;
  out << YAML::Key << "base" << YAML::Value << s.base_name_;
  if (!s.fixed_.empty()) {  // part of the space's hash: a run fixed otherwise is another run
    out << YAML::Key << "fixed" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : s.fixed_) out << YAML::Key << key << YAML::Value << value;
    out << YAML::EndMap;
  }
  out << YAML::Key << "base_resolved" << YAML::Value << YAML::Load(models::arch_to_yaml(s.base_));
  out << YAML::Key << "axes" << YAML::Value << YAML::BeginMap;
  for (const auto& a : s.axes_) {
    out << YAML::Key << a.key << YAML::Value << YAML::Flow << a.texts;
  }
  out << YAML::EndMap;
  out << YAML::Key << "constraints" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& c : s.constraints_) out << c.text;
  out << YAML::EndSeq;
  out << YAML::Key << "objectives" << YAML::Value << YAML::Flow << s.objective_names();
  out << YAML::EndMap;
  s.resolved_ = std::string(out.c_str()) + "\n";
  return s;
}

std::vector<std::int64_t> DesignSpace::radices() const {
  std::vector<std::int64_t> r;
  for (const auto& a : axes_) r.push_back(static_cast<std::int64_t>(a.values.size()));
  return r;
}

std::vector<std::string> DesignSpace::axis_keys() const {
  std::vector<std::string> k;
  for (const auto& a : axes_) k.push_back(a.key);
  return k;
}

std::vector<std::string> DesignSpace::objective_names() const {
  std::vector<std::string> n;
  for (const auto& o : objectives_) n.push_back(o.name);
  return n;
}

void DesignSpace::decode(std::int64_t index, std::span<std::int64_t> digits) const {
  for (std::size_t i = 0; i < axes_.size(); ++i) {
    digits[i] = index / strides_[i];
    index %= strides_[i];
  }
}

std::int64_t DesignSpace::encode(std::span<const std::int64_t> digits) const {
  std::int64_t index = 0;
  for (std::size_t i = 0; i < axes_.size(); ++i) index += digits[i] * strides_[i];
  return index;
}

void DesignSpace::build(std::int64_t index, models::ArchSpec& out) const {
  out = base_;
  for (std::size_t i = 0; i < axes_.size(); ++i) {
    const std::int64_t digit = index / strides_[i];
    index %= strides_[i];
    axes_[i].info->set(out, axes_[i].values[static_cast<std::size_t>(digit)]);
  }
}

std::vector<std::pair<std::string, std::string>> DesignSpace::params(std::int64_t index) const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(axes_.size());
  for (std::size_t i = 0; i < axes_.size(); ++i) {
    const std::int64_t digit = index / strides_[i];
    index %= strides_[i];
    out.emplace_back(axes_[i].key, axes_[i].texts[static_cast<std::size_t>(digit)]);
  }
  return out;
}

std::string DesignSpace::params_json(std::int64_t index) const {
  std::string out = "{";
  for (std::size_t i = 0; i < axes_.size(); ++i) {
    const std::int64_t digit = index / strides_[i];
    index %= strides_[i];
    if (i > 0) out += ',';
    out += axes_[i].json[static_cast<std::size_t>(digit)];
  }
  out += '}';
  return out;
}

std::string DesignSpace::design_hash(std::int64_t index) const {
  std::uint64_t h = base_hash_;
  for (std::size_t i = 0; i < axes_.size(); ++i) {
    const std::int64_t digit = index / strides_[i];
    index %= strides_[i];
    h = fnv1a64(axes_[i].key, h);
    h = fnv1a64("=", h);
    h = fnv1a64(axes_[i].texts[static_cast<std::size_t>(digit)], h);
    h = fnv1a64(";", h);
  }
  return hex(h);
}

}  // namespace leopard::dse
