// The product cites only its own documentation: no file of the repository points outside it (the
// developer notes beside the repository, `../shared/...`), every `docs/NAME.md` it names exists,
// and every section it cites there (`docs/cost-model.md §4.2`, `docs/cost-model.md, "Back end"`)
// resolves to a heading of that file.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = LEOPARD_SOURCE_DIR;

// Files whose out-of-repository citations are tolerated for a while (glob patterns, `*` matches
// any characters, `/` included), e.g. during a migration. Empty: no file may cite outside. An
// entry that no longer holds an offence is reported with a warning (remove it).
const std::vector<std::string> kKnownOffenders = {};

// The developer notes that are not part of the product. Spelled in pieces so that this file does
// not cite them itself.
const std::array<std::string, 5> kDeveloperDocs = {"references", "leopard", "design", "llm",
                                                   "style"};
const std::string kMd = std::string(".") + "md";
const std::string kShared = std::string("shar") + "ed";
const std::string kSection = "\xC2\xA7";  // the section sign, UTF-8

bool glob_match(const char* pattern, const char* text) {
  if (*pattern == '\0') return *text == '\0';
  if (*pattern == '*') {
    for (const char* t = text;; ++t) {
      if (glob_match(pattern + 1, t)) return true;
      if (*t == '\0') return false;
    }
  }
  return *pattern == *text && glob_match(pattern + 1, text + 1);
}

bool is_known_offender(const std::string& rel) {
  for (const auto& p : kKnownOffenders) {
    if (glob_match(p.c_str(), rel.c_str())) return true;
  }
  return false;
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Headings of a docs file: their section numbers ("4.2") and their texts (lower case).
struct Headings {
  bool exists = false;
  std::vector<std::string> numbers;
  std::vector<std::string> texts;
};

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Headings read_headings(const fs::path& file) {
  Headings h;
  std::ifstream in(file);
  if (!in) return h;
  h.exists = true;
  std::string line;
  bool fenced = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) fenced = !fenced;
    if (fenced || line.empty() || line[0] != '#') continue;
    std::size_t i = line.find_first_not_of('#');
    if (i == std::string::npos || line[i] != ' ') continue;
    const std::string text = line.substr(i + 1);
    h.texts.push_back(lower(text));
    std::size_t j = 0;
    while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.')) ++j;
    std::string number = text.substr(0, j);
    while (!number.empty() && number.back() == '.') number.pop_back();
    if (!number.empty()) h.numbers.push_back(number);
  }
  return h;
}

class Checker {
 public:
  explicit Checker(fs::path root) : root_(std::move(root)) {}

  // The offences of one line, each a short explanation (empty: the line is clean).
  std::vector<std::string> check_line(const std::string& line) {
    std::vector<std::string> out;
    for (const std::string& bad :
         {"../" + kShared, "/" + kShared + "/docs", "/" + kShared + "/data", kShared + "/docs/",
          kShared + "/data/"}) {
      if (line.find(bad) != std::string::npos) out.push_back("points outside the repository");
    }
    // Developer notes by name, unless it is the repository's own docs/NAME.md (checked below).
    for (const std::string& name : kDeveloperDocs) {
      const std::string file = name + kMd;
      for (std::size_t at = line.find(file); at != std::string::npos;
           at = line.find(file, at + 1)) {
        if (at > 0 && name_char(line[at - 1])) continue;  // another file's name ends like this
        if (at >= 5 && line.compare(at - 5, 5, "docs/") == 0) continue;
        out.push_back("cites the developer note " + file + " (use docs/)");
      }
    }
    // docs/NAME.md must exist, and a cited section must be one of its headings.
    for (std::size_t at = line.find("docs/"); at != std::string::npos;
         at = line.find("docs/", at + 1)) {
      if (at > 0 && name_char(line[at - 1])) continue;
      std::size_t end = at + 5;
      while (end < line.size() && name_char(line[end])) ++end;
      if (line.compare(end, kMd.size(), kMd) != 0) continue;  // docs/figures/..., not a page
      const std::string doc = line.substr(at, end + kMd.size() - at);
      const Headings& h = headings(doc);
      if (!h.exists) {
        out.push_back(doc + " does not exist");
        continue;
      }
      std::size_t rest = end + kMd.size();
      while (rest < line.size() && line[rest] == ' ') ++rest;
      std::string number;
      if (line.compare(rest, kSection.size(), kSection) == 0) {
        rest += kSection.size();
      } else if (line.compare(rest, 8, "section ") == 0) {
        rest += 8;
      } else if (line.compare(rest, 3, ", \"") == 0) {
        const std::size_t close = line.find('"', rest + 3);
        if (close == std::string::npos) continue;
        const std::string name = lower(line.substr(rest + 3, close - rest - 3));
        bool found = false;
        for (const auto& t : h.texts) found = found || t.find(name) != std::string::npos;
        if (!found) out.push_back(doc + " has no heading \"" + name + "\"");
        continue;
      } else {
        continue;  // the whole file
      }
      while (rest < line.size() &&
             ((line[rest] >= '0' && line[rest] <= '9') || line[rest] == '.')) {
        number += line[rest++];
      }
      while (!number.empty() && number.back() == '.') number.pop_back();
      if (number.empty()) continue;
      bool found = false;
      for (const auto& n : h.numbers) found = found || n == number;
      if (!found) out.push_back(doc + " has no section " + number);
    }
    return out;
  }

 private:
  const Headings& headings(const std::string& doc) {
    auto it = cache_.find(doc);
    if (it == cache_.end()) it = cache_.emplace(doc, read_headings(root_ / doc)).first;
    return it->second;
  }

  fs::path root_;
  std::map<std::string, Headings> cache_;
};

// The repository's files, relative to the root: `git ls-files` when the tree is a git checkout,
// else every file but build trees (a folder with a CMakeCache.txt) and .git.
std::vector<std::string> repository_files() {
  std::vector<std::string> files;
  const std::string cmd = "git -C \"" + kRoot.string() + "\" ls-files -z 2>/dev/null";
  if (FILE* pipe = popen(cmd.c_str(), "r")) {
    std::string all;
    char buf[65536];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) all.append(buf, n);
    const int status = pclose(pipe);
    if (status == 0) {
      std::size_t start = 0;
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i] == '\0') {
          if (i > start) files.push_back(all.substr(start, i - start));
          start = i + 1;
        }
      }
    }
  }
  if (!files.empty()) return files;
  for (auto it = fs::recursive_directory_iterator(kRoot); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory()) {
      const auto name = it->path().filename().string();
      if (name == ".git" || fs::exists(it->path() / "CMakeCache.txt"))
        it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.push_back(fs::relative(it->path(), kRoot).generic_string());
  }
  return files;
}

bool is_text(const std::string& content) { return content.find('\0', 0) == std::string::npos; }

}  // namespace

TEST_CASE("citations: the checker finds what it must and passes what it may", "[docs]") {
  Checker c(kRoot);
  const std::string shared = "../" + kShared;
  CHECK_FALSE(c.check_line("see " + shared + "/docs/x" + kMd + " section 2").empty());
  CHECK_FALSE(c.check_line("/work/" + kShared + "/data/paper_suite.csv").empty());
  CHECK_FALSE(c.check_line("// (references" + kMd + ", LPDDR4)").empty());
  CHECK_FALSE(c.check_line("# leopard" + kMd + " sec. 5").empty());
  CHECK_FALSE(c.check_line("docs/leopard" + kMd).empty());  // no such page
  CHECK_FALSE(c.check_line("docs/cost-model.md " + kSection + "99").empty());
  CHECK_FALSE(c.check_line("docs/cost-model.md, \"No such heading\"").empty());
  CHECK_FALSE(c.check_line("docs/paper-facts.md section 42").empty());
  CHECK(c.check_line("docs/references.md " + kSection + "4").empty());
  CHECK(c.check_line("(docs/cost-model.md " + kSection + "4.2, then " + kSection + "9)").empty());
  CHECK(c.check_line("docs/cost-model.md, \"Back end\"").empty());
  CHECK(c.check_line("docs/paper-facts.md section 5").empty());
  CHECK(c.check_line("docs/figures/pareto_front.png").empty());
  CHECK(c.check_line("my_references" + kMd + " and README.md").empty());
}

TEST_CASE("citations: no file of the repository cites outside it", "[docs]") {
  Checker checker(kRoot);
  const std::vector<std::string> files = repository_files();
  REQUIRE(files.size() > 50);  // the walk found the repository
  const std::string self = "tests/unit/models/doc_citations_test.cpp";
  std::vector<std::string> offences;
  std::map<std::string, int> tolerated;  // known offenders: offences per pattern-matched file
  std::size_t checked = 0;
  for (const std::string& rel : files) {
    if (rel == self) continue;
    std::ifstream in(kRoot / rel, std::ios::binary);
    if (!in) continue;  // deleted in the working tree
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string content = ss.str();
    if (!is_text(content)) continue;
    ++checked;
    const bool known = is_known_offender(rel);
    std::istringstream lines(content);
    std::string line;
    int no = 0;
    while (std::getline(lines, line)) {
      ++no;
      for (const std::string& why : checker.check_line(line)) {
        if (known) {
          ++tolerated[rel];
        } else {
          offences.push_back(rel + ":" + std::to_string(no) + ": " + why);
        }
      }
    }
  }
  INFO(checked << " text files checked");
  for (const auto& [file, n] : tolerated) {
    WARN(file << ": " << n << " tolerated citation(s) outside the repository (known offender)");
  }
  for (const auto& pattern : kKnownOffenders) {
    bool any = false;
    for (const auto& [file, n] : tolerated) any = any || glob_match(pattern.c_str(), file.c_str());
    if (!any) WARN("known offender " << pattern << " holds no offence: remove it from the list");
  }
  std::string all;
  for (const auto& o : offences) all += o + "\n";
  INFO(all);
  CHECK(offences.empty());
}

TEST_CASE("citations: the docs exist and cite their own sections correctly", "[docs]") {
  for (const char* doc : {"docs/cost-model.md", "docs/references.md", "docs/paper-facts.md"}) {
    INFO(doc);
    REQUIRE(fs::exists(kRoot / doc));
    CHECK_FALSE(read_headings(kRoot / doc).numbers.empty());
  }
}
