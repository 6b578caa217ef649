// front_at_edge: the share of the Pareto front at each numeric axis's extreme values, its JSON form
// and the table hints; read back from a run's resolved space text.
#include "dse/front_edge.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dse/space.hpp"

using namespace leopard::dse;

TEST_CASE("front_at_edge counts the Pareto designs at each edge against a hand count",
          "[dse][edge]") {
  // Values in any order: the edges are the smallest and largest, not the first and last.
  const std::vector<EdgeAxis> axes = {
      {"clock_mhz", {800, 600, 1000}}, {"tiles", {1, 2, 4, 8}}, {"two", {1, 2}}};
  // 5 Pareto designs; clock: 3 at 1000 (max), 1 at 600; tiles: 2 at 1 (min), 2 at 8 (max).
  const std::vector<std::vector<double>> front = {
      {1000, 1, 1}, {1000, 8, 2}, {1000, 2, 1}, {600, 1, 2}, {800, 8, 1}};
  const auto edges = front_at_edge(axes, front);
  REQUIRE(edges.size() == 2);  // "two" has fewer than 3 values
  CHECK(edges[0].key == "clock_mhz");
  CHECK(edges[0].edge == "max");
  CHECK(edges[0].value == 1000);
  CHECK(edges[0].share == Approx(3.0 / 5));
  CHECK(edges[1].key == "tiles");
  CHECK(edges[1].edge == "max");  // a tie goes to the top
  CHECK(edges[1].share == Approx(2.0 / 5));
  // Leaning on the bottom.
  const auto low = front_at_edge({{"qk.dpus", {4, 6, 8}}}, {{4}, {4}, {6}, {8}});
  REQUIRE(low.size() == 1);
  CHECK(low[0].edge == "min");
  CHECK(low[0].value == 4);
  CHECK(low[0].share == Approx(0.5));
  CHECK(front_at_edge(axes, {}).empty());

  const auto j = front_at_edge_json(edges);
  CHECK(j["clock_mhz"]["edge"] == "max");
  CHECK(j["clock_mhz"]["value"].get<double>() == 1000);
  CHECK(j["clock_mhz"]["share"].get<double>() == Approx(0.6));
  // Hints only at a share >= 0.5, in the words.
  CHECK(front_at_edge_hints(edges) ==
        "60% of the front sits at clock_mhz = 1000, the axis's top: widen the axis\n");
  CHECK(front_at_edge_hints(low) ==
        "50% of the front sits at qk.dpus = 4, the axis's bottom: widen the axis\n");
}

TEST_CASE("numeric axes come from a space and from its resolved text alike", "[dse][edge]") {
  const DesignSpace s = DesignSpace::parse(
      "base: leopard-ae\nfixed: {tech.vdd: auto}\naxes:\n  tiles: [1, 2, 4]\n  dram.type: "
      "[lpddr4, hbm2, ddr4]\n  clock_mhz: {from: 600, to: 1000, step: 200}\n  qk.pruning: [true, "
      "false]\nobjectives: [latency]\n",
      "space.yaml", ".");
  const auto direct = numeric_axes(s);
  REQUIRE(direct.size() == 2);  // the enum and bool axes are not numeric
  CHECK(direct[0].key == "tiles");
  CHECK(direct[1].key == "clock_mhz");
  CHECK(direct[1].values == std::vector<double>{600, 800, 1000});
  const auto stored = numeric_axes_from_text(s.resolved_text());
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].key == direct[0].key);
  CHECK(stored[0].values == direct[0].values);
  CHECK(stored[1].values == direct[1].values);
  CHECK(numeric_axes_from_text("not: [valid").empty());
}
