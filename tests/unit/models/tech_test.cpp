// Clock and supply: the alpha-power law against its closed form, the paper's anchor, the node
// table, `tech.vdd: auto`, and the infeasibility reasons.
#include "models/tech.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "models/arch_spec.hpp"
#include "models/calibration.hpp"
#include "models/cost_model.hpp"

using namespace leopard::models;

TEST_CASE("tech: f_max follows the alpha-power law, anchored at 800 MHz, 1.0 V, 65 nm",
          "[models][tech]") {
  TechSettings t;  // 65 nm, Vt and alpha of the node (0.35 V, 1.3)
  CHECK(fmax_mhz(t, 1.0) == Approx(800).epsilon(1e-12));
  // Closed form: f(V) / f(1.0) = [(V - Vt)^a / V] / [(1 - Vt)^a / 1].
  for (const double v : {0.7, 0.85, 1.1, 1.2}) {
    const double ratio = std::pow(v - 0.35, 1.3) / v / std::pow(0.65, 1.3);
    CHECK(fmax_mhz(t, v) == Approx(800 * ratio).epsilon(1e-12));
  }
  CHECK(fmax_mhz(t, 0.3) == 0);  // below Vt nothing switches
  // A user's own sign-off frequency and device parameters.
  t.fmax_mhz = 1000;
  t.vt = 0.3;
  t.alpha = 1.5;
  CHECK(fmax_mhz(t, 1.0) == Approx(1000).epsilon(1e-12));
  CHECK(fmax_mhz(t, 0.8) == Approx(1000 * std::pow(0.5, 1.5) / 0.8 / std::pow(0.7, 1.5)));
}

TEST_CASE("tech: smaller nodes are faster, but not linearly (7 nm is not 7 GHz)",
          "[models][tech]") {
  double prev = 0;
  for (const double nm : {130.0, 90.0, 65.0, 45.0, 32.0, 20.0, 16.0, 14.0, 10.0, 7.0}) {
    TechSettings t;
    t.node_nm = nm;
    const NodeParams n = node_params(nm);
    const double f = fmax_mhz(t, n.vdd_nominal);
    CHECK(f > prev);
    prev = f;
    // Each range floor sits above the minimum of the node's energy polynomial, so energy falls
    // with the supply over the whole range auto may pick from.
    CHECK(energy_factor(nm, n.vdd_min) < energy_factor(nm, n.vdd_min + 0.01));
    CHECK(n.vdd_min < n.vdd_nominal);
    CHECK(n.vdd_nominal <= n.vdd_max);
  }
  CHECK(prev < 3500);  // 7 nm at its nominal 0.70 V: about 2.9 GHz
  CHECK(prev > 2000);
}

TEST_CASE("tech: vdd auto picks the lowest supply in 10 mV steps that meets the clock",
          "[models][tech]") {
  TechSettings t;
  t.vdd = 0;
  const auto ok = [](double) { return std::string(); };
  const OperatingPoint at800 = resolve_operating_point(t, 800, ok);
  CHECK(at800.vdd == 1.0);
  CHECK(at800.infeasible_reason.empty());
  const OperatingPoint at500 = resolve_operating_point(t, 500, ok);
  CHECK(fmax_mhz(t, at500.vdd) >= 500);
  CHECK(fmax_mhz(t, at500.vdd - 0.01) < 500);
  CHECK(std::abs(at500.vdd * 100 - std::round(at500.vdd * 100)) < 1e-9);
  // 1 GHz needs more than 65 nm's 1.2 V ceiling: the top of the range, infeasible, with a reason.
  const OperatingPoint at1000 = resolve_operating_point(t, 1000, ok);
  CHECK(at1000.vdd == Approx(1.2));
  CHECK(at1000.fmax_violation == Approx(1000 / fmax_mhz(t, 1.2) - 1));
  CHECK(at1000.infeasible_reason == format_fmax_reason(1000, fmax_mhz(t, 1.2), 1.2, 65));
  // A slow design check at low supply pushes the choice up.
  const auto slow_below_09 = [](double v) { return v < 0.9 ? std::string("slow") : std::string(); };
  CHECK(resolve_operating_point(t, 300, slow_below_09).vdd == Approx(0.9));
}

TEST_CASE("tech: the designs the issue tried, as a physicist expects", "[models][tech]") {
  const Calibration cal;
  ArchSpec s = load_arch("leopard-ae");
  CHECK(derive_constants(s, cal).infeasible_reason.empty());
  CHECK(derive_constants(load_arch("leopard-hp"), cal).infeasible_reason.empty());
  CHECK(derive_constants(load_arch("baseline"), cal).infeasible_reason.empty());
  // eval --set clock_mhz=10000 --set tech.vdd=0.5 at 65 nm.
  s.clock_mhz = 10000;
  s.tech.vdd = 0.5;
  const DesignConstants k = derive_constants(s, cal);
  CHECK(k.infeasible_reason == "clock 10000 MHz > f_max 238 MHz at 0.50 V, 65 nm");
  CHECK(k.fmax_violation == Approx(10000 / fmax_mhz(TechSettings{}, 0.5) - 1));
  // 1000 MHz at 1.0 V: the example reason.
  s.clock_mhz = 1000;
  s.tech.vdd = 1.0;
  CHECK(derive_constants(s, cal).infeasible_reason ==
        "clock 1000 MHz > f_max 800 MHz at 1.00 V, 65 nm");
  // A 256 KiB single Key bank (CACTI about 2 ns) cannot be read in a 1.25 ns cycle at 1.0 V.
  ArchSpec big = load_arch("leopard-ae");
  big.buffers.key_banks = 1;
  big.buffers.key_kib = 256;
  CHECK(derive_constants(big, cal).infeasible_reason.rfind("key bank access", 0) == 0);
  // Lower supply, less energy per action; same clock.
  ArchSpec lo = load_arch("leopard-ae");
  lo.clock_mhz = 400;
  lo.tech.vdd = 0;
  const DesignConstants kl = derive_constants(lo, cal);
  CHECK(kl.vdd < 0.8);
  CHECK(kl.mac_pj < derive_constants(load_arch("leopard-ae"), cal).mac_pj);
}
