// The text table leaves out the columns empty in every row; CSV keeps the fixed schema.
#include "workloads/core/table.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace leopard;

TEST_CASE("table: without_empty_columns drops only the columns no row fills", "[core][table]") {
  Table t;
  t.columns = {"model", "ms_per_token", "latency_ms", "reason", "note"};
  t.precision = {0, 4, 6};  // shorter than the columns: the rest take the default
  t.add_row({std::string("bert"), Cell{}, 1.2345678, Cell{}, std::string()});
  t.add_row({std::string("gpt2"), Cell{}, 2.0, std::string("clock too high"), std::string()});
  const Table u = without_empty_columns(t);
  REQUIRE(u.columns == std::vector<std::string>{"model", "latency_ms", "reason"});
  REQUIRE(u.precision == std::vector<int>{0, 6, 0});
  REQUIRE(u.rows.size() == 2);
  CHECK(std::get<double>(u.rows[0][1]) == 1.2345678);
  CHECK(std::holds_alternative<std::monostate>(u.rows[0][2]));
  CHECK(std::get<std::string>(u.rows[1][2]) == "clock too high");
  std::ostringstream text, csv;
  render_text(text, u);
  CHECK(text.str().find("ms_per_token") == std::string::npos);
  CHECK(text.str().find("1.23457") != std::string::npos);  // the kept column's 6 digits
  render_csv(csv, t);
  CHECK(csv.str().rfind("model,ms_per_token,latency_ms,reason,note\n", 0) == 0);
}
