// front_at_edge: how much of the Pareto front sits at the extreme values of each numeric axis.
#include "dse/front_edge.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

#include "dse/space.hpp"
#include "workloads/core/table.hpp"
#include "workloads/core/text.hpp"

namespace leopard::dse {

std::vector<FrontEdge> front_at_edge(const std::vector<EdgeAxis>& axes,
                                     const std::vector<std::vector<double>>& front) {
  std::vector<FrontEdge> out;
  if (front.empty()) return out;
  for (std::size_t a = 0; a < axes.size(); ++a) {
    const auto& values = axes[a].values;
    if (values.size() < 3) continue;
    const double lo = *std::min_element(values.begin(), values.end());
    const double hi = *std::max_element(values.begin(), values.end());
    std::size_t at_lo = 0, at_hi = 0;
    for (const auto& design : front) {
      if (a >= design.size()) continue;
      if (design[a] == lo) ++at_lo;
      if (design[a] == hi) ++at_hi;
    }
    FrontEdge e;
    e.key = axes[a].key;
    const bool top = at_hi >= at_lo;
    e.edge = top ? "max" : "min";
    e.value = top ? hi : lo;
    e.share = static_cast<double>(top ? at_hi : at_lo) / static_cast<double>(front.size());
    out.push_back(e);
  }
  return out;
}

std::vector<EdgeAxis> numeric_axes(const DesignSpace& space) {
  std::vector<EdgeAxis> out;
  for (const Axis& axis : space.axes()) {
    if (axis.info->type != "int" && axis.info->type != "float") continue;
    EdgeAxis e{axis.key, {}};
    for (const auto& text : axis.texts) {
      const auto v = parse_double(text);
      if (!v) {  // an "auto" value: not a numeric axis
        e.values.clear();
        break;
      }
      e.values.push_back(*v);
    }
    if (!e.values.empty()) out.push_back(std::move(e));
  }
  return out;
}

std::vector<EdgeAxis> numeric_axes_from_text(const std::string& space_text) {
  std::vector<EdgeAxis> out;
  try {
    const YAML::Node axes = YAML::Load(space_text)["axes"];
    if (!axes || !axes.IsMap()) return out;
    for (const auto& kv : axes) {
      if (!kv.second.IsSequence()) continue;
      EdgeAxis e{kv.first.Scalar(), {}};
      for (const auto& item : kv.second) {
        const auto v = item.IsScalar() ? parse_double(item.Scalar()) : std::nullopt;
        if (!v) {
          e.values.clear();
          break;
        }
        e.values.push_back(*v);
      }
      if (!e.values.empty()) out.push_back(std::move(e));
    }
  } catch (const YAML::Exception&) {
    out.clear();  // a run without a readable space: no hint, nothing else depends on it
  }
  return out;
}

nlohmann::json front_at_edge_json(const std::vector<FrontEdge>& edges) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& e : edges) {
    j[e.key] = {{"edge", e.edge}, {"value", e.value}, {"share", e.share}};
  }
  return j;
}

std::string front_at_edge_hints(const std::vector<FrontEdge>& edges) {
  std::string out;
  for (const auto& e : edges) {
    if (e.share < 0.5) continue;
    out += fmt::format("{:.0f}% of the front sits at {} = {}, the axis's {}: widen the axis\n",
                       100 * e.share, e.key, format_double(e.value, 12),
                       e.edge == "max" ? "top" : "bottom");
  }
  return out;
}

}  // namespace leopard::dse
