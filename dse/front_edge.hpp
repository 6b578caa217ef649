// Does the Pareto front lean on an edge of the space? For each numeric axis with at least 3
// values: the share of Pareto designs at the axis's smallest value and at its largest, and the edge
// holding the larger share. A front piled up at an edge says the space cuts it off: the optimum
// probably lies beyond, and the axis should be widened.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace leopard::dse {

class DesignSpace;

// One numeric axis: its key and every value it takes (any order).
struct EdgeAxis {
  std::string key;
  std::vector<double> values;
};

struct FrontEdge {
  std::string key;
  std::string edge;  // "min" or "max" (the larger share; "max" on a tie)
  double value = 0;  // the axis's smallest or largest value
  double share = 0;  // Pareto designs at that value / Pareto designs, in [0, 1]
};

// Axes with fewer than 3 values are left out; so is every axis when the front is empty.
// front[i][a] is the value of axis a of the i-th Pareto design.
std::vector<FrontEdge> front_at_edge(const std::vector<EdgeAxis>& axes,
                                     const std::vector<std::vector<double>>& front);

// The numeric axes of a space (int or float keys) with their values.
std::vector<EdgeAxis> numeric_axes(const DesignSpace& space);
// The same from a run's resolved space text (results RunInfo::space_text: `axes: {key: [...]}`);
// axes whose values are not all numbers are left out. Empty when the text cannot be read.
std::vector<EdgeAxis> numeric_axes_from_text(const std::string& space_text);

// {"clock_mhz": {"edge": "max", "value": 1000, "share": 0.82}, ...}
nlohmann::json front_at_edge_json(const std::vector<FrontEdge>& edges);
// One line per edge with share >= 0.5: "82% of the front sits at clock_mhz = 1000, the axis's top:
// widen the axis". Empty when none.
std::string front_at_edge_hints(const std::vector<FrontEdge>& edges);

}  // namespace leopard::dse
