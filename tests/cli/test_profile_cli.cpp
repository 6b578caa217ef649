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
#include <tuple>
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
        // Causal is bottom-right: query i sees keys j <= i + sk - sq.
        for (int j = 0; j < (causal ? std::min(i + 1 + sk - sq, sk) : sk); ++j) {
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

namespace {

// Independent scalar oracle of the bit-serial rule (docs/paper-facts.md §2): after bit b (1 = sign,
// then magnitude bits MSB first) the partial score P uses the top b - 1 magnitude bits of each k,
// the bound M = C x (2^(n-b) - 1) with C = sum |q_l| over lanes whose signs agree (k = 0 positive);
// the score is pruned at the first b with P + M < Th. Returns 0 when it survives every bit.
int brute_force_bit(const std::int16_t* q, const std::int16_t* k, int d, std::int64_t th,
                    int n_bits) {
  for (int b = 1; b <= n_bits; ++b) {
    const int low = n_bits - b;  // magnitude bits not yet seen
    std::int64_t p = 0, c = 0;
    for (int l = 0; l < d; ++l) {
      const std::int64_t mag = k[l] < 0 ? -std::int64_t{k[l]} : k[l];
      const std::int64_t seen = b == 1 ? 0 : mag - mag % (std::int64_t{1} << low);
      p += std::int64_t{q[l]} * (k[l] < 0 ? -seen : seen);
      if ((q[l] < 0) == (k[l] < 0)) c += q[l] < 0 ? -std::int64_t{q[l]} : q[l];
    }
    if (p + c * ((std::int64_t{1} << low) - 1) < th) return b;
  }
  return 0;
}

}  // namespace

TEST_CASE("profile: grouped-query attention, decode and bottom-right causal against brute force",
          "[cli][profile][gqa]") {
  const int d = 8, n_bits = 12;
  std::mt19937 rng(77);
  std::uniform_int_distribution<int> val(-2047, 2047);
  struct Case {
    int hq, hkv, sq, sk;
    bool causal;
  };
  // GQA G = 2 and 4, MQA (H_kv = 1), MHA; decode (S_q = 1) with and without --causal; S_q > S_k.
  const Case cases[] = {{4, 2, 5, 11, true},  {4, 2, 5, 11, false}, {8, 2, 1, 33, true},
                        {8, 2, 1, 33, false}, {6, 1, 3, 9, true},   {3, 3, 6, 6, true},
                        {4, 2, 9, 4, true}};
  const fs::path dir = work_dir();
  for (const Case& c : cases) {
    std::vector<std::int16_t> q(static_cast<std::size_t>(c.hq * c.sq * d));
    std::vector<std::int16_t> k(static_cast<std::size_t>(c.hkv * c.sk * d));
    for (auto& v : q) v = static_cast<std::int16_t>(val(rng));
    for (auto& v : k) v = static_cast<std::int16_t>(val(rng));
    write_npy(dir / "gq.npy", "<i2", {c.hq, c.sq, d}, q);
    write_npy(dir / "gk.npy", "<i2", {c.hkv, c.sk, d}, k);
    const std::int64_t th = 400000;
    const fs::path out = dir / "gqa.csv";
    std::string err;
    const int rc =
        run("profile --q '" + (dir / "gq.npy").string() + "' --k '" + (dir / "gk.npy").string() +
                "' --threshold " + std::to_string(th) + " --model m --task t --sample 3" +
                (c.causal ? " --causal" : "") + " -o '" + out.string() + "'",
            &err);
    INFO("hq " << c.hq << " hkv " << c.hkv << " sq " << c.sq << " sk " << c.sk << " causal "
               << c.causal << ": " << err);
    REQUIRE(rc == 0);
    const auto lines = data_lines(out);
    REQUIRE(lines.size() == static_cast<std::size_t>(1 + c.hq));  // one row per query head
    CHECK(lines[0].rfind("model,task,layer,head,sample,seq_len,n_scores,n_pruned,t1,", 0) == 0);
    const int group = c.hq / c.hkv;
    std::int64_t all_pruned = 0, all_scores = 0;
    for (int h = 0; h < c.hq; ++h) {
      std::int64_t n_scores = 0, n_pruned = 0;
      std::vector<std::int64_t> hist(n_bits, 0);
      for (int i = 0; i < c.sq; ++i) {
        for (int j = 0; j < c.sk; ++j) {
          if (c.causal && j > i + c.sk - c.sq) continue;  // bottom-right causal mask
          const std::int16_t* qr = &q[static_cast<std::size_t>((h * c.sq + i) * d)];
          const std::int16_t* kr = &k[static_cast<std::size_t>(((h / group) * c.sk + j) * d)];
          ++n_scores;
          const int b = brute_force_bit(qr, kr, d, th, n_bits);
          if (b > 0) {
            ++n_pruned;
            ++hist[static_cast<std::size_t>(b - 1)];
          }
        }
      }
      const std::string& line = lines[static_cast<std::size_t>(1 + h)];
      // seq_len = max(S_q, S_k): S_k in decode.
      REQUIRE(line.rfind(
                  "m,t,0," + std::to_string(h) + ",3," + std::to_string(std::max(c.sq, c.sk)) + ",",
                  0) == 0);
      const auto nums = split_ints(line, 6);
      REQUIRE(nums.size() == static_cast<std::size_t>(2 + n_bits));
      CHECK(nums[0] == n_scores);
      CHECK(nums[1] == n_pruned);
      CHECK(std::vector<std::int64_t>(nums.begin() + 2, nums.end()) == hist);
      all_pruned += n_pruned;
      all_scores += n_scores;
    }
    CHECK(all_pruned > 0);  // the threshold splits the scores: the test can see a wrong rule
    CHECK(all_pruned < all_scores);
    const auto table = leopard::workloads::load_stats_csv(out);
    CHECK(table.has_samples);
    CHECK(table.rows.front().sample == 3);
  }
  // Mismatched heads: K's heads must divide Q's.
  write_npy(dir / "gq3.npy", "<i2", {3, 2, d}, std::vector<std::int16_t>(3 * 2 * d, 1));
  write_npy(dir / "gk2.npy", "<i2", {2, 2, d}, std::vector<std::int16_t>(2 * 2 * d, 1));
  std::string err;
  CHECK(run("profile --q '" + (dir / "gq3.npy").string() + "' --k '" + (dir / "gk2.npy").string() +
                "' --threshold 0 -o '" + (dir / "x.csv").string() + "'",
            &err) == 2);
  CHECK(err.find("K's heads must divide Q's") != std::string::npos);
  CHECK(err.find("gk2.npy") != std::string::npos);
}

TEST_CASE("profile --plane-block: share of K plane blocks alive per GQA group, brute force",
          "[cli][profile][gqa]") {
  const int d = 8, n_bits = 12, hq = 4, hkv = 2, group = hq / hkv;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> val(-2047, 2047);
  const fs::path dir = work_dir();
  for (const auto& [sq, sk, block, causal] : std::vector<std::tuple<int, int, int, bool>>{
           {3, 10, 4, true}, {1, 13, 4, false}, {2, 7, 3, false}}) {
    std::vector<std::int16_t> q(static_cast<std::size_t>(hq * sq * d));
    std::vector<std::int16_t> k(static_cast<std::size_t>(hkv * sk * d));
    for (auto& v : q) v = static_cast<std::int16_t>(val(rng));
    for (auto& v : k) v = static_cast<std::int16_t>(val(rng));
    write_npy(dir / "pq.npy", "<i2", {hq, sq, d}, q);
    write_npy(dir / "pk.npy", "<i2", {hkv, sk, d}, k);
    // High (about 1.5 sigma of the dot products): most scores pruned, some blocks fully decided
    // early, some kept alive by a survivor.
    const std::int64_t th = 6000000;
    const fs::path out = dir / "plane.csv";
    std::string err;
    REQUIRE(run("profile --q '" + (dir / "pq.npy").string() + "' --k '" +
                    (dir / "pk.npy").string() + "' --threshold " + std::to_string(th) +
                    " --plane-block " + std::to_string(block) + (causal ? " --causal" : "") +
                    " -o '" + out.string() + "'",
                &err) == 0);
    INFO(err);
    // Oracle: for each group, query row and block of visible keys, the planes needed are 1..the
    // largest termination bit over the group's scores in the block (n for a surviving score).
    std::vector<std::vector<double>> expected(static_cast<std::size_t>(hkv));
    for (int g = 0; g < hkv; ++g) {
      std::vector<std::int64_t> needed(n_bits, 0);
      std::int64_t blocks = 0;
      for (int i = 0; i < sq; ++i) {
        const int end = causal ? std::min(sk, std::max(0, i + sk - sq + 1)) : sk;
        for (int b0 = 0; b0 < end; b0 += block) {
          int deepest = 0;
          for (int h = g * group; h < (g + 1) * group; ++h) {
            for (int j = b0; j < std::min(b0 + block, end); ++j) {
              const int b =
                  brute_force_bit(&q[static_cast<std::size_t>((h * sq + i) * d)],
                                  &k[static_cast<std::size_t>((g * sk + j) * d)], d, th, n_bits);
              deepest = std::max(deepest, b == 0 ? n_bits : b);
            }
          }
          ++blocks;
          for (int b = 0; b < deepest; ++b) ++needed[static_cast<std::size_t>(b)];
        }
      }
      for (const auto n : needed) {
        expected[static_cast<std::size_t>(g)].push_back(static_cast<double>(n) /
                                                        static_cast<double>(blocks));
      }
    }
    const auto table = leopard::workloads::load_stats_csv(out);
    REQUIRE(table.rows.size() == static_cast<std::size_t>(hq));
    bool some_partial = false;
    for (const auto& row : table.rows) {
      const auto& want = expected[static_cast<std::size_t>(row.head / group)];
      REQUIRE(row.stats.plane_alive.size() == static_cast<std::size_t>(n_bits));
      for (int b = 0; b < n_bits; ++b) {
        CHECK(row.stats.plane_alive[static_cast<std::size_t>(b)] ==
              Approx(want[static_cast<std::size_t>(b)]).margin(1e-12));
        some_partial = some_partial || (want[static_cast<std::size_t>(b)] > 0 &&
                                        want[static_cast<std::size_t>(b)] < 1);
      }
      CHECK(row.stats.plane_alive[0] == 1.0);
    }
    CHECK(some_partial);  // the threshold lets blocks drop out: the shares are not all 0 or 1
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
