// The bad-input corpus (tests/bad_inputs/manifest.tsv) run through the binary: every entry exits 2
// with a message that names the file (and line / field where the manifest says), without a crash,
// a sanitizer report or a core dump, and without creating or modifying any file (databases,
// outputs, the input itself). Entries marked known_failure are run and listed, not asserted.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kSource = LEOPARD_SOURCE_DIR;
const fs::path kCorpus = kSource / "tests" / "bad_inputs";

struct Entry {
  int line_no = 0;       // line in the manifest
  std::string file;      // under tests/bad_inputs/, or "-"
  std::string args;      // with {file}, {data}, {tmp}
  std::string fragment;  // "-" = none
  std::string line;      // "-" = none
  std::string field;     // "-" = none
  std::string names;     // "-" = tests/bad_inputs/<file>; "none"; or a text
  std::string known_failure;
};

std::vector<std::string> split_tabs(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, '\t')) out.push_back(cur);
  return out;
}

std::vector<Entry> load_manifest() {
  std::ifstream in(kCorpus / "manifest.tsv");
  REQUIRE(in.good());
  std::vector<Entry> out;
  std::string text;
  for (int no = 1; std::getline(in, text); ++no) {
    if (text.empty() || text[0] == '#') continue;
    const auto f = split_tabs(text);
    INFO("manifest.tsv line " << no << ": " << text);
    REQUIRE(f.size() == 7);
    out.push_back({no, f[0], f[1], f[2], f[3], f[4], f[5], f[6]});
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every regular file under `dir` with its bytes (the "nothing created or modified" check).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = slurp(e.path());
  }
  return out;
}

struct Outcome {
  int code = -1;      // exit code, -1 when killed by a signal
  int signal = 0;     // the signal when killed
  bool core = false;  // core dumped
  std::string err;    // stderr
};

// Runs the binary from the source root with a time limit; stdout is discarded.
Outcome run_binary(const std::string& args, const fs::path& tmp) {
  const fs::path err_file = tmp.parent_path() / (tmp.filename().string() + ".stderr");
  const std::string cmd =
      "cd '" + kSource.string() + "' && ulimit -c 0 && exec timeout -s KILL 120 '" +
      std::string(LEOPARD_BINARY) + "' " + args + " >/dev/null 2>'" + err_file.string() + "'";
  const int status = std::system(cmd.c_str());
  Outcome o;
  if (WIFEXITED(status)) {
    o.code = WEXITSTATUS(status);
    // timeout(1) reports a child killed by signal S as 128 + S (137 when it timed out).
    if (o.code > 128) o.signal = o.code - 128;
  } else if (WIFSIGNALED(status)) {
    o.signal = WTERMSIG(status);
    o.core = WCOREDUMP(status);
  }
  o.err = slurp(err_file);
  fs::remove(err_file);
  return o;
}

// Checks one entry; returns the list of problems (empty = pass).
std::vector<std::string> check_entry(const Entry& e, const fs::path& tmp) {
  std::vector<std::string> problems;
  const std::string rel = "tests/bad_inputs/" + e.file;
  std::string args = replace_all(e.args, "{file}", rel);
  args = replace_all(args, "{data}", "tests/data");
  args = replace_all(args, "{tmp}", tmp.string());

  const auto corpus_before = snapshot(kCorpus);
  const Outcome o = run_binary(args, tmp);
  const auto corpus_after = snapshot(kCorpus);

  if (o.signal != 0) problems.push_back("killed by signal " + std::to_string(o.signal));
  if (o.core) problems.push_back("core dumped");
  if (o.code != 2) problems.push_back("exit code " + std::to_string(o.code) + ", expected 2");
  for (const char* bad : {"terminate called", "Assertion", "AddressSanitizer", "LeakSanitizer",
                          "runtime error:", "Segmentation fault", "core dumped", "Aborted"}) {
    if (o.err.find(bad) != std::string::npos)
      problems.push_back(std::string("stderr has '") + bad + "'");
  }
  if (o.err.find("error") == std::string::npos) problems.push_back("no error message on stderr");
  if (e.fragment != "-" && o.err.find(e.fragment) == std::string::npos) {
    problems.push_back("message lacks '" + e.fragment + "'");
  }
  const std::string name = e.names == "-" ? rel : e.names;
  if (e.names != "none" && o.err.find(name) == std::string::npos) {
    problems.push_back("message does not name the file '" + name + "'");
  }
  if (e.line != "-" && o.err.find(name + ":" + e.line) == std::string::npos) {
    problems.push_back("message does not name line " + name + ":" + e.line);
  }
  if (e.field != "-" && o.err.find(e.field) == std::string::npos) {
    problems.push_back("message does not name the field '" + e.field + "'");
  }
  // Nothing created or modified: the scratch folder stays empty, the corpus byte-identical.
  for (const auto& [f, bytes] : snapshot(tmp)) {
    problems.push_back("created " + f + " (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (corpus_after != corpus_before) {
    problems.push_back("modified or created files in tests/bad_inputs/");
    for (const auto& [f, bytes] : corpus_after) {
      if (!corpus_before.count(f)) fs::remove(kCorpus / f);
    }
    for (const auto& [f, bytes] : corpus_before) {
      const auto it = corpus_after.find(f);
      if (it == corpus_after.end() || it->second != bytes) {
        std::ofstream(kCorpus / f, std::ios::binary | std::ios::trunc) << bytes;
      }
    }
  }
  if (!problems.empty()) {
    problems.insert(problems.begin(),
                    "leopard-dse " + args + "\n    stderr: " + o.err.substr(0, 400));
  }
  return problems;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("leopard_bad_inputs_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("bad inputs: the manifest covers at least 40 corpus files, all of them present",
          "[cli][bad_inputs]") {
  const auto entries = load_manifest();
  std::set<std::string> files;
  for (const auto& e : entries) {
    if (e.file == "-") continue;
    INFO("manifest line " << e.line_no << ": " << e.file);
    CHECK(fs::is_regular_file(kCorpus / e.file));
    files.insert(e.file);
  }
  CHECK(files.size() >= 40);
  // Every corpus file is used by some entry (a file nobody runs tests nothing).
  const std::set<std::string> helpers = {"manifest.tsv", "gen_npy.py", "good_k_2x4x8.npy"};
  for (const auto& d : fs::directory_iterator(kCorpus)) {
    const std::string f = d.path().filename().string();
    if (helpers.count(f)) continue;
    bool used = files.count(f) > 0;
    for (const auto& e : entries) used = used || e.args.find(f) != std::string::npos;
    INFO("corpus file not in the manifest: " << f);
    CHECK(used);
  }
}

TEST_CASE("bad inputs: the runner sees a good input succeed (so a 2 below is the binary's)",
          "[cli][bad_inputs]") {
  const fs::path tmp = fresh_dir("selfcheck");
  const Outcome ok = run_binary("stats check tests/data/workloads/good_stats.csv", tmp);
  CHECK(ok.code == 0);
  CHECK(ok.signal == 0);
  const Outcome usage = run_binary("stats check", tmp);
  CHECK(usage.code == 2);
  fs::remove_all(tmp);
}

TEST_CASE("bad inputs: every corpus entry exits 2 with a located message and touches nothing",
          "[cli][bad_inputs]") {
  const auto entries = load_manifest();
  REQUIRE(entries.size() >= 40);
  std::vector<std::string> known, fixed;
  int checked = 0;
  for (const auto& e : entries) {
    const fs::path tmp = fresh_dir("entry" + std::to_string(e.line_no));
    const auto problems = check_entry(e, tmp);
    fs::remove_all(tmp);
    std::string text;
    for (const auto& p : problems) text += "\n  " + p;
    if (e.known_failure != "-") {
      if (problems.empty()) {
        fixed.push_back(e.file + " (manifest line " + std::to_string(e.line_no) + ")");
      } else {
        known.push_back(e.file + ": " + e.known_failure);
      }
      continue;
    }
    INFO("manifest line " << e.line_no << " (" << e.file << "):" << text);
    CHECK(problems.empty());
    ++checked;
  }
  std::string summary = std::to_string(checked) + " entries checked; " +
                        std::to_string(known.size()) + " known failures skipped:";
  for (const auto& k : known) summary += "\n  " + k;
  WARN(summary);
  if (!fixed.empty()) {
    std::string f = "known failures that now pass (drop their known_failure mark):";
    for (const auto& x : fixed) f += "\n  " + x;
    WARN(f);
  }
}
