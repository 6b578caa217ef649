// Bit-serial QK emulation: the scalar reference and the blocked, threaded bit-plane GEMM fast path.
#include "workloads/profile/bitserial.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

namespace leopard::workloads::profile {

Decision emulate_score(const std::int32_t* q, const std::int32_t* k, int d, std::int64_t threshold,
                       int n_bits) {
  const int mag_bits = n_bits - 1;
  // Bit 1 (sign): C = sum |q_i| over lanes whose signs agree; a zero k is positive.
  std::int64_t c = 0;
  for (int i = 0; i < d; ++i) {
    const bool q_neg = q[i] < 0;
    const bool k_neg = k[i] < 0;
    if (q_neg == k_neg) c += std::llabs(q[i]);
  }
  // Magnitude bits: after m of them, the unprocessed low r = n-1-m bits are unknown.
  for (int m = 0; m <= mag_bits; ++m) {
    const int r = mag_bits - m;
    std::int64_t p = 0;
    if (m > 0) {
      for (int i = 0; i < d; ++i) {
        const std::int64_t mag = std::llabs(k[i]);
        const std::int64_t top = (mag >> r) << r;  // top m magnitude bits at their weights
        p += (k[i] < 0 ? -std::int64_t{q[i]} : std::int64_t{q[i]}) * top;
      }
    }
    const std::int64_t margin = c * ((std::int64_t{1} << r) - 1);
    if (p + margin < threshold) return Decision{true, m + 1};  // bit b = m + 1
  }
  return Decision{};  // exact q.k >= Th: survives
}

std::int64_t scores_per_head(std::int64_t q_rows, std::int64_t k_rows, bool causal) {
  if (!causal) return q_rows * k_rows;
  // Pairs (i, j) with j <= i: row i has min(i + 1, k_rows) keys.
  const std::int64_t full = std::min(q_rows, k_rows);  // rows 0..full-1 have i+1 keys
  return full * (full + 1) / 2 + (q_rows - full) * k_rows;
}

HeadCounts emulate_head_reference(const HeadJob& job, int n_bits, bool causal) {
  HeadCounts out;
  out.hist.assign(static_cast<std::size_t>(n_bits), 0);
  const int d = job.q.cols;
  for (std::int64_t i = 0; i < job.q.rows; ++i) {
    const std::int64_t end = causal ? std::min(job.k.rows, i + 1) : job.k.rows;
    for (std::int64_t j = 0; j < end; ++j) {
      const Decision dec = emulate_score(job.q.row(i), job.k.row(j), d, job.threshold, n_bits);
      ++out.n_scores;
      if (dec.pruned) {
        ++out.n_pruned;
        ++out.hist[static_cast<std::size_t>(dec.b1 - 1)];
      }
    }
  }
  return out;
}

namespace {

// Fast path. The partial sums after each bit are matrix products over a block of queries and keys:
//   C   = [max(Q,0) | max(-Q,0)] x [K >= 0 | K < 0]^T      (sum of |q_i| over agreeing lanes)
//   T_m = Q x B_m^T, B_m[j][i] = sign(k_ji) x (magnitude bit m of |k_ji|), in {-1, 0, 1}
//   P_m = P_(m-1) + 2^(n-1-m) x T_m                        (one GEMM per magnitude bit plane)
// The GEMMs run in float when every |T_m| and C fit exactly in float's 24-bit significand
// (d x kmax < 2^24: d < 8196 at 12 bits), else in double; P and P + M are accumulated in double.
// This is exact: every GEMM term is an integer, every partial sum of a GEMM (in whatever order
// Eigen adds them, with or without FMA) is an integer of magnitude <= d x kmax, and P + M is an
// integer of magnitude <= 2 d kmax^2; integers below 2^24 (float) or 2^53 (double) are exactly
// representable. For 12-bit operands (kmax = 2047) the double bound holds for d up to ~1e9;
// exact_in_double() checks it and jobs that break it (very wide operands) take the scalar reference
// path instead.
using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr double kTwo53 = 9007199254740992.0;
constexpr double kTwo24 = 16777216.0;

bool exact_in_double(int d, int n_bits) {
  const double kmax = static_cast<double>(max_magnitude(n_bits));
  return 2.0 * static_cast<double>(d) * kmax * kmax < kTwo53;
}

bool exact_in_float(int d, int n_bits) {
  return static_cast<double>(d) * static_cast<double>(max_magnitude(n_bits)) < kTwo24;
}

template <typename Real>
using Mat = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The bit planes of one key block and its sign split.
template <typename Real>
struct KeyBlock {
  std::vector<Mat<Real>> planes;  // planes[m - 1] = B_m, m = 1..n-1 (MSB first)
  Mat<Real> split;                // [bk x 2d]: (k >= 0, k < 0) indicators
};

template <typename Real>
void build_key_block(const IntMatrixView& k, std::int64_t begin, std::int64_t rows, int n_bits,
                     KeyBlock<Real>& out) {
  const int d = k.cols;
  const int mag_bits = n_bits - 1;
  out.planes.resize(static_cast<std::size_t>(mag_bits));
  for (auto& plane : out.planes) plane.resize(rows, d);
  out.split.resize(rows, 2 * d);
  for (std::int64_t j = 0; j < rows; ++j) {
    const std::int32_t* kr = k.row(begin + j);
    for (int l = 0; l < d; ++l) {
      const bool neg = kr[l] < 0;
      const std::int64_t mag = std::llabs(kr[l]);
      out.split(j, l) = neg ? Real(0) : Real(1);
      out.split(j, d + l) = neg ? Real(1) : Real(0);
      for (int m = 1; m <= mag_bits; ++m) {
        const bool bit = ((mag >> (mag_bits - m)) & 1) != 0;
        out.planes[static_cast<std::size_t>(m - 1)](j, l) =
            bit ? (neg ? Real(-1) : Real(1)) : Real(0);
      }
    }
  }
}

// Per-thread scratch, reused across blocks.
template <typename Real>
struct Scratch {
  Mat<Real> q;                     // [bq x d]
  Mat<Real> q_split;               // [bq x 2d]: (max(q, 0), max(-q, 0))
  Mat<Real> c;                     // [bq x bk]
  Mat<Real> t;                     // [bq x bk]: T_m
  MatD p;                          // [bq x bk]: P_m
  std::vector<std::uint8_t> open;  // 1 = still undecided
};

// Emulates the scores of query rows [q_begin, q_begin + bq) against the key block starting at
// k_begin, adding them to `counts`.
template <typename Real>
void emulate_block(const HeadJob& job, const KeyBlock<Real>& kb, std::int64_t k_begin,
                   std::int64_t q_begin, std::int64_t bq, int n_bits, bool causal, Scratch<Real>& s,
                   HeadCounts& counts) {
  const int d = job.q.cols;
  const auto bk = static_cast<std::int64_t>(kb.split.rows());
  s.q.resize(bq, d);
  s.q_split.resize(bq, 2 * d);
  for (std::int64_t i = 0; i < bq; ++i) {
    const std::int32_t* qr = job.q.row(q_begin + i);
    for (int l = 0; l < d; ++l) {
      const auto v = static_cast<Real>(qr[l]);
      s.q(i, l) = v;
      s.q_split(i, l) = v > 0 ? v : Real(0);
      s.q_split(i, d + l) = v < 0 ? -v : Real(0);
    }
  }
  s.c.resize(bq, bk);
  s.c.noalias() = s.q_split * kb.split.transpose();
  s.p.setZero(bq, bk);

  // Causal masking: score (i, j) exists only for j <= i. Masked scores start decided, uncounted.
  s.open.assign(static_cast<std::size_t>(bq * bk), 1);
  std::int64_t n_open = 0;
  for (std::int64_t i = 0; i < bq; ++i) {
    for (std::int64_t j = 0; j < bk; ++j) {
      if (causal && k_begin + j > q_begin + i) {
        s.open[static_cast<std::size_t>(i * bk + j)] = 0;
      } else {
        ++n_open;
      }
    }
  }
  counts.n_scores += n_open;

  // |P + M| < 2^53, so a threshold outside +-2^53 compares like the clamped one.
  const double th = static_cast<double>(
      std::clamp<std::int64_t>(job.threshold, -(std::int64_t{1} << 53), std::int64_t{1} << 53));
  const int mag_bits = n_bits - 1;
  // Bit b = m + 1; stop as soon as every score of the block is decided (no more planes).
  for (int m = 0; m <= mag_bits && n_open > 0; ++m) {
    const int r = mag_bits - m;
    const auto unknown = static_cast<double>((std::int64_t{1} << r) - 1);  // M = C x unknown
    const auto weight = static_cast<double>(std::int64_t{1} << r);         // weight of bit m
    if (m > 0) {
      s.t.resize(bq, bk);
      s.t.noalias() = s.q * kb.planes[static_cast<std::size_t>(m - 1)].transpose();
    }
    std::int64_t pruned = 0;
    for (std::int64_t i = 0; i < bq; ++i) {
      std::uint8_t* open = s.open.data() + i * bk;
      const Real* c = s.c.data() + i * bk;
      double* p = s.p.data() + i * bk;
      const Real* t = m > 0 ? s.t.data() + i * bk : nullptr;
      for (std::int64_t j = 0; j < bk; ++j) {
        if (!open[j]) continue;
        if (t) p[j] += weight * static_cast<double>(t[j]);
        if (p[j] + static_cast<double>(c[j]) * unknown < th) {  // P + M < Th after bit m + 1
          open[j] = 0;
          ++pruned;
        }
      }
    }
    counts.n_pruned += pruned;
    counts.hist[static_cast<std::size_t>(m)] += pruned;
    n_open -= pruned;
  }
}

// Runs every query block of one head against the key block [k_begin, k_begin + k_rows).
template <typename Real>
void run_task(const HeadJob& job, std::int64_t k_begin, std::int64_t k_rows,
              const EmulationOptions& options, KeyBlock<Real>& kb, Scratch<Real>& scratch,
              HeadCounts& counts, const std::function<void(std::int64_t)>& report) {
  const std::int64_t block_q = std::max(1, options.block_q);
  build_key_block(job.k, k_begin, k_rows, options.n_bits, kb);
  // Causal: query rows before k_begin see none of these keys.
  const std::int64_t q_start = options.causal ? k_begin : 0;
  for (std::int64_t qb = q_start; qb < job.q.rows; qb += block_q) {
    const std::int64_t bq = std::min(block_q, job.q.rows - qb);
    emulate_block(job, kb, k_begin, qb, bq, options.n_bits, options.causal, scratch, counts);
    report(counts.n_scores);
  }
}

struct Task {
  std::size_t job = 0;
  std::int64_t k_begin = 0;
  std::int64_t k_rows = 0;  // 0 = the whole head on the scalar reference path
};

}  // namespace

std::vector<HeadCounts> emulate_heads(const std::vector<HeadJob>& jobs,
                                      const EmulationOptions& options) {
  const int n_bits = options.n_bits;
  const std::int64_t block_k = std::max(1, options.block_k);

  // Tasks: one per (head, key block); each runs every query block against its key block, so the
  // key bit planes are built once.
  std::vector<Task> tasks;
  std::int64_t total = 0;
  for (std::size_t h = 0; h < jobs.size(); ++h) {
    const HeadJob& job = jobs[h];
    total += scores_per_head(job.q.rows, job.k.rows, options.causal);
    if (!exact_in_double(job.q.cols, n_bits)) {
      tasks.push_back(Task{h, 0, 0});
      continue;
    }
    for (std::int64_t kb = 0; kb < job.k.rows; kb += block_k) {
      tasks.push_back(Task{h, kb, std::min(block_k, job.k.rows - kb)});
    }
  }

  std::vector<HeadCounts> partial(tasks.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::int64_t done = 0;
  std::exception_ptr failure;
  auto worker = [&]() {
    KeyBlock<float> kb_f;
    Scratch<float> scratch_f;
    KeyBlock<double> kb_d;
    Scratch<double> scratch_d;
    try {
      for (std::size_t t = next++; t < tasks.size(); t = next++) {
        const Task& task = tasks[t];
        const HeadJob& job = jobs[task.job];
        HeadCounts& counts = partial[t];
        std::int64_t reported = 0;
        // Progress in steps of about a million scores, and once at the end of each task.
        const auto report = [&](std::int64_t n, bool last = false) {
          if (!options.progress || (!last && n - reported < (std::int64_t{1} << 20))) return;
          const std::lock_guard<std::mutex> lock(progress_mutex);
          done += n - reported;
          reported = n;
          options.progress(done, total);
        };
        counts.hist.assign(static_cast<std::size_t>(n_bits), 0);
        if (task.k_rows == 0) {
          counts = emulate_head_reference(job, n_bits, options.causal);
        } else if (exact_in_float(job.q.cols, n_bits)) {
          run_task(job, task.k_begin, task.k_rows, options, kb_f, scratch_f, counts,
                   [&](std::int64_t n) { report(n); });
        } else {
          run_task(job, task.k_begin, task.k_rows, options, kb_d, scratch_d, counts,
                   [&](std::int64_t n) { report(n); });
        }
        report(counts.n_scores, true);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(progress_mutex);
      if (!failure) failure = std::current_exception();
      next = tasks.size();
    }
  };

  unsigned n_threads = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                           : std::max(1U, std::thread::hardware_concurrency());
  n_threads = static_cast<unsigned>(
      std::min<std::size_t>(n_threads, std::max<std::size_t>(1, tasks.size())));
  if (n_threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(n_threads);
    for (unsigned t = 0; t < n_threads; ++t) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  if (failure) std::rethrow_exception(failure);

  // Deterministic reduction: integer counts summed per head in task order.
  std::vector<HeadCounts> out(jobs.size());
  for (auto& c : out) c.hist.assign(static_cast<std::size_t>(n_bits), 0);
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    HeadCounts& dst = out[tasks[t].job];
    dst.n_scores += partial[t].n_scores;
    dst.n_pruned += partial[t].n_pruned;
    for (std::size_t b = 0; b < dst.hist.size(); ++b) dst.hist[b] += partial[t].hist[b];
  }
  return out;
}

}  // namespace leopard::workloads::profile
