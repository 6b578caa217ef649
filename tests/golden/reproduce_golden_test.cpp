// Golden test of `leopard-dse reproduce --format csv`: per (model, task, config) speedup and
// energy reduction against tests/golden/data/reproduce.csv, within 0.5% relative.
//
// A REGRESSION check, not accuracy evidence: the golden file is the binary's own output, written
// after the accuracy tests against the paper (tests/golden/paper_accuracy_test.cpp) passed. It
// catches an unintended change of any of the 86 cells; the paper is the reference only there.
//
// To regenerate the golden file on purpose (after a deliberate model or calibration change), run
//   LEOPARD_UPDATE_GOLDEN=1 ctest -R reproduce_golden      (or ./tests/test_golden "[reproduce]")
// from the build directory: the test then rewrites the file from the binary's output instead of
// comparing, and says so. Review the diff before committing it.
#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/run_command.hpp"

namespace {

constexpr double kRelTol = 0.005;

std::string golden_path() {
  return std::string(LEOPARD_SOURCE_DIR) + "/tests/golden/data/reproduce.csv";
}

struct Output {
  int code = -1;
  std::string text;
};

Output run_binary(const std::string& args) {
  const auto r = leopard::test::run_command(std::string("'") + LEOPARD_BINARY + "' " + args);
  return Output{r.code, r.out};
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  bool quoted = false;
  for (const char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      f.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  f.push_back(cur);
  return f;
}

struct Row {
  double speedup = 0, energy_reduction = 0;
};
using Rows = std::map<std::string, Row>;  // key: model/task/config
struct Parsed {
  Rows rows;
  std::vector<std::string> order;
};

// Parses a CSV with (at least) the columns model, task, config, speedup, energy_reduction.
Parsed parse(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> header;
  Parsed p;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto f = split(line);
    if (header.empty()) {
      header = f;
      continue;
    }
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = f[i];
    const std::string key = row["model"] + "/" + row["task"] + "/" + row["config"];
    p.rows[key] = {std::stod(row.at("speedup")), std::stod(row.at("energy_reduction"))};
    p.order.push_back(key);
  }
  return p;
}

}  // namespace

TEST_CASE("reproduce_golden: per-task speedup and energy reduction", "[golden][reproduce]") {
  const Output out = run_binary("reproduce --format csv");
  INFO(out.text.substr(0, 2000));
  REQUIRE(out.code == 0);
  const Parsed now = parse(out.text);
  REQUIRE(now.rows.size() == 86);

  const char* update = std::getenv("LEOPARD_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream g(golden_path());
    g << "# Golden output of `leopard-dse reproduce --format csv` (shipped calibration).\n"
      << "# Regenerate: LEOPARD_UPDATE_GOLDEN=1 ctest -R reproduce_golden (see the test).\n"
      << "model,task,config,speedup,energy_reduction\n";
    g.precision(10);
    for (const auto& key : now.order) {
      const auto a = key.find('/');
      const auto b = key.rfind('/');
      g << key.substr(0, a) << ',' << key.substr(a + 1, b - a - 1) << ',' << key.substr(b + 1)
        << ',' << now.rows.at(key).speedup << ',' << now.rows.at(key).energy_reduction << '\n';
    }
    REQUIRE(g.good());
    WARN("LEOPARD_UPDATE_GOLDEN=1: rewrote " << golden_path());
    return;
  }

  std::ifstream g(golden_path());
  REQUIRE(g.good());
  std::stringstream text;
  text << g.rdbuf();
  const Parsed golden = parse(text.str());
  REQUIRE(golden.rows.size() == 86);
  for (const auto& [key, want] : golden.rows) {
    INFO(key);
    const auto it = now.rows.find(key);
    REQUIRE(it != now.rows.end());
    CHECK(it->second.speedup == Approx(want.speedup).epsilon(kRelTol));
    CHECK(it->second.energy_reduction == Approx(want.energy_reduction).epsilon(kRelTol));
  }
}
