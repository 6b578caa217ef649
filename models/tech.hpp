// Technology scaling of energy, area and speed: Stillmaker and Baas (Integration 58, 2017) energy
// polynomials, area factors, and the alpha-power law (Sakurai and Newton, IEEE JSSC 25(2), 1990)
// for the highest clock a node closes timing at for a given supply. Formulas, sources and
// assumptions: docs/cost-model.md §11; coefficients: docs/references.md §4 and §5.
#pragma once

#include <string>

namespace leopard::models {

// Energy factor f(V) = a V^2 + b V + c of a node (nm), interpolated in log(node) between the
// tabulated nodes 7..130 (docs/cost-model.md §11.1). Throws InputError outside [7, 130].
double energy_factor(double node_nm, double vdd);
// E(node, vdd) / E(65 nm, 1.0 V): multiply a 65 nm energy by this.
double energy_scale_from_65(double node_nm, double vdd);
// Area(node) / Area(65 nm) (docs/references.md §4 area factors), interpolated in log-log.
double area_scale_from_65(double node_nm);

// Electrical parameters of a node (docs/cost-model.md §11.2; the 65 nm row anchors the
// paper's design, the others are assumptions), interpolated in log(node) between table rows.
struct NodeParams {
  double vdd_nominal = 1.0;  // V, the sign-off supply
  double vdd_min = 0.7;      // V, lowest supply `tech.vdd: auto` may pick (above the minimum of the
                             // node's Stillmaker-Baas energy polynomial, docs/cost-model.md §11.3)
  double vdd_max = 1.2;      // V, highest supply (reliability)
  double vt = 0.35;          // V, threshold voltage
  double alpha = 1.3;        // velocity-saturation index of the alpha-power law
  double delay_vs_65 = 1.0;  // gate delay at the node's nominal supply / 65 nm's at 1.0 V
};
NodeParams node_params(double node_nm);

// Relative gate delay of the alpha-power law: delay(V) ~ V / (V - Vt)^alpha (infinite at V <= Vt;
// docs/cost-model.md §11.2).
double alpha_power_delay(double vdd, double vt, double alpha);

// The clock this design's logic may run at: f_max(V) = f_nominal x delay(V_nominal) / delay(V).
// f_nominal is tech.fmax_mhz, or (0 = auto) 800 MHz at 65 nm (the paper's sign-off, 1.0 V)
// divided by the node's delay factor.
struct TechSettings {
  double node_nm = 65;
  double vdd = 1.0;     // 0 = auto
  double vt = 0;        // 0 = the node's
  double alpha = 0;     // 0 = the node's
  double fmax_mhz = 0;  // 0 = the node's (800 MHz at 65 nm)
};
double fmax_mhz(const TechSettings& t, double vdd);
// Delay of a circuit at (node, vdd) relative to the same circuit at 65 nm, 1.0 V (e.g. a CACTI
// access time at 65 nm nominal): node delay factor x alpha-power delay ratio.
double delay_scale_from_65(const TechSettings& t, double vdd);

// The supply a design runs at and whether it closes timing. `timing_ok(vdd)` adds the design's own
// checks at a supply (e.g. SRAM banks accessible within a cycle); it returns "" when they hold,
// else the reason. With vdd = auto the lowest supply in 10 mV steps within [vdd_min, vdd_max] that
// meets the clock and timing_ok is chosen; when none does, vdd_max (the design is infeasible;
// docs/cost-model.md §11.2).
struct OperatingPoint {
  double vdd = 0;
  double fmax_mhz = 0;
  double fmax_violation = 0;      // max(0, clock / f_max - 1)
  std::string infeasible_reason;  // "" when feasible
};
template <class TimingCheck>
OperatingPoint resolve_operating_point(const TechSettings& t, double clock_mhz,
                                       TimingCheck&& timing_ok);

std::string format_fmax_reason(double clock_mhz, double fmax, double vdd, double node_nm);

}  // namespace leopard::models

#include "models/tech_inl.hpp"
