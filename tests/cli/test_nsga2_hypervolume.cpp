// Issue 4 acceptance: on a space small enough for grid (dse/spaces/paper.yaml, 3,888 designs, the
// real cost model over the paper suite), nsga2 with a budget of 10% of the space reaches at least
// 95% of the hypervolume of the exhaustive front. Both fronts are read back from the databases and
// measured against one reference point (1.1 x the exhaustive front's nadir).
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "dse/pareto_archive.hpp"
#include "tests/cli/run_command.hpp"

namespace fs = std::filesystem;

namespace {

using leopard::test::run_quiet;

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  std::string x;
  while (std::getline(ss, x, ',')) f.push_back(x);
  return f;
}

// (latency_s, energy_j, area_mm2) of the run's Pareto designs, via `query pareto --format csv`.
std::vector<std::vector<double>> front(const fs::path& db) {
  std::string csv;
  REQUIRE(
      run_quiet(std::string(LEOPARD_BINARY) + " query --db " + db.string() + " pareto --format csv",
                &csv) == 0);
  std::stringstream in(csv);
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  int cols[3] = {-1, -1, -1};
  const char* names[3] = {"latency_s", "energy_j", "area_mm2"};
  for (int c = 0; c < 3; ++c) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == names[c]) cols[c] = static_cast<int>(i);
    }
    REQUIRE(cols[c] >= 0);
  }
  std::vector<std::vector<double>> points;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split(line);
    points.push_back({std::stod(f[cols[0]]), std::stod(f[cols[1]]), std::stod(f[cols[2]])});
  }
  return points;
}

}  // namespace

TEST_CASE("sweep: nsga2 with 10% of the paper space reaches >= 95% of the grid's hypervolume",
          "[cli][sweep][nsga2]") {
  const fs::path dir = fs::temp_directory_path() / "leopard_nsga2_hv";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string space = std::string(LEOPARD_SOURCE_DIR) + "/dse/spaces/paper.yaml";
  const std::string base = std::string(LEOPARD_BINARY) + " sweep --space " + space +
                           " --suite paper --format json --threads 2 --db ";
  REQUIRE(run_quiet(base + (dir / "grid.db").string() + " --strategy grid", nullptr) == 0);
  REQUIRE(run_quiet(base + (dir / "nsga2.db").string() + " --strategy nsga2 --budget 389 --seed 1",
                    nullptr) == 0);
  const auto grid = front(dir / "grid.db");
  const auto nsga2 = front(dir / "nsga2.db");
  REQUIRE(grid.size() > 10);
  REQUIRE(!nsga2.empty());
  const auto ref = leopard::dse::default_reference_point(grid);
  const double ratio = leopard::dse::hypervolume(nsga2, ref) / leopard::dse::hypervolume(grid, ref);
  WARN("nsga2 (budget 389 of 3888, seed 1) / grid hypervolume = "
       << ratio << " (fronts " << nsga2.size() << " vs " << grid.size() << ")");
  CHECK(ratio >= 0.95);
  CHECK(ratio <= 1.0 + 1e-9);
  fs::remove_all(dir);
}
