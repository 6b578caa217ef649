// The shipped presets and calibration against the paper's published implementation facts
// (docs/paper-facts.md §3.4 and §5.3): areas, the AE area split and the baseline energy split of
// Fig. 11. Tolerances are stated per check; they cover the paper's rounding (integer percentages,
// two decimals of mm2).
#include <catch2/catch.hpp>
#include <numeric>

#include "model_fixtures.hpp"

namespace {

using namespace leopard::models;

Calibration shipped() { return load_calibration(default_calibration_path()).values; }

}  // namespace

TEST_CASE("paper: AE area 6.44 mm2 (+-2%), one HP tile 3.47 mm2 (+-3%)", "[models][paper]") {
  const Calibration cal = shipped();
  const ArchSpec ae = load_arch("leopard-ae");
  const DesignConstants k = derive_constants(ae, cal);
  INFO("AE area " << k.area_mm2 << " mm2");
  CHECK(k.area_mm2 == Approx(6.44).epsilon(0.02));
  // The area is the sum of its parts.
  CHECK(std::accumulate(k.area_split.begin(), k.area_split.end(), 0.0) ==
        Approx(k.area_mm2).epsilon(1e-12));

  ArchSpec hp = load_arch("leopard-hp");
  hp.tiles = 1;
  const double hp_tile = derive_constants(hp, cal).area_mm2;
  INFO("HP tile " << hp_tile << " mm2");
  CHECK(hp_tile == Approx(3.47).epsilon(0.03));
  // Two tiles, twice the area.
  CHECK(derive_constants(load_arch("leopard-hp"), cal).area_mm2 == Approx(2 * hp_tile));
}

TEST_CASE("paper: AE area split 38/16/18/15/13% (+-3 points)", "[models][paper]") {
  // area_split order: QK logic, Key buffer, Value buffer, x V logic, softmax, other.
  const DesignConstants k = derive_constants(load_arch("leopard-ae"), shipped());
  const double paper[] = {38, 16, 18, 15, 13, 0};
  for (int i = 0; i < 6; ++i) {
    const double pct = 100 * k.area_split[static_cast<std::size_t>(i)] / k.area_mm2;
    INFO(area_component_name(i) << ": " << pct << "% (paper " << paper[i] << "%)");
    CHECK(pct == Approx(paper[i]).margin(3.0));
  }
}

TEST_CASE("paper: the baseline has the AE's area within 1%", "[models][paper]") {
  const Calibration cal = shipped();
  const double ae = derive_constants(load_arch("leopard-ae"), cal).area_mm2;
  const double base = derive_constants(load_arch("baseline"), cal).area_mm2;
  INFO("AE " << ae << " mm2, baseline " << base << " mm2");
  CHECK(base == Approx(ae).epsilon(0.01));
  // HP vs AE: the paper's text says "15% more area", but its own figures give one HP tile
  // 3.47 mm2 vs half of 6.44 mm2 = 3.22 mm2 for an AE tile, i.e. +7.8%. We follow the figures
  // (+-3%).
  const double hp = derive_constants(load_arch("leopard-hp"), cal).area_mm2;
  INFO("HP " << hp << " mm2, HP / AE " << hp / ae);
  CHECK(hp / ae == Approx(3.47 / 3.22).epsilon(0.03));
}

TEST_CASE("paper: baseline energy split of Fig. 11 within 1 point on a BERT-Base head",
          "[models][paper]") {
  // Fig. 11: QK 16.7, Key buffer 16.7, softmax 14.4, x V 29.5, Value buffer 22.0 (% of the five).
  // A BERT-Base head (d = 64) at two lengths: the split must not depend on the workload.
  const Calibration cal = shipped();
  const ArchSpec base = load_arch("baseline");
  const Component comps[] = {Component::kQkCompute, Component::kKeyBuffer, Component::kSoftmax,
                             Component::kVCompute, Component::kValueBuffer};
  const double paper[] = {16.7, 16.7, 14.4, 29.5, 22.0};
  const double paper_sum = 16.7 + 16.7 + 14.4 + 29.5 + 22.0;
  for (const int seq : {128, 384, 512}) {
    const auto w = fixtures::task(1, 64, seq, seq, 0.0, fixtures::hist_at(12));
    const Cost c = fixtures::evaluate(base, cal, w, true);
    double five = 0;
    for (const Component comp : comps) five += c.energy_pj[static_cast<int>(comp)];
    for (int i = 0; i < 5; ++i) {
      const double pct = 100 * c.energy_pj[static_cast<int>(comps[i])] / five;
      INFO("seq " << seq << " " << to_string(comps[i]) << ": " << pct << "% (paper " << paper[i]
                  << "%)");
      CHECK(pct == Approx(100 * paper[i] / paper_sum).margin(1.0));
      CHECK(pct == Approx(paper[i]).margin(1.0));
    }
    // The paper's five components sum to 99.3% (no leakage in Fig. 11); the model adds leakage
    // (calibrated to 0 with the shipped constants: the paper's energies show none), FIFO and
    // fills. Catch a drift of those.
    INFO("five Fig. 11 components: " << 100 * five / c.energy_onchip_pj() << "% of on-chip");
    CHECK(five / c.energy_onchip_pj() > 0.85);
  }
}

TEST_CASE("paper: presets match the paper's two designs and the baseline", "[models][paper]") {
  const ArchSpec ae = load_arch("leopard-ae");
  CHECK(ae.tiles == 2);
  CHECK(ae.qk.dpus == 6);
  CHECK(ae.qk.lanes == 64);
  CHECK(ae.qk.bits == 12);
  CHECK(ae.qk.bits_per_cycle == 2);
  CHECK(ae.v.macs == 64);
  CHECK(ae.v.bits == 16);
  CHECK(ae.buffers.key_kib == 48);
  CHECK(ae.buffers.value_kib == 64);
  CHECK(ae.clock_mhz == 800);
  CHECK(ae.tech.node_nm == 65);
  const ArchSpec hp = load_arch("leopard-hp");
  CHECK(hp.qk.dpus == 8);
  CHECK(hp.tiles == 2);
  const ArchSpec base = load_arch("baseline");
  CHECK(base.qk.dpus == 1);
  CHECK(base.qk.bits_per_cycle == 12);
  CHECK_FALSE(base.qk.pruning);
  CHECK_FALSE(base.qk.early_termination);
  CHECK(base.buffers.key_kib == 48);
  CHECK(base.v.macs == 64);
}
