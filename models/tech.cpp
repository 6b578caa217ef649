// Stillmaker-Baas energy polynomials and area factors, interpolated between nodes.
#include "models/tech.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

#include "workloads/core/error.hpp"

namespace leopard::models {
namespace {

struct NodeFit {
  double nm, a, b, c;
};
// docs/references.md §4, technology scaling table (Stillmaker and Baas 2017); use:
// docs/cost-model.md §11.1.
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
// docs/references.md §4: area factors from 65 nm.
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
      // Interpolate the energies (in log space), not the coefficients (docs/cost-model.md §11.1).
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
  if (node_nm >= 65) return (node_nm / 65) * (node_nm / 65);  // quadratic above 65 nm (§11.1)
  for (std::size_t i = 0; i + 1 < kArea.size(); ++i) {
    if (node_nm <= kArea[i + 1].nm) {
      const double t = std::log(node_nm / kArea[i].nm) / std::log(kArea[i + 1].nm / kArea[i].nm);
      return std::exp((1 - t) * std::log(kArea[i].factor) + t * std::log(kArea[i + 1].factor));
    }
  }
  return 1.0;
}

namespace {

struct NodeRow {
  double nm;
  NodeParams p;
};
// docs/cost-model.md §11.2 (the table) and §11.3 (the supply floors). 65 nm: the paper's TSMC 65 nm
// GP design signs off at 800 MHz and 1.0 V (nominal GP core supply); Vt 0.35 V and alpha 1.3 are
// typical of 65 nm bulk CMOS (assumed). Other rows are assumptions: nominal supplies follow the
// foundries' core voltages, delay factors the usual ~0.7x per full node at nominal supply, Vt and
// alpha fall slowly with the node (velocity saturation). Each vdd_min sits above the minimum of the
// node's Stillmaker-Baas energy polynomial (65 nm: 0.586 V), so that energy falls monotonically
// with the supply over the whole range `tech.vdd: auto` searches.
constexpr std::array<NodeRow, 10> kNodes = {{
    {7, {0.70, 0.50, 0.80, 0.27, 1.10, 0.28}},
    {10, {0.75, 0.50, 0.85, 0.28, 1.10, 0.33}},
    {14, {0.80, 0.55, 0.90, 0.30, 1.15, 0.38}},
    {16, {0.80, 0.55, 0.90, 0.30, 1.15, 0.40}},
    {20, {0.85, 0.60, 1.00, 0.30, 1.20, 0.50}},
    {32, {0.90, 0.60, 1.00, 0.32, 1.20, 0.60}},
    {45, {0.90, 0.65, 1.10, 0.33, 1.25, 0.75}},
    {65, {1.00, 0.70, 1.20, 0.35, 1.30, 1.00}},
    {90, {1.00, 0.80, 1.20, 0.38, 1.35, 1.35}},
    {130, {1.20, 0.90, 1.30, 0.40, 1.40, 1.90}},
}};

double log_lerp(double a, double b, double t) {
  return std::exp((1 - t) * std::log(a) + t * std::log(b));
}

}  // namespace

NodeParams node_params(double node_nm) {
  check_node(node_nm);
  for (std::size_t i = 0; i + 1 < kNodes.size(); ++i) {
    if (node_nm <= kNodes[i + 1].nm) {
      const double t = std::log(node_nm / kNodes[i].nm) / std::log(kNodes[i + 1].nm / kNodes[i].nm);
      const NodeParams& a = kNodes[i].p;
      const NodeParams& b = kNodes[i + 1].p;
      const auto lin = [t](double x, double y) { return (1 - t) * x + t * y; };
      NodeParams out;
      out.vdd_nominal = lin(a.vdd_nominal, b.vdd_nominal);
      out.vdd_min = lin(a.vdd_min, b.vdd_min);
      out.vdd_max = lin(a.vdd_max, b.vdd_max);
      out.vt = lin(a.vt, b.vt);
      out.alpha = lin(a.alpha, b.alpha);
      out.delay_vs_65 = log_lerp(a.delay_vs_65, b.delay_vs_65, t);
      return out;
    }
  }
  return kNodes.back().p;
}

double alpha_power_delay(double vdd, double vt, double alpha) {
  if (!(vdd > vt)) return std::numeric_limits<double>::infinity();
  return vdd / std::pow(vdd - vt, alpha);
}

namespace {

// 800 MHz: the paper's sign-off clock at 65 nm, 1.0 V (docs/paper-facts.md §3.4).
constexpr double kPaperFmaxMhz = 800;

struct Resolved {
  NodeParams n;
  double vt, alpha, f_nominal;
};

Resolved resolve(const TechSettings& t) {
  Resolved r;
  r.n = node_params(t.node_nm);
  r.vt = t.vt > 0 ? t.vt : r.n.vt;
  r.alpha = t.alpha > 0 ? t.alpha : r.n.alpha;
  r.f_nominal = t.fmax_mhz > 0 ? t.fmax_mhz : kPaperFmaxMhz / r.n.delay_vs_65;
  return r;
}

}  // namespace

double fmax_mhz(const TechSettings& t, double vdd) {
  const Resolved r = resolve(t);
  const double d = alpha_power_delay(vdd, r.vt, r.alpha);
  if (!std::isfinite(d)) return 0;
  return r.f_nominal * alpha_power_delay(r.n.vdd_nominal, r.vt, r.alpha) / d;
}

double delay_scale_from_65(const TechSettings& t, double vdd) {
  const Resolved r = resolve(t);
  // The 65 nm reference at its nominal 1.0 V with the node's own Vt and alpha; a user fmax_mhz
  // rescales the logic only, not the SRAM macros.
  const double d = alpha_power_delay(vdd, r.vt, r.alpha);
  return r.n.delay_vs_65 * d / alpha_power_delay(r.n.vdd_nominal, r.vt, r.alpha);
}

std::string format_fmax_reason(double clock_mhz, double fmax, double vdd, double node_nm) {
  return fmt::format("clock {:g} MHz > f_max {:.0f} MHz at {:.2f} V, {:g} nm", clock_mhz, fmax, vdd,
                     node_nm);
}

}  // namespace leopard::models
