// Bit-exact emulation of LeOPArd's bit-serial QK dot product with early termination
// (docs/paper-facts.md §2).
//
// The emulation (issue 7), for n = qk bits:
//  - Operands are integers in sign-magnitude form: 1 sign bit and n-1 magnitude bits, so every
//    value lies in [-(2^(n-1)-1), 2^(n-1)-1]. Q is held at full precision; K is streamed MSB first,
//    one bit per step (B = 1). Bit 1 is the sign bit, bits 2..n the magnitude bits from the top.
//  - After bit 1: P = 0 and M = C x (2^(n-1) - 1), where C = sum of |q_i| over the lanes whose q
//  and
//    k signs agree (a zero k counts as positive; a zero q adds nothing to C).
//  - After magnitude bit m (bit m+1, m = 1..n-1): P = sum_i q_i x sign(k_i) x (|k_i| with only its
//    top m magnitude bits kept, at their weights) and M = C x (2^(n-1-m) - 1). M bounds what the
//    unprocessed bits can still add: a lane with disagreeing signs can only lower the score.
//  - After every bit b: if P + M < Th the score is pruned, with termination bit b1 = b. After bit
//  n,
//    M = 0 and P is the exact dot product, so the last test is the exact check "q.k < Th".
//  - Hence a score is pruned iff q.k < Th (no accuracy loss), and P + M never increases from one
//  bit
//    to the next, so with B bits per cycle a score terminates at step ceil(b1 / B).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace leopard::workloads::profile {

// Largest magnitude of an n-bit sign-magnitude operand: 2^(n-1) - 1.
constexpr std::int64_t max_magnitude(int n_bits) { return (std::int64_t{1} << (n_bits - 1)) - 1; }

// Smallest and largest supported operand width (bits, sign included).
constexpr int kMinBits = 2;
constexpr int kMaxBits = 32;

// Outcome of one score.
struct Decision {
  bool pruned = false;
  int b1 = 0;  // termination bit 1..n_bits when pruned, 0 when the score survives
};

// Scalar reference: emulates one score q.k of d lanes bit by bit, exactly as described above.
// Preconditions (checked by callers): 2 <= n_bits <= 32, |q_i|, |k_i| <= 2^(n_bits-1) - 1.
Decision emulate_score(const std::int32_t* q, const std::int32_t* k, int d, std::int64_t threshold,
                       int n_bits);

// Per-head counts: scores emulated, scores pruned and the histogram of b1 over the pruned scores
// (hist[b - 1] = pruned scores with b1 = b, size n_bits).
struct HeadCounts {
  std::int64_t n_scores = 0;
  std::int64_t n_pruned = 0;
  std::vector<std::int64_t> hist;

  friend bool operator==(const HeadCounts&, const HeadCounts&) = default;
};

// A row-major integer matrix [rows x cols] that the caller owns.
struct IntMatrixView {
  const std::int32_t* data = nullptr;
  std::int64_t rows = 0;
  int cols = 0;

  const std::int32_t* row(std::int64_t r) const { return data + r * cols; }
};

// One head to emulate: Q [S_q x d], K [S_k x d] and the threshold in integer units.
struct HeadJob {
  IntMatrixView q;
  IntMatrixView k;
  std::int64_t threshold = 0;
};

// Kernel of the fast path (all give the same counts). kAuto: the fastest one the CPU runs, AVX2
// else SSE2 (the x86-64 baseline) for n_bits <= 16; wider operands always take the generic scalar
// kernel. The others force a kernel, for tests and benchmarks; forcing one that
// emulation_kernel_available() denies throws std::invalid_argument, and SSE2 or AVX2 forced with
// n_bits > 16 still runs the generic kernel.
enum class EmulationKernel { kAuto, kGeneric, kSse2, kAvx2 };

// Whether this build and CPU can run `kernel`.
bool emulation_kernel_available(EmulationKernel kernel);

struct EmulationOptions {
  int n_bits = 12;
  // Count only the scores a causal mask keeps, aligned bottom-right as with a KV cache: query i
  // of S_q sees keys j <= i + (S_k - S_q) (j <= i when S_q == S_k).
  bool causal = false;
  int threads = 0;    // 0 = std::thread::hardware_concurrency()
  int block_q = 128;  // query rows per block
  int block_k = 128;  // keys per block
  // Called after each finished block with (scores done, scores total); may be called from worker
  // threads, but never concurrently. Empty = no progress reporting.
  std::function<void(std::int64_t, std::int64_t)> progress;
  EmulationKernel kernel = EmulationKernel::kAuto;
};

// Reference path: emulate_score() on every (query, key) pair of one head, single-threaded.
HeadCounts emulate_head_reference(const HeadJob& job, int n_bits, bool causal);

// Fast path: the same counts as emulate_head_reference() for every job, computed per score with
// integer dot products that stop at the score's decision (SIMD for n_bits <= 16), over blocks of
// keys on several threads. Results are deterministic (integer counts summed in a fixed order) and
// do not depend on the thread count, block sizes or kernel.
// Preconditions: q.cols == k.cols > 0 for each job, operands within n_bits (as above).
std::vector<HeadCounts> emulate_heads(const std::vector<HeadJob>& jobs,
                                      const EmulationOptions& options);

// Causal (bottom-right) keys of query row i: keys [0, end) with end = clamp(i + S_k - S_q + 1, 0,
// S_k).
std::int64_t causal_key_end(std::int64_t i, std::int64_t q_rows, std::int64_t k_rows);

// Number of scores a head computes: S_q x S_k, or the causal (bottom-right) pairs.
std::int64_t scores_per_head(std::int64_t q_rows, std::int64_t k_rows, bool causal);

}  // namespace leopard::workloads::profile
