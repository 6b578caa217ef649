// Design-space parsing: the issue's example, ranges, mixed-radix indexing, building designs, and
// every bad-space error naming the file, line and field.
#include "dse/space.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "results/json_text.hpp"
#include "workloads/core/error.hpp"

using leopard::InputError;
using leopard::dse::DesignSpace;

namespace {

DesignSpace parse(const std::string& text) { return DesignSpace::parse(text, "space.yaml", "."); }

// Parses `text`, expecting an InputError; returns it.
InputError parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError for:\n" << text);
  return InputError("unreachable");
}

const char* kIssueExample = R"(base: leopard-ae
axes:
  tiles: [1, 2, 4, 8]
  qk.dpus: [2, 4, 6, 8, 12, 16]
  qk.bits_per_cycle: [1, 2, 3, 4, 6, 12]
  buffers.key_kib: {from: 24, to: 96, step: 24}
  dram.type: [lpddr4, ddr4, hbm2]
constraints: ["area_mm2 <= 12", "power_w <= 2"]
objectives: [latency, energy, area]
)";

}  // namespace

TEST_CASE("The issue's example space parses", "[dse][space]") {
  const DesignSpace s = parse(kIssueExample);
  REQUIRE(s.axes().size() == 5);
  REQUIRE(s.size() == 4 * 6 * 6 * 4 * 3);
  REQUIRE(s.axes()[3].texts == std::vector<std::string>{"24", "48", "72", "96"});
  REQUIRE(s.constraints().size() == 2);
  REQUIRE(s.objective_names() == std::vector<std::string>{"latency", "energy", "area"});
  REQUIRE(s.base().qk.dpus == 6);  // leopard-ae
}

TEST_CASE("Mixed-radix indexing: last axis fastest, decode(encode) round trip", "[dse][space]") {
  const DesignSpace s = parse(kIssueExample);
  std::vector<std::int64_t> d(5);
  s.decode(0, d);
  REQUIRE(d == std::vector<std::int64_t>{0, 0, 0, 0, 0});
  s.decode(1, d);
  REQUIRE(d == std::vector<std::int64_t>{0, 0, 0, 0, 1});
  s.decode(3, d);
  REQUIRE(d == std::vector<std::int64_t>{0, 0, 0, 1, 0});
  s.decode(s.size() - 1, d);
  REQUIRE(d == std::vector<std::int64_t>{3, 5, 5, 3, 2});
  for (std::int64_t i = 0; i < s.size(); i += 7) {
    s.decode(i, d);
    REQUIRE(s.encode(d) == i);
  }
}

TEST_CASE("Building a design sets each axis on a copy of the base", "[dse][space]") {
  const DesignSpace s = parse(kIssueExample);
  // digits {2, 4, 1, 3, 2}: tiles 4, dpus 12, B 2, key 96 KiB, hbm2
  const std::int64_t index = s.encode(std::vector<std::int64_t>{2, 4, 1, 3, 2});
  leopard::models::ArchSpec spec;
  s.build(index, spec);
  REQUIRE(spec.tiles == 4);
  REQUIRE(spec.qk.dpus == 12);
  REQUIRE(spec.qk.bits_per_cycle == 2);
  REQUIRE(spec.buffers.key_kib == 96.0);
  REQUIRE(spec.dram.type == "hbm2");
  REQUIRE(spec.dram.bandwidth_gbps == 256.0);  // the DRAM preset came with the type
  REQUIRE(spec.buffers.value_kib == s.base().buffers.value_kib);  // untouched keys from the base
  const auto params = s.params(index);
  REQUIRE(params.size() == 5);
  REQUIRE(params[0] == std::make_pair(std::string("tiles"), std::string("4")));
  REQUIRE(params[4] == std::make_pair(std::string("dram.type"), std::string("hbm2")));
  // Hashes differ between designs and are stable.
  REQUIRE(s.design_hash(index) == s.design_hash(index));
  REQUIRE(s.design_hash(index) != s.design_hash(index + 1));
  REQUIRE(s.design_hash(index).size() == 16);
}

TEST_CASE("Ranges, {values: [...]} lists, float ranges and maximised objectives", "[dse][space]") {
  const DesignSpace s = parse(R"(base: leopard-hp
axes:
  clock_mhz: {from: 400, to: 1000, step: 200}
  tech.vdd: {from: 0.8, to: 1.0, step: 0.1}
  qk.pruning: {values: [true, false]}
objectives: [edp, -speedup, power_w]
)");
  REQUIRE(s.size() == 4 * 3 * 2);
  // The fragment-built params JSON equals the generic serialiser's, for every design.
  for (std::int64_t i = 0; i < s.size(); ++i) {
    INFO(i);
    REQUIRE(s.params_json(i) == leopard::results::params_json(s.params(i)));
  }
  CHECK(s.params_json(0) == R"({"clock_mhz":400,"tech.vdd":0.8,"qk.pruning":"true"})");
  REQUIRE(s.axes()[0].texts == std::vector<std::string>{"400", "600", "800", "1000"});
  REQUIRE(s.axes()[1].texts == std::vector<std::string>{"0.8", "0.9", "1"});
  REQUIRE(s.objectives()[1].negate);
  leopard::results::SuiteMetrics m;
  m.speedup_geomean = 3.5;
  REQUIRE(s.objectives()[1].value(m) == -3.5);
  REQUIRE_FALSE(s.resolved_text().empty());
}

TEST_CASE("Constraints evaluate with their operators", "[dse][space]") {
  const DesignSpace s = parse(R"(base: leopard-ae
axes: {tiles: [1, 2]}
constraints: ["area_mm2 <= 12", "speedup > 2", "power_w<1.5", "energy_j >= 0"]
objectives: [latency]
)");
  leopard::results::SuiteMetrics m;
  m.area_mm2 = 12;
  m.speedup_geomean = 3;
  m.power_w = 1;
  m.energy_j = 1;
  for (const auto& c : s.constraints()) REQUIRE(c.holds(m));
  m.area_mm2 = 15;
  REQUIRE_FALSE(s.constraints()[0].holds(m));
  REQUIRE(s.constraints()[0].violation(m) == Approx(0.25));
  m.speedup_geomean = 2;  // strict bound met with equality fails
  REQUIRE_FALSE(s.constraints()[1].holds(m));
  REQUIRE(s.constraints()[1].violation(m) > 0);
}

TEST_CASE("Bad space files name the file, line and field", "[dse][space][bad]") {
  struct Case {
    const char* what;
    std::string text;
    std::string field;
    std::int64_t line;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"unknown key", "base: leopard-ae\naxes:\n  qk.dpu: [2, 4]\nobjectives: [latency]\n",
       "qk.dpu", 3, "unknown architecture key"},
      {"empty axis", "base: leopard-ae\naxes:\n  tiles: []\nobjectives: [latency]\n", "axes.tiles",
       3, "empty axis"},
      {"null axis", "base: leopard-ae\naxes:\n  tiles:\nobjectives: [latency]\n", "axes.tiles", 0,
       "empty axis"},
      {"negative step",
       "base: leopard-ae\naxes:\n  buffers.key_kib: {from: 24, to: 96, step: -24}\nobjectives: "
       "[latency]\n",
       "axes.buffers.key_kib.step", 3, "step must be > 0"},
      {"reversed range",
       "base: leopard-ae\naxes:\n  buffers.key_kib: {from: 96, to: 24, step: 24}\nobjectives: "
       "[latency]\n",
       "axes.buffers.key_kib.to", 3, "below from"},
      {"range without step",
       "base: leopard-ae\naxes:\n  tiles: {from: 1, to: 4}\nobjectives: [latency]\n",
       "axes.tiles.step", 3, "missing"},
      {"range over an enum",
       "base: leopard-ae\naxes:\n  dram.type: {from: 1, to: 4, step: 1}\nobjectives: [latency]\n",
       "axes.dram.type", 3, "numeric"},
      {"bad value", "base: leopard-ae\naxes:\n  tiles: [1, two]\nobjectives: [latency]\n", "tiles",
       3, "expected a number"},
      {"non-integer", "base: leopard-ae\naxes:\n  tiles: [1, 2.5]\nobjectives: [latency]\n",
       "tiles", 3, "integer"},
      {"bad enum", "base: leopard-ae\naxes:\n  dram.type: [lpddr4, gddr9]\nobjectives: [latency]\n",
       "dram.type", 3, "gddr9"},
      {"duplicate value", "base: leopard-ae\naxes:\n  tiles: [1, 2, 1]\nobjectives: [latency]\n",
       "axes.tiles", 3, "duplicate"},
      {"unknown objective", "base: leopard-ae\naxes:\n  tiles: [1]\nobjectives: [latency, speed]\n",
       "objectives[1]", 4, "unknown objective 'speed'"},
      {"no objectives", "base: leopard-ae\naxes:\n  tiles: [1]\nobjectives: []\n", "objectives", 4,
       "non-empty"},
      {"malformed constraint",
       "base: leopard-ae\naxes:\n  tiles: [1]\nconstraints: [\"area_mm2 = 12\"]\nobjectives: "
       "[latency]\n",
       "constraints[0]", 4, "malformed constraint"},
      {"constraint on unknown metric",
       "base: leopard-ae\naxes:\n  tiles: [1]\nconstraints: [\"size <= 12\"]\nobjectives: "
       "[latency]\n",
       "constraints[0]", 4, "unknown metric 'size'"},
      {"constraint bound not a number",
       "base: leopard-ae\naxes:\n  tiles: [1]\nconstraints: [\"area_mm2 <= big\"]\nobjectives: "
       "[latency]\n",
       "constraints[0]", 4, "not a number"},
      {"unknown top-level field", "base: leopard-ae\naxis:\n  tiles: [1]\nobjectives: [latency]\n",
       "axis", 2, "unknown field"},
      {"missing axes", "base: leopard-ae\nobjectives: [latency]\n", "axes", 0, "missing"},
      {"missing base", "axes:\n  tiles: [1]\nobjectives: [latency]\n", "base", 0, "missing"},
      {"unknown base preset", "base: leopard-xx\naxes:\n  tiles: [1]\nobjectives: [latency]\n",
       "base", 1, ""},
      {"fixed: unknown key",
       "base: leopard-ae\nfixed: {tech.vd: auto}\naxes:\n  tiles: [1]\nobjectives: [latency]\n",
       "fixed.tech.vd", 2, "unknown architecture key"},
      {"fixed: bad value",
       "base: leopard-ae\nfixed:\n  tech.vdd: high\naxes:\n  tiles: [1]\nobjectives: [latency]\n",
       "fixed.tech.vdd", 3, "expected a number or auto"},
      {"fixed: a list",
       "base: leopard-ae\nfixed:\n  tiles: [1, 2]\naxes:\n  qk.dpus: [1]\nobjectives: [latency]\n",
       "fixed.tiles", 3, "one value"},
      {"fixed: not a map",
       "base: leopard-ae\nfixed: [tech.vdd]\naxes:\n  tiles: [1]\nobjectives: [latency]\n", "fixed",
       2, "map"},
      {"fixed and an axis",
       "base: leopard-ae\nfixed: {tech.vdd: auto, tiles: 2}\naxes:\n  qk.dpus: [4]\n  tiles: [1, "
       "2]\n"
       "objectives: [latency]\n",
       "axes.tiles", 5, "is also fixed"},
      {"axis field typo",
       "base: leopard-ae\naxes:\n  tiles: {from: 1, too: 4, step: 1}\nobjectives: [latency]\n",
       "axes.tiles.too", 3, "unknown field"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const InputError e = parse_error(c.text);
    CHECK(e.file() == "space.yaml");
    CHECK(e.field() == c.field);
    if (c.line > 0) CHECK(e.line() == c.line);
    CHECK_THAT(std::string(e.what()), Catch::Contains(c.message_part));
    CHECK_THAT(std::string(e.what()), Catch::Contains("space.yaml"));
  }
}

TEST_CASE("Invalid YAML and oversized spaces are refused", "[dse][space][bad]") {
  const InputError yaml = parse_error("base: leopard-ae\naxes: [tiles: [1\n");
  REQUIRE(yaml.file() == "space.yaml");
  REQUIRE(yaml.line() > 0);
  // 8 axes of 200 values: 200^8 = 2.56e18 designs > 2^53.
  std::string text = "base: leopard-ae\naxes:\n";
  for (const char* key : {"tiles", "qk.dpus", "qk.lanes", "v.macs", "fifo.depth", "buffers.key_kib",
                          "buffers.value_kib", "clock_mhz"}) {
    text += std::string("  ") + key + ": {from: 1, to: 200, step: 1}\n";
  }
  text += "objectives: [latency]\n";
  const InputError big = parse_error(text);
  REQUIRE(big.field().rfind("axes", 0) == 0);  // "axes", or the axis that makes it too big
  REQUIRE_THAT(std::string(big.what()), Catch::Contains("designs") && Catch::Contains("2^53"));
}

TEST_CASE("fixed: keys are set on every design, are not axes, and change the space's hash",
          "[dse][space]") {
  const std::string axes = "axes:\n  clock_mhz: [600, 800]\nobjectives: [latency]\n";
  const DesignSpace plain = parse("base: leopard-ae\n" + axes);
  const DesignSpace fixed =
      parse("base: leopard-ae\nfixed: {tech.vdd: auto, dram.type: hbm2}\n" + axes);
  CHECK(plain.base().tech.vdd == 1.0);  // leopard-ae's supply
  CHECK(fixed.base().tech.vdd == 0);    // 0 = auto (models/arch_spec.hpp)
  CHECK(fixed.axes().size() == 1);
  CHECK(fixed.size() == plain.size());
  REQUIRE(fixed.fixed().size() == 2);
  CHECK(fixed.fixed()[0] == std::pair<std::string, std::string>{"tech.vdd", "auto"});
  leopard::models::ArchSpec design;
  for (std::int64_t i = 0; i < fixed.size(); ++i) {
    fixed.build(i, design);
    CHECK(design.tech.vdd == 0);
    CHECK(design.dram.type == "hbm2");
  }
  // Part of what identifies the run (resume hash) and each design.
  CHECK(fixed.resolved_text() != plain.resolved_text());
  CHECK_THAT(fixed.resolved_text(), Catch::Contains("tech.vdd: auto"));
  CHECK(fixed.design_hash(0) != plain.design_hash(0));
  CHECK(fixed.params_json(0) == plain.params_json(0));  // not an axis: not a parameter column
}

TEST_CASE("The shipped spaces parse and have the intended sizes", "[dse][space]") {
  const DesignSpace paper = DesignSpace::load(LEOPARD_SOURCE_DIR "/dse/spaces/paper.yaml");
  REQUIRE(paper.size() >= 1000);
  REQUIRE(paper.size() <= 10000);
  const DesignSpace wide = DesignSpace::load(LEOPARD_SOURCE_DIR "/dse/spaces/wide.yaml");
  REQUIRE(wide.size() >= 500000);
  REQUIRE(wide.size() <= 2000000);
  // Every shipped space lets the supply follow the clock, so that a faster clock costs energy.
  for (const char* file :
       {"/dse/spaces/paper.yaml", "/dse/spaces/wide.yaml", "/dse/spaces/llm-decode.yaml",
        "/notebooks/spaces/fig11.yaml", "/notebooks/spaces/sensitivity.yaml",
        "/notebooks/spaces/tail.yaml", "/notebooks/test_space.yaml"}) {
    INFO(file);
    const DesignSpace s = DesignSpace::load(std::string(LEOPARD_SOURCE_DIR) + file);
    CHECK(s.base().tech.vdd == 0);
  }
}
