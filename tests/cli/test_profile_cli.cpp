// End-to-end tests of `leopard-dse profile`: a small Q/K pair profiled to a statistics CSV whose
// counts are checked against exact dot products, and malformed inputs that must exit with code 2.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "workloads/profile/bitserial.hpp"
#include "workloads/stats.hpp"

namespace fs = std::filesystem;

namespace {

fs::path work_dir() {
  const fs::path dir = fs::temp_directory_path() / "leopard_profile_cli_test";
  fs::create_directories(dir);
  return dir;
}

// Runs the binary with `args`; returns the exit code and captures stderr.
int run(const std::string& args, std::string* err = nullptr) {
  const fs::path err_file = work_dir() / "stderr.txt";
  const std::string cmd =
      std::string("'") + LEOPARD_BINARY + "' " + args + " >/dev/null 2>'" + err_file.string() + "'";
  const int status = std::system(cmd.c_str());
  if (err) {
    std::ifstream in(err_file);
    std::stringstream ss;
    ss << in.rdbuf();
    *err = ss.str();
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Writes a little-endian .npy (version 1.0, C order).
template <typename T>
void write_npy(const fs::path& path, const std::string& descr,
               const std::vector<std::int64_t>& shape, const std::vector<T>& values) {
  std::string shape_text = "(";
  for (const auto s : shape) shape_text += std::to_string(s) + ", ";
  shape_text += ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  std::string data(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(data.data(), values.data(), data.size());
  std::ofstream f(path, std::ios::binary);
  f << out << data;
}

std::vector<std::string> data_lines(const fs::path& csv) {
  std::ifstream in(csv);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

std::vector<std::int64_t> split_ints(const std::string& line, std::size_t skip) {
  std::vector<std::int64_t> out;
  std::stringstream ss(line);
  std::string field;
  std::size_t i = 0;
  while (std::getline(ss, field, ',')) {
    if (i++ >= skip) out.push_back(std::stoll(field));
  }
  return out;
}

}  // namespace

TEST_CASE("profile: integer Q/K -> statistics CSV with exact counts", "[cli][profile]") {
  const int h = 2, sq = 7, sk = 9, d = 8;
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> val(-2047, 2047);
  std::vector<std::int16_t> q(static_cast<std::size_t>(h * sq * d));
  std::vector<std::int16_t> k(static_cast<std::size_t>(h * sk * d));
  for (auto& v : q) v = static_cast<std::int16_t>(val(rng));
  for (auto& v : k) v = static_cast<std::int16_t>(val(rng));
  const fs::path dir = work_dir();
  write_npy(dir / "q.npy", "<i2", {h, sq, d}, q);
  write_npy(dir / "k.npy", "<i2", {h, sk, d}, k);
  const std::int64_t th = 1000000;

  for (const bool causal : {false, true}) {
    const fs::path out = dir / (causal ? "causal.csv" : "full.csv");
    std::string err;
    const int rc =
        run("profile --q '" + (dir / "q.npy").string() + "' --k '" + (dir / "k.npy").string() +
                "' --threshold " + std::to_string(th) + " --model bert-base --task unit --layer 3" +
                (causal ? " --causal" : "") + " -o '" + out.string() + "'",
            &err);
    INFO(err);
    REQUIRE(rc == 0);
    CHECK(err.empty());  // stderr is not a terminal: no progress, no summary

    const auto lines = data_lines(out);
    REQUIRE(lines.size() == 1 + h);
    CHECK(lines[0] ==
          "model,task,layer,head,seq_len,n_scores,n_pruned,t1,t2,t3,t4,t5,t6,t7,t8,t9,"
          "t10,t11,t12");
    for (int head = 0; head < h; ++head) {
      // Expected counts: exact dot products (pruned iff q.k < Th) and the scalar reference's b1.
      std::int64_t n_scores = 0, n_pruned = 0;
      std::vector<std::int64_t> hist(12, 0);
      std::vector<std::int32_t> qi(d), ki(d);
      for (int i = 0; i < sq; ++i) {
        for (int j = 0; j < (causal ? std::min(i + 1, sk) : sk); ++j) {
          std::int64_t dot = 0;
          for (int l = 0; l < d; ++l) {
            qi[static_cast<std::size_t>(l)] = q[static_cast<std::size_t>((head * sq + i) * d + l)];
            ki[static_cast<std::size_t>(l)] = k[static_cast<std::size_t>((head * sk + j) * d + l)];
            dot += std::int64_t{qi[static_cast<std::size_t>(l)]} * ki[static_cast<std::size_t>(l)];
          }
          ++n_scores;
          if (dot < th) {
            ++n_pruned;
            const auto dec =
                leopard::workloads::profile::emulate_score(qi.data(), ki.data(), d, th, 12);
            REQUIRE(dec.pruned);
            ++hist[static_cast<std::size_t>(dec.b1 - 1)];
          }
        }
      }
      const std::string prefix = "bert-base,unit,3," + std::to_string(head) + ",9,";
      const std::string& line = lines[static_cast<std::size_t>(1 + head)];
      REQUIRE(line.rfind(prefix, 0) == 0);
      const auto nums = split_ints(line, 4);
      REQUIRE(nums.size() == 3 + 12);
      CHECK(nums[1] == n_scores);
      CHECK(nums[2] == n_pruned);
      CHECK(std::vector<std::int64_t>(nums.begin() + 3, nums.end()) == hist);
      CHECK(n_pruned > 0);
      CHECK(n_pruned < n_scores);
    }

    // The file is a valid statistics CSV.
    const auto table = leopard::workloads::load_stats_csv(out);
    CHECK(table.n_bits == 12);
    REQUIRE(table.rows.size() == static_cast<std::size_t>(h));
    CHECK(table.rows[0].layer == 3);
    CHECK(table.rows[1].head == 1);
  }
}

TEST_CASE("profile: float tensors, thresholds file and calibration", "[cli][profile]") {
  const int h = 3, s = 16, d = 16;
  std::mt19937 rng(5);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<float> q(static_cast<std::size_t>(2 * h * s * d)), k(q.size());
  for (auto& v : q) v = static_cast<float>(g(rng));
  for (auto& v : k) v = static_cast<float>(g(rng));
  const fs::path dir = work_dir();
  write_npy(dir / "qf.npy", "<f4", {2, h, s, d}, q);
  write_npy(dir / "kf.npy", "<f4", {2, h, s, d}, k);

  const std::string io =
      " --q '" + (dir / "qf.npy").string() + "' --k '" + (dir / "kf.npy").string() + "'";
  {
    std::ofstream th(dir / "th.csv");
    th << "layer,threshold\n0,-1.5\n1,0.5\n";
  }
  std::string err;
  REQUIRE(run("profile" + io + " --thresholds '" + (dir / "th.csv").string() + "' -o '" +
                  (dir / "f.csv").string() + "'",
              &err) == 0);
  const auto table = leopard::workloads::load_stats_csv(dir / "f.csv");
  REQUIRE(table.rows.size() == 2 * h);
  double rate0 = 0, rate1 = 0;
  for (const auto& r : table.rows) (r.layer == 0 ? rate0 : rate1) += r.stats.prune_rate() / h;
  CHECK(rate0 < rate1);  // higher threshold, more pruning
  CHECK(rate1 > 0.3);

  REQUIRE(run("profile" + io + " --calibrate --target-rate 0.7 --causal -o '" +
                  (dir / "c.csv").string() + "'",
              &err) == 0);
  const auto cal = leopard::workloads::load_stats_csv(dir / "c.csv");
  for (int layer = 0; layer < 2; ++layer) {
    double scores = 0, pruned = 0;
    for (const auto& r : cal.rows) {
      if (r.layer != layer) continue;
      scores += r.stats.n_scores;
      pruned += r.stats.n_pruned;
      CHECK(r.stats.n_scores == s * (s + 1) / 2);
    }
    CHECK(pruned / scores <= 0.7);
    CHECK(pruned / scores > 0.65);
  }
}

TEST_CASE("profile: malformed inputs exit 2 with a message", "[cli][profile]") {
  const fs::path dir = work_dir();
  write_npy(dir / "good_q.npy", "<i2", {4, 8}, std::vector<std::int16_t>(32, 5));
  write_npy(dir / "good_k.npy", "<i2", {6, 8}, std::vector<std::int16_t>(48, -5));
  write_npy(dir / "wide_k.npy", "<i2", {6, 4}, std::vector<std::int16_t>(24, 1));
  write_npy(dir / "big_k.npy", "<i2", {6, 8}, std::vector<std::int16_t>(48, 3000));
  write_npy(dir / "u_k.npy", "<u2", {6, 8}, std::vector<std::uint16_t>(48, 1));
  {
    std::ofstream bad(dir / "bad_magic.npy");
    bad << "this is not a numpy file at all";
  }
  {
    std::ifstream in(dir / "good_k.npy", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream out(dir / "short_k.npy", std::ios::binary);
    out << bytes.substr(0, bytes.size() - 5);
  }
  const auto cmd = [&](const std::string& k, const std::string& extra = " --threshold 0") {
    return "profile --q '" + (dir / "good_q.npy").string() + "' --k '" + (dir / k).string() + "'" +
           extra + " -o '" + (dir / "out.csv").string() + "'";
  };
  struct Bad {
    std::string k, extra, needle;
  };
  const std::vector<Bad> cases{
      {"bad_magic.npy", " --threshold 0", "bad magic"},
      {"short_k.npy", " --threshold 0", "truncated data"},
      {"u_k.npy", " --threshold 0", "unsupported dtype"},
      {"wide_k.npy", " --threshold 0", "does not match"},
      {"big_k.npy", " --threshold 0", "does not fit 12-bit"},
      {"missing.npy", " --threshold 0", "missing.npy"},
      {"good_k.npy", " --threshold 0 --qk-bits 40", "--qk-bits"},
      {"good_k.npy", "", "exactly one of"},
  };
  for (const auto& c : cases) {
    std::string err;
    INFO(c.k << c.extra);
    CHECK(run(cmd(c.k, c.extra), &err) == 2);
    CHECK_THAT(err, Catch::Contains(c.needle));
  }
  std::string err;
  CHECK(run(cmd("good_k.npy", " --threshold 0 --calibrate --target-rate 0.5"), &err) == 2);
  CHECK(run(cmd("good_k.npy", " --threshold 0 --qk-bits 3"), &err) == 2);  // 5 needs > 3 bits
  CHECK(run(cmd("good_k.npy", " --threshold 0"), &err) == 0);
}
