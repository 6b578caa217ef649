// Issues 4 and 5: the same sweep with the same seed gives identical tables (apart from run ids and
// timestamps) at 1 and 2 threads, for every strategy: the real cost model on the paper suite, the
// databases compared through `export --format csv` (designs, parameters, metrics, in order) and
// `query pareto --format csv`.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/cli/run_command.hpp"

namespace fs = std::filesystem;

namespace {

using leopard::test::run_quiet;

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("sweep: same seed gives identical tables at 1 and 2 threads for every strategy",
          "[cli][sweep][determinism]") {
  const fs::path dir = fs::temp_directory_path() / "leopard_sweep_determinism";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string bin = LEOPARD_BINARY;
  const std::string space = std::string(LEOPARD_SOURCE_DIR) + "/dse/spaces/paper.yaml";
  for (const std::string strategy : {"grid", "random", "nsga2"}) {
    std::string exports[2], fronts[2];
    for (int threads = 1; threads <= 2; ++threads) {
      const fs::path db = dir / (strategy + std::to_string(threads) + ".db");
      const fs::path csv = dir / (strategy + std::to_string(threads) + ".csv");
      std::string cmd = bin + " sweep --space " + space + " --suite paper --strategy " + strategy +
                        " --seed 7 --threads " + std::to_string(threads) + " --format json --db " +
                        db.string();
      if (strategy != "grid") cmd += " --budget 300";
      INFO(cmd);
      REQUIRE(run_quiet(cmd) == 0);
      REQUIRE(run_quiet(bin + " export --db " + db.string() + " --format csv -o " + csv.string()) ==
              0);
      exports[threads - 1] = slurp(csv);
      REQUIRE(run_quiet(bin + " query --db " + db.string() + " pareto --format csv",
                        &fronts[threads - 1]) == 0);
    }
    INFO(strategy);
    CHECK(!exports[0].empty());
    CHECK(exports[0] == exports[1]);
    CHECK(fronts[0] == fronts[1]);
  }
  fs::remove_all(dir);
}
