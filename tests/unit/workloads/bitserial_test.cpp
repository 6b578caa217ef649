// Tests of the bit-serial QK emulation: the paper's Fig. 3 example, exactness properties against a
// brute-force bound computed here, and the fast path (every kernel) against the scalar reference.
#include "workloads/profile/bitserial.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

namespace prof = leopard::workloads::profile;

namespace {

// Independent oracle: the first bit b (1..n) at which P + M < Th, recomputed from the issue's
// formulas with a different decomposition (value of the unprocessed low bits subtracted).
int first_bound_violation(const std::vector<std::int32_t>& q, const std::vector<std::int32_t>& k,
                          std::int64_t th, int n_bits) {
  for (int b = 1; b <= n_bits; ++b) {
    const int r = n_bits - b;  // unprocessed magnitude bits after bit b
    std::int64_t p = 0;
    std::int64_t c = 0;
    for (std::size_t i = 0; i < q.size(); ++i) {
      const std::int64_t sk = k[i] < 0 ? -1 : 1;
      const std::int64_t a = std::llabs(k[i]);
      const std::int64_t low = a % (std::int64_t{1} << r);
      if (b > 1) p += q[i] * sk * (a - low);
      if ((q[i] < 0) == (k[i] < 0)) c += std::llabs(q[i]);
    }
    if (p + c * ((std::int64_t{1} << r) - 1) < th) return b;
  }
  return 0;
}

std::int64_t exact_dot(const std::vector<std::int32_t>& q, const std::vector<std::int32_t>& k) {
  std::int64_t s = 0;
  for (std::size_t i = 0; i < q.size(); ++i) s += std::int64_t{q[i]} * k[i];
  return s;
}

std::vector<std::int32_t> random_matrix(std::mt19937_64& rng, std::size_t n, int n_bits,
                                        int sparsity_pct = 0) {
  const auto kmax = static_cast<std::int32_t>(prof::max_magnitude(n_bits));
  std::uniform_int_distribution<std::int32_t> value(-kmax, kmax);
  std::uniform_int_distribution<int> pct(0, 99);
  std::vector<std::int32_t> out(n);
  for (auto& v : out) v = pct(rng) < sparsity_pct ? 0 : value(rng);
  return out;
}

}  // namespace

TEST_CASE("Fig. 3 worked example: 4-bit K, pruned after bit 2", "[bitserial]") {
  // q = (9, -5, 7, -2); k signs agree on the lanes with q = 9 and q = -5 (C = 14); the top
  // magnitude bits (weight 4) give P = -5 x -1 x 4 + 7 x -1 x 4 = 20 - 28 = -8 after bit 2.
  const std::vector<std::int32_t> q{9, -5, 7, -2};
  const std::vector<std::int32_t> k{3, -5, -6, 1};
  const std::int64_t th = 40;  // 5 in the paper's fractional units, x 8
  // After bit 1: P = 0, M = 14 x 7 = 98 (12.25 x 8) >= 40: not pruned yet.
  CHECK(first_bound_violation(q, k, th, 4) == 2);
  const prof::Decision d = prof::emulate_score(q.data(), k.data(), 4, th, 4);
  CHECK(d.pruned);
  CHECK(d.b1 == 2);  // after bit 2: M = 14 x 3 = 42 (5.25 x 8), P + M = 34 < 40
  // One below the margin after bit 2 (P + M = 34): Th = 34 survives bit 2 and is decided later.
  const prof::Decision later = prof::emulate_score(q.data(), k.data(), 4, 34, 4);
  CHECK(later.pruned);  // exact q.k = 8 < 34
  CHECK(later.b1 > 2);
  // Th at or below the exact score (8): survives.
  CHECK_FALSE(prof::emulate_score(q.data(), k.data(), 4, 8, 4).pruned);
  CHECK(prof::emulate_score(q.data(), k.data(), 4, 9, 4).pruned);
}

TEST_CASE("sign handling: zero k is positive, zero q adds nothing to C", "[bitserial]") {
  // q = (-3), k = (0): signs disagree (k = 0 is positive), C = 0, so P + M = 0 after bit 1.
  const std::int32_t q[] = {-3};
  const std::int32_t k[] = {0};
  CHECK(prof::emulate_score(q, k, 1, 1, 12).b1 == 1);
  CHECK_FALSE(prof::emulate_score(q, k, 1, 0, 12).pruned);
  // q = (3), k = (0): signs agree, C = 3, M = 3 x 2047 after bit 1; pruned only at the last bit.
  const std::int32_t q2[] = {3};
  CHECK(prof::emulate_score(q2, k, 1, 1, 12).b1 == 12);
}

TEST_CASE("property: pruned iff exact dot < Th, terminating at the first bound violation",
          "[bitserial][property]") {
  std::mt19937_64 rng(12345);
  for (int n_bits : {2, 4, 8, 12}) {
    std::uniform_int_distribution<int> dim(1, 40);
    for (int trial = 0; trial < 3000; ++trial) {
      const int d = dim(rng);
      const auto q = random_matrix(rng, static_cast<std::size_t>(d), n_bits, trial % 3 * 20);
      const auto k = random_matrix(rng, static_cast<std::size_t>(d), n_bits, trial % 2 * 30);
      const std::int64_t exact = exact_dot(q, k);
      // Thresholds around the exact value, plus far-away ones.
      std::uniform_int_distribution<std::int64_t> off(-3, 3);
      const std::int64_t kmax = prof::max_magnitude(n_bits);
      const std::int64_t th = trial % 4 == 0 ? exact + off(rng)
                                             : std::uniform_int_distribution<std::int64_t>(
                                                   -d * kmax * kmax / 4, d * kmax * kmax / 4)(rng);
      const prof::Decision dec = prof::emulate_score(q.data(), k.data(), d, th, n_bits);
      INFO("n_bits " << n_bits << " d " << d << " th " << th << " exact " << exact);
      REQUIRE(dec.pruned == (exact < th));
      REQUIRE(dec.b1 == first_bound_violation(q, k, th, n_bits));
      if (dec.pruned) {
        REQUIRE(dec.b1 >= 1);
        REQUIRE(dec.b1 <= n_bits);
      }
    }
  }
}

TEST_CASE("fast path equals the scalar reference on random heads", "[bitserial][fast]") {
  std::mt19937_64 rng(777);
  struct Case {
    int n_bits;
    std::int64_t sq, sk;
    int d;
    bool causal;
    int threads, bq, bk;
  };
  const std::vector<Case> cases{
      {12, 37, 53, 16, false, 1, 8, 16},  {12, 64, 64, 64, true, 2, 16, 8},
      {12, 20, 45, 24, true, 3, 7, 9},    {12, 45, 20, 24, true, 2, 64, 64},
      {8, 33, 33, 5, false, 4, 5, 6},     {4, 17, 29, 3, true, 1, 3, 4},
      {16, 30, 30, 32, false, 2, 10, 10}, {2, 11, 13, 7, false, 2, 4, 4},
      {12, 1, 70, 64, false, 2, 128, 128}};
  for (const Case& c : cases) {
    const int h = 3;
    std::vector<std::vector<std::int32_t>> qs, ks;
    std::vector<prof::HeadJob> jobs;
    for (int i = 0; i < h; ++i) {
      qs.push_back(random_matrix(rng, static_cast<std::size_t>(c.sq * c.d), c.n_bits, 10 * i));
      ks.push_back(random_matrix(rng, static_cast<std::size_t>(c.sk * c.d), c.n_bits));
    }
    const std::int64_t kmax = prof::max_magnitude(c.n_bits);
    for (int i = 0; i < h; ++i) {
      // Thresholds that prune a mix: around 0 and around a fraction of the typical magnitude.
      const std::int64_t th = (i - 1) * kmax * kmax * c.d / 20;
      jobs.push_back(prof::HeadJob{{qs[static_cast<std::size_t>(i)].data(), c.sq, c.d},
                                   {ks[static_cast<std::size_t>(i)].data(), c.sk, c.d},
                                   th});
    }
    prof::EmulationOptions opt;
    opt.n_bits = c.n_bits;
    opt.causal = c.causal;
    opt.threads = c.threads;
    opt.block_q = c.bq;
    opt.block_k = c.bk;
    std::int64_t last_done = 0;
    opt.progress = [&](std::int64_t done, std::int64_t total) {
      CHECK(done >= last_done);
      CHECK(done <= total);
      last_done = done;
    };
    const auto fast = prof::emulate_heads(jobs, opt);
    REQUIRE(fast.size() == jobs.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const auto ref = prof::emulate_head_reference(jobs[i], c.n_bits, c.causal);
      INFO("case n_bits " << c.n_bits << " sq " << c.sq << " sk " << c.sk << " head " << i);
      CHECK(ref.n_scores == prof::scores_per_head(c.sq, c.sk, c.causal));
      CHECK(fast[i].n_scores == ref.n_scores);
      CHECK(fast[i].n_pruned == ref.n_pruned);
      CHECK(fast[i].hist == ref.hist);
    }
    CHECK(last_done == prof::scores_per_head(c.sq, c.sk, c.causal) * h);
  }
}

TEST_CASE("every fast-path kernel equals the scalar reference for widths 2..32",
          "[bitserial][fast]") {
  // Random heads for every operand width, against emulate_head_reference(), on every kernel the
  // machine runs: kAuto, the generic scalar kernel (forced even where SIMD would do), SSE2 and
  // AVX2 (forced; for n_bits > 16 they fall back to the generic kernel). Shapes cover odd d, d not
  // a multiple of any vector width, d = 1, blocks smaller than a head and larger, heads longer than
  // a kernel's tile of keys, causal and not;
  // thresholds cover huge positive/negative ones, zero, the exact value of some score (+-1) and the
  // bit-1 bound of some score (+-1), where off-by-one errors in a kernel would show.
  std::vector<prof::EmulationKernel> kernels;
  for (const auto k : {prof::EmulationKernel::kAuto, prof::EmulationKernel::kGeneric,
                       prof::EmulationKernel::kSse2, prof::EmulationKernel::kAvx2}) {
    if (prof::emulation_kernel_available(k)) kernels.push_back(k);
  }
#if defined(__x86_64__)
  REQUIRE(prof::emulation_kernel_available(prof::EmulationKernel::kSse2));
#endif
  if (!prof::emulation_kernel_available(prof::EmulationKernel::kAvx2)) {
    WARN("this CPU has no AVX2: the AVX2 kernel is not tested here");
  }
  std::mt19937_64 rng(4242);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::vector<int> dims{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 100};
  for (int n_bits = prof::kMinBits; n_bits <= prof::kMaxBits; ++n_bits) {
    for (int trial = 0; trial < 8; ++trial) {
      // Trial 0 at 13..16 bits: wide rows of extreme values, so that the SIMD kernels' int32 lanes
      // must be widened to int64 in chunks (16 bits: after every pmaddwd) or they would overflow.
      const bool wide = trial == 0 && n_bits >= 13 && n_bits <= 16;
      // Trials 5 and 6: long heads (more keys than a kernel tile, kTile = 128), narrow rows.
      const bool long_keys = trial == 5 || trial == 6;
      const int d = wide        ? pick(200, 300)
                    : long_keys ? pick(1, 20)
                                : dims[static_cast<std::size_t>(pick(0, 13))];
      const std::int64_t sq = wide ? pick(1, 12) : long_keys ? pick(130, 200) : pick(1, 30);
      const std::int64_t sk = wide ? pick(1, 12) : long_keys ? pick(130, 200) : pick(1, 30);
      const bool causal = trial % 2 == 1;
      // Magnitudes: the full range, except where emulate_score()'s own int64 sums could overflow
      // (wide operands): P <= d x cap^2 and M <= d x cap x 2^(n-1) must stay below 2^62.
      std::int64_t cap = prof::max_magnitude(n_bits);
      const auto d64 = static_cast<std::int64_t>(d);
      while (cap > 1 && (cap > (std::int64_t{1} << 62) / d64 / cap ||
                         cap > (std::int64_t{1} << 62) / d64 >> (n_bits - 1))) {
        cap /= 2;
      }
      // Values: uniform; only +-cap (and zeros); or mostly zeros.
      const int style = wide ? 1 : trial % 3;
      const auto value = [&]() -> std::int32_t {
        if (style == 2 && pick(0, 3) > 0) return 0;
        if (style == 1) {
          const int r = pick(0, 9);
          return static_cast<std::int32_t>(r == 0 ? 0 : r <= 5 ? cap : -cap);
        }
        return static_cast<std::int32_t>(
            std::uniform_int_distribution<std::int64_t>(-cap, cap)(rng));
      };
      const int h = 4;
      std::vector<std::vector<std::int32_t>> qs(h), ks(h);
      std::vector<prof::HeadJob> jobs;
      for (int i = 0; i < h; ++i) {
        auto& q = qs[static_cast<std::size_t>(i)];
        auto& k = ks[static_cast<std::size_t>(i)];
        q.resize(static_cast<std::size_t>(sq * d));
        k.resize(static_cast<std::size_t>(sk * d));
        for (auto& v : q) v = value();
        for (auto& v : k) v = value();
        // A random score's exact value and its bound after bit 1 (P = 0, M = C x kmax).
        const std::int32_t* qr = q.data() + pick(0, static_cast<int>(sq) - 1) * d;
        const std::int32_t* kr = k.data() + pick(0, static_cast<int>(sk) - 1) * d;
        std::int64_t exact = 0;
        std::int64_t c = 0;
        for (int l = 0; l < d; ++l) {
          exact += std::int64_t{qr[l]} * kr[l];
          if ((qr[l] < 0) == (kr[l] < 0)) c += std::llabs(qr[l]);
        }
        const std::int64_t bound1 = c * prof::max_magnitude(n_bits);
        const std::int64_t spread = d64 * cap * cap / 8;
        std::int64_t th = 0;
        switch (pick(0, 6)) {
          case 0:
            th = 0;
            break;
          case 1:
            th = exact + pick(-1, 1);
            break;
          case 2:
            th = bound1 + pick(0, 1);
            break;
          case 3:
            th = pick(0, 1) == 0 ? std::numeric_limits<std::int64_t>::max()
                                 : std::numeric_limits<std::int64_t>::min();
            break;
          case 4:
            th = -std::uniform_int_distribution<std::int64_t>(1, spread + 1)(rng);
            break;
          default:
            th = std::uniform_int_distribution<std::int64_t>(-spread, spread)(rng);
            break;
        }
        jobs.push_back(prof::HeadJob{{q.data(), sq, d}, {k.data(), sk, d}, th});
      }
      std::vector<prof::HeadCounts> ref;
      for (const auto& job : jobs) ref.push_back(prof::emulate_head_reference(job, n_bits, causal));
      for (const auto kernel : kernels) {
        prof::EmulationOptions opt;
        opt.n_bits = n_bits;
        opt.causal = causal;
        opt.kernel = kernel;
        opt.threads = pick(1, 3);
        // Blocks: tiny, the default, or the whole head.
        const auto block = [&]() {
          return std::array<int, 3>{pick(1, 9), 128, 1 << 20}[static_cast<std::size_t>(pick(0, 2))];
        };
        opt.block_q = block();
        opt.block_k = block();
        const auto fast = prof::emulate_heads(jobs, opt);
        REQUIRE(fast.size() == jobs.size());
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          INFO("n_bits " << n_bits << " trial " << trial << " d " << d << " sq " << sq << " sk "
                         << sk << " causal " << causal << " kernel " << static_cast<int>(kernel)
                         << " head " << i << " th " << jobs[i].threshold);
          REQUIRE(fast[i] == ref[i]);
        }
      }
    }
  }
}

TEST_CASE("fast path is deterministic across thread counts and block sizes", "[bitserial][fast]") {
  std::mt19937_64 rng(99);
  const auto q = random_matrix(rng, 96 * 32, 12);
  const auto k = random_matrix(rng, 80 * 32, 12);
  const std::vector<prof::HeadJob> jobs{{{q.data(), 96, 32}, {k.data(), 80, 32}, 0},
                                        {{q.data(), 96, 32}, {k.data(), 80, 32}, -400000}};
  prof::EmulationOptions a;
  a.threads = 1;
  prof::EmulationOptions b;
  b.threads = 4;
  b.block_q = 13;
  b.block_k = 7;
  const auto ra = prof::emulate_heads(jobs, a);
  const auto rb = prof::emulate_heads(jobs, b);
  CHECK(ra == rb);
  CHECK(ra[0].n_pruned > 0);
  CHECK(ra[0].n_pruned < ra[0].n_scores);
}

TEST_CASE("causal score count, bottom-right aligned", "[bitserial]") {
  CHECK(prof::scores_per_head(4, 4, true) == 10);
  CHECK(prof::scores_per_head(4, 4, false) == 16);
  // 5 queries, 3 keys: query i sees keys j <= i - 2, so rows 0 and 1 see none.
  CHECK(prof::scores_per_head(5, 3, true) == 0 + 0 + 1 + 2 + 3);
  // 3 queries, 5 keys (2 cached): query i sees keys j <= i + 2.
  CHECK(prof::scores_per_head(3, 5, true) == 3 + 4 + 5);
  // Decode: one query sees the whole cache.
  CHECK(prof::scores_per_head(1, 4096, true) == 4096);
  // Brute force over (i, j) for small shapes.
  for (std::int64_t sq = 1; sq <= 9; ++sq) {
    for (std::int64_t sk = 1; sk <= 9; ++sk) {
      std::int64_t n = 0;
      for (std::int64_t i = 0; i < sq; ++i) {
        for (std::int64_t j = 0; j < sk; ++j) n += j - i <= sk - sq ? 1 : 0;
      }
      CHECK(prof::scores_per_head(sq, sk, true) == n);
    }
  }
}
