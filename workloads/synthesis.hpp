// Synthesis of termination histograms for tasks where only a pruning rate and a per-model average
// of processed K bits are published (the paper suite). Method (leopard.md section 5):
//   1. Draw a fixed population of synthetic (q, k) pairs, d lanes, entries i.i.d. N(0, 1), with a
//      relevance term: k += skew x e x q / |q|, e ~ Exp(1) per pair, which gives the scores the
//      long right tail of real attention logits (a few keys matter, most do not); quantise both
//      symmetrically to n-bit sign-magnitude with a clipping range of `clip` standard deviations.
//   2. Run the exact bit-serial bound of LeOPArd's QK unit on each pair (MSB first, B = 1): the
//      non-increasing sequence U_b = P_b + M_b of partial sum plus margin, b = 1..n (U_n = q.k).
//   3. For a task with pruning rate p, set the threshold at the p-quantile of the exact scores; a
//      pair is pruned at the first bit b with U_b < Th. The histogram of that bit is the task's.
//   4. Per model group (model, dataset) solve `clip` so that the mean termination bit over the
//      group's tasks equals the published average minus a global offset `bit_offset` (a
//      calibrated constant: the published averages are higher than the paper's speedups imply).
// The same inputs (pruning rate, average bits, head dim) give the same histograms on any machine:
// the random numbers come from a fixed-seed SplitMix64 + Box-Muller of our own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace leopard::workloads {

// Upper bounds U_1..U_n (size n) of one pair; q and k are sign-magnitude integers given as signed
// values with |x| <= 2^(n-1) - 1.
void bound_sequence(const std::int32_t* q, const std::int32_t* k, int d, int n_bits,
                    std::int64_t* bounds);

// A population of synthetic pairs for one head dim and clipping range.
class SyntheticPopulation {
 public:
  SyntheticPopulation(int head_dim, int n_bits, double clip, double skew, int pairs,
                      std::uint64_t seed);
  // Termination histogram (fractions over bits 1..n) of the pruned pairs at pruning rate p.
  std::vector<double> histogram(double prune_rate) const;
  int n_bits() const { return n_bits_; }

 private:
  int n_bits_;
  std::vector<std::int64_t> scores_sorted_;  // exact scores, ascending
  std::vector<std::int64_t> bounds_;         // pairs x n_bits, row-major
};

struct SynthesisTask {
  std::string group;       // e.g. "bert-base/GLUE": tasks that share a published average
  double prune_rate = 0;   // 0..1
  double target_bits = 0;  // published average bits of the group (before the offset)
  int head_dim = 0;
};

struct SynthesisOptions {
  int n_bits = 12;        // paper: 12-bit Q/K
  double bit_offset = 0;  // calibrated, see above
  double skew = 0;        // calibrated relevance term, see above
  int pairs = 4096;       // population size per evaluation
  std::uint64_t seed = 0x1E0DA4D5EULL;
};

struct SynthesisResult {
  std::vector<std::vector<double>> histograms;  // per task, fractions over bits 1..n
  std::vector<double> clip;                     // per task, the group's solved clipping range
};

// Histograms for all tasks (groups solved independently). Groups whose target cannot be met
// within clip in [2^-4, 2^8] get the nearest reachable value.
SynthesisResult synthesise_histograms(const std::vector<SynthesisTask>& tasks,
                                      const SynthesisOptions& options);

}  // namespace leopard::workloads
