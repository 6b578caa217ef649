// The model's reference data: Stillmaker-Baas technology scaling and the CACTI 7.0 SRAM table
// (docs/references.md §2 and §4), checked against the published numbers.
#include <catch2/catch.hpp>
#include <cmath>

#include "models/sram.hpp"
#include "models/tech.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::models;

TEST_CASE("tech: Stillmaker-Baas energy factors", "[models][tech]") {
  // docs/references.md §4: "65 nm at 1.3 V gives 2.604" (3.755 x 1.69 - 4.398 x 1.3 + 1.975).
  CHECK(energy_factor(65, 1.3) == Approx(2.604).margin(5e-4));
  // Table points are the polynomials themselves: 45 nm at 0.9 V = 1.103 x 0.81 - 0.362 x 0.9 +
  // 0.2767 = 0.84433.
  CHECK(energy_factor(45, 0.9) == Approx(0.84433).epsilon(1e-9));
  CHECK(energy_scale_from_65(65, 1.0) == Approx(1.0).epsilon(1e-12));
  // 65 -> 45 nm at 1.0 V: (1.103 - 0.362 + 0.2767) / (3.755 - 4.398 + 1.975) = 1.0177 / 1.332.
  CHECK(energy_scale_from_65(45, 1.0) == Approx(1.0177 / 1.332).epsilon(1e-9));
  CHECK(energy_scale_from_65(45, 1.0) < 1.0);
  // Between table nodes the factor lies between its neighbours.
  const double f40 = energy_factor(40, 1.0);
  CHECK(f40 < energy_factor(45, 1.0));
  CHECK(f40 > energy_factor(32, 1.0));
  // Lower voltage, less energy (at 65 nm, the parabola's minimum is at 4.398 / 7.51 = 0.59 V).
  CHECK(energy_factor(65, 0.9) < energy_factor(65, 1.0));
}

TEST_CASE("tech: area factors and range checks", "[models][tech]") {
  // docs/references.md §4: area factors from 65 nm: 45 nm x0.66, 32 x0.31, 7 x0.039.
  CHECK(area_scale_from_65(65) == Approx(1.0));
  CHECK(area_scale_from_65(45) == Approx(0.66).epsilon(1e-9));
  CHECK(area_scale_from_65(32) == Approx(0.31).epsilon(1e-9));
  CHECK(area_scale_from_65(7) == Approx(0.039).epsilon(1e-9));
  CHECK(area_scale_from_65(40) < 0.66);
  CHECK(area_scale_from_65(40) > 0.31);
  CHECK_THROWS_AS(energy_factor(5, 1.0), leopard::InputError);
  CHECK_THROWS_AS(area_scale_from_65(200), leopard::InputError);
}

TEST_CASE("sram: CACTI table values at table points", "[models][sram]") {
  const SramTable& t = SramTable::shipped();
  // sram_cacti7.csv: 65 nm, 8 KiB, 128-bit: 8.567 pJ per read (0.0669 pJ/bit), 31.512 pJ per
  // write (0.2462 pJ/bit), 10.54 mW leakage, 0.0546 mm2.
  const SramBank b = t.bank_65nm(8192, 128);
  CHECK(b.read_pj_per_bit == Approx(0.0669).epsilon(1e-9));
  CHECK(b.read_pj_per_bit == Approx(8.567 / 128).epsilon(1e-3));
  CHECK(b.write_pj_per_bit == Approx(0.2462).epsilon(1e-9));
  CHECK(b.leakage_mw == Approx(10.54).epsilon(1e-9));
  CHECK(b.area_mm2 == Approx(0.0546).epsilon(1e-9));
  // 65 nm, 64 KiB, 64-bit: 0.4848 pJ/bit, 0.4910 mm2.
  const SramBank c = t.bank_65nm(65536, 64);
  CHECK(c.read_pj_per_bit == Approx(0.4848).epsilon(1e-9));
  CHECK(c.area_mm2 == Approx(0.4910).epsilon(1e-9));
}

TEST_CASE("sram: log-log interpolation between table points, monotone in size", "[models][sram]") {
  const SramTable& t = SramTable::shipped();
  // 16 KiB lies halfway (in log size) between 8 KiB (0.0669) and 32 KiB (0.1850) at 128 bits:
  // sqrt(0.0669 x 0.1850) = 0.111250 pJ/bit; area sqrt(0.0546 x 0.2016) = 0.104917 mm2.
  const SramBank mid = t.bank_65nm(16384, 128);
  CHECK(mid.read_pj_per_bit == Approx(std::sqrt(0.0669 * 0.1850)).epsilon(1e-9));
  CHECK(mid.area_mm2 == Approx(std::sqrt(0.0546 * 0.2016)).epsilon(1e-9));
  for (const double width : {64.0, 128.0, 256.0}) {
    double prev_read = 0, prev_area = 0, prev_leak = 0;
    for (double bytes = 1024; bytes <= 65536; bytes *= 1.25) {
      const SramBank s = t.bank_65nm(bytes, width);
      INFO("width " << width << " bytes " << bytes);
      CHECK(s.read_pj_per_bit >= prev_read);
      CHECK(s.area_mm2 >= prev_area);
      CHECK(s.leakage_mw >= prev_leak);
      prev_read = s.read_pj_per_bit;
      prev_area = s.area_mm2;
      prev_leak = s.leakage_mw;
    }
  }
}

TEST_CASE("sram: a missing or malformed table is an input error", "[models][sram]") {
  CHECK_THROWS_AS(SramTable("/nonexistent/sram.csv"), leopard::InputError);
}
