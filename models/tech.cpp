// Stillmaker-Baas energy polynomials and area factors, interpolated between nodes.
#include "models/tech.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "workloads/core/error.hpp"

namespace leopard::models {
namespace {

struct NodeFit {
  double nm, a, b, c;
};
// references.md, technology scaling table (Stillmaker and Baas 2017).
constexpr std::array<NodeFit, 10> kFits = {{{7, 0.1776, -0.09097, 0.02447},
                                            {10, 0.2068, -0.09311, 0.02375},
                                            {14, 0.2363, -0.09675, 0.02239},
                                            {16, 0.2958, -0.1241, 0.03024},
                                            {20, 0.373, -0.1582, 0.04104},
                                            {32, 0.9559, -0.7823, 0.471},
                                            {45, 1.103, -0.362, 0.2767},
                                            {65, 3.755, -4.398, 1.975},
                                            {90, 4.762, -4.781, 2.092},
                                            {130, 7.171, -6.709, 2.904}}};

struct AreaPoint {
  double nm, factor;
};
// references.md: area factors from 65 nm.
constexpr std::array<AreaPoint, 6> kArea = {
    {{7, 0.039}, {16, 0.13}, {20, 0.14}, {32, 0.31}, {45, 0.66}, {65, 1.0}}};

double poly(const NodeFit& f, double v) { return f.a * v * v + f.b * v + f.c; }

void check_node(double node_nm) {
  if (!(node_nm >= 7 && node_nm <= 130)) {
    throw InputError("", 0, "tech.node_nm",
                     fmt::format("{} nm is outside the scaling table (7..130 nm)", node_nm));
  }
}

}  // namespace

double energy_factor(double node_nm, double vdd) {
  check_node(node_nm);
  for (std::size_t i = 0; i + 1 < kFits.size(); ++i) {
    if (node_nm <= kFits[i + 1].nm) {
      const double t = std::log(node_nm / kFits[i].nm) / std::log(kFits[i + 1].nm / kFits[i].nm);
      // Interpolate the energies (in log space), not the coefficients.
      return std::exp((1 - t) * std::log(poly(kFits[i], vdd)) +
                      t * std::log(poly(kFits[i + 1], vdd)));
    }
  }
  return poly(kFits.back(), vdd);
}

double energy_scale_from_65(double node_nm, double vdd) {
  return energy_factor(node_nm, vdd) / energy_factor(65, 1.0);
}

double area_scale_from_65(double node_nm) {
  check_node(node_nm);
  if (node_nm >= 65) return (node_nm / 65) * (node_nm / 65);  // classic quadratic above 65 nm
  for (std::size_t i = 0; i + 1 < kArea.size(); ++i) {
    if (node_nm <= kArea[i + 1].nm) {
      const double t = std::log(node_nm / kArea[i].nm) / std::log(kArea[i + 1].nm / kArea[i].nm);
      return std::exp((1 - t) * std::log(kArea[i].factor) + t * std::log(kArea[i + 1].factor));
    }
  }
  return 1.0;
}

double delay_scale_from_65(double node_nm) {
  check_node(node_nm);
  return node_nm / 65.0;
}

}  // namespace leopard::models
