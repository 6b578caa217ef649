// End-to-end tests of `leopard-dse eval` and `leopard-dse reproduce`: output formats, row counts,
// names, and exit code 2 with a message naming the key (and file and line) on bad designs.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/run_command.hpp"

namespace {

struct Run {
  int code = -1;
  std::string out;  // stdout
  std::string all;  // stdout and stderr
};

// Runs the binary; stderr goes to a temporary file so stdout stays parseable.
Run run(const std::string& args) {
  if (std::getenv("LEOPARD_HOME") == nullptr) setenv("LEOPARD_HOME", LEOPARD_SOURCE_DIR, 1);
  const auto err_file = std::filesystem::temp_directory_path() /
                        ("leopard_eval_cli_" + std::to_string(getpid()) + ".err");
  const std::string cmd =
      std::string("'") + LEOPARD_BINARY + "' " + args + " 2>'" + err_file.string() + "'";
  Run r;
  const auto c = leopard::test::run_command(cmd);
  r.code = c.code;
  r.out = c.out;
  std::ifstream err(err_file);
  std::stringstream ss;
  ss << err.rdbuf();
  r.all = r.out + ss.str();
  std::filesystem::remove(err_file);
  return r;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A scratch directory removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("leopard_eval_cli_" + std::to_string(getpid()) + "_" + std::to_string(rand()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  for (const char c : line) {
    if (c == ',') {
      f.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  f.push_back(cur);
  return f;
}

// (model, task) of workloads/data/paper_suite.csv, in file order.
std::vector<std::pair<std::string, std::string>> paper_tasks() {
  std::ifstream in(std::string(LEOPARD_SOURCE_DIR) + "/workloads/data/paper_suite.csv");
  std::string line;
  bool header = false;
  std::vector<std::pair<std::string, std::string>> out;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    const auto f = split(line);
    out.emplace_back(f.at(0), f.at(1));
  }
  return out;
}

}  // namespace

TEST_CASE("eval --format json: one object per task plus the summary", "[cli][eval]") {
  const Run r = run("eval --arch leopard-hp --task 'bert-base/*' --format json");
  INFO(r.all);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.is_array());
  // paper_suite.csv: bert-base has 9 GLUE tasks and SQuAD.
  std::size_t expected = 0;
  for (const auto& [model, task] : paper_tasks()) expected += model == "bert-base" ? 1 : 0;
  REQUIRE(expected == 10);
  REQUIRE(j.size() == expected + 1);
  for (std::size_t i = 0; i < expected; ++i) {
    const auto& o = j[i];
    CHECK(o.at("model") == "bert-base");
    CHECK(o.at("speedup").get<double>() > 1.0);
    CHECK(o.at("energy_reduction").get<double>() > 0.0);
    CHECK(o.at("cycles").get<double>() > 0.0);
    CHECK(o.at("latency_ms").get<double>() > 0.0);
    CHECK(o.at("energy_dram_uj").get<double>() > 0.0);  // DRAM counted without --onchip-only
    const std::string b = o.at("bottleneck");
    CHECK((b == "front_end" || b == "back_end" || b == "dram"));
  }
  CHECK(j.back().at("model") == "all");
}

TEST_CASE("eval --onchip-only agrees with reproduce", "[cli][eval]") {
  // The same design, suite and methodology through two commands: the same HP speedups.
  const Run e = run("eval --arch leopard-hp --task 'memn2n/*' --onchip-only --format json");
  INFO(e.all);
  REQUIRE(e.code == 0);
  const Run rep = run("reproduce --format csv");
  REQUIRE(rep.code == 0);
  std::map<std::string, double> hp;
  std::istringstream in(rep.out);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const auto f = split(line);
    if (f.size() >= 5 && f[2] == "hp") hp[f[0] + "/" + f[1]] = std::stod(f[3]);
  }
  const auto j = nlohmann::json::parse(e.out);
  REQUIRE(j.size() > 1);
  for (std::size_t i = 0; i + 1 < j.size(); ++i) {
    const std::string key =
        j[i].at("model").get<std::string>() + "/" + j[i].at("task").get<std::string>();
    INFO(key);
    REQUIRE(hp.count(key) == 1);
    CHECK(j[i].at("speedup").get<double>() == Approx(hp[key]).epsilon(1e-6));
    CHECK(j[i].at("energy_dram_uj").get<double>() == 0.0);
  }
}

TEST_CASE("eval: unknown preset, bad override keys and values exit 2 naming them", "[cli][eval]") {
  const Run preset = run("eval --arch nonexistent");
  INFO(preset.all);
  CHECK(preset.code == 2);
  CHECK(has(preset.all, "nonexistent"));

  const Run typo = run("eval --set qk.dpuz=3");
  INFO(typo.all);
  CHECK(typo.code == 2);
  CHECK(has(typo.all, "qk.dpuz"));
  CHECK(has(typo.all, "qk.dpus"));  // the suggestion

  const Run zero = run("eval --set qk.dpus=0");
  INFO(zero.all);
  CHECK(zero.code == 2);
  CHECK(has(zero.all, "qk.dpus"));

  const Run text = run("eval --set qk.lanes=many");
  CHECK(text.code == 2);
  CHECK(has(text.all, "qk.lanes"));

  const Run no_eq = run("eval --set qk.dpus");
  CHECK(no_eq.code == 2);
  CHECK(has(no_eq.all, "key=value"));
}

TEST_CASE("eval: a bad architecture file exits 2 naming the file, line and key", "[cli][eval]") {
  const TempDir dir;
  SECTION("unknown nested key") {
    const std::string file = dir.write("typo.yaml",
                                       "# a design with a typo\n"
                                       "base: leopard-ae\n"
                                       "qk:\n"
                                       "  dpus: 6\n"
                                       "  dpuz: 3\n");
    const Run r = run("eval --arch '" + file + "'");
    INFO(r.all);
    CHECK(r.code == 2);
    CHECK(has(r.all, file + ":5"));
    CHECK(has(r.all, "qk.dpuz"));
  }
  SECTION("value out of range in a nested flow map") {
    const std::string file = dir.write("zero.yaml", "base: leopard-ae\nqk: {dpus: 0}\n");
    const Run r = run("eval --arch '" + file + "'");
    INFO(r.all);
    CHECK(r.code == 2);
    CHECK(has(r.all, file + ":2"));
    CHECK(has(r.all, "qk.dpus"));
  }
  SECTION("YAML syntax error") {
    const std::string file = dir.write("broken.yaml",
                                       "base: leopard-ae\n"
                                       "qk:\n"
                                       "  dpus: [6, 8\n"
                                       "v: {macs: 64}\n");
    const Run r = run("eval --arch '" + file + "'");
    INFO(r.all);
    CHECK(r.code == 2);
    CHECK(has(r.all, file + ":"));
    CHECK(has(r.all, "syntax"));
  }
  SECTION("unknown top-level key") {
    const std::string file = dir.write("top.yaml", "base: leopard-ae\ntile: 3\n");
    const Run r = run("eval --arch '" + file + "'");
    INFO(r.all);
    CHECK(r.code == 2);
    CHECK(has(r.all, file + ":2"));
    CHECK(has(r.all, "'tile'"));
  }
}

TEST_CASE("reproduce --format csv: 86 rows named as in paper_suite.csv", "[cli][reproduce]") {
  const Run r = run("reproduce --format csv");
  INFO(r.all.substr(0, 3000));
  REQUIRE(r.code == 0);
  std::istringstream in(r.out);
  std::string line;
  REQUIRE(std::getline(in, line));
  const auto header = split(line);
  REQUIRE(header.size() >= 5);
  CHECK(header[0] == "model");
  CHECK(header[1] == "task");
  CHECK(header[2] == "config");
  CHECK(header[3] == "speedup");
  CHECK(header[4] == "energy_reduction");
  std::multiset<std::string> got;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split(line);
    ++rows;
    REQUIRE(f.size() == header.size());
    CHECK((f[2] == "ae" || f[2] == "hp"));
    CHECK(std::stod(f[3]) > 0);
    CHECK(std::stod(f[4]) > 0);
    got.insert(f[0] + "/" + f[1] + "/" + f[2]);
  }
  CHECK(rows == 86);
  std::multiset<std::string> want;
  for (const auto& [model, task] : paper_tasks()) {
    want.insert(model + "/" + task + "/ae");
    want.insert(model + "/" + task + "/hp");
  }
  CHECK(want.size() == 86);
  CHECK(got == want);
}
