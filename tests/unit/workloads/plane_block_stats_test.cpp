// The statistics CSV's optional plane-block columns a1..aN (profile --plane-block): loaded into
// TerminationStats::plane_alive, written back by write_stats_csv, and rejected when malformed.
#include <catch2/catch.hpp>
#include <string>

#include "test_util.hpp"
#include "workloads/core/error.hpp"
#include "workloads/stats.hpp"

using namespace leopard::workloads;

namespace {

const std::string kHeader = "model,task,layer,head,seq_len,n_scores,n_pruned,t1,t2,t3";

std::string error_of(const std::string& file, const std::string& text) {
  static const auto dir = leopard::test::scratch_dir("plane-block");
  try {
    load_stats_csv(leopard::test::write_file(dir / file, text));
  } catch (const leopard::InputError& e) {
    return e.what();
  }
  return "no error";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("stats CSV: optional a1..aN plane-block shares", "[stats][plane-block]") {
  const auto dir = leopard::test::scratch_dir("plane-block");
  const auto file = leopard::test::write_file(
      dir / "ok.csv", kHeader +
                          ",a1,a2,a3\nm,t,0,0,16,16,8,2,4,2,1,0.75,0.25\nm,t,0,1,16,16,8,2,4,2,"
                          "1,0.5,0.5\n");
  const StatsTable t = load_stats_csv(file);
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].stats.plane_alive == std::vector<double>{1, 0.75, 0.25});
  CHECK(t.rows[1].stats.plane_alive == std::vector<double>{1, 0.5, 0.5});
  // Round trip through the writer.
  write_stats_csv(dir / "back.csv", {"round trip"}, t);
  CHECK(load_stats_csv(dir / "back.csv").rows[0].stats.plane_alive ==
        std::vector<double>{1, 0.75, 0.25});
  // Without the columns: empty.
  const auto plain =
      leopard::test::write_file(dir / "plain.csv", kHeader + "\nm,t,0,0,16,16,8,2,4,2\n");
  CHECK(load_stats_csv(plain).rows[0].stats.plane_alive.empty());
}

TEST_CASE("stats CSV: malformed plane-block columns name the line and column",
          "[stats][plane-block]") {
  const std::string row = "m,t,0,0,16,16,8,2,4,2";
  CHECK(has(error_of("rise.csv", kHeader + ",a1,a2,a3\n" + row + ",1,0.5,0.75\n"),
            "rise.csv:2: field 'a3'"));
  CHECK(has(error_of("range.csv", kHeader + ",a1,a2,a3\n" + row + ",1.5,0.5,0.25\n"),
            "outside [0, 1]"));
  CHECK(has(error_of("short.csv", kHeader + ",a1,a2\n" + row + ",1,0.5\n"), "must be a1..a3"));
  CHECK(has(error_of("gap.csv", kHeader + ",a1,a3\n" + row + ",1,0.5\n"), "must be a1..a3"));
}
