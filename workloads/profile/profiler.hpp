// The profile pipeline: Q/K tensors (.npy) -> quantised integers -> bit-serial emulation ->
// per-head pruning statistics in the statistics CSV format (workloads/stats.hpp).
//
// Contract:
//  - Q and K have shape [S, d], [H, S, d] or [L, H, S, d] (same rank, same L and d; the sequence
//    lengths may differ: a decode step has S_q = 1 against S_k cached keys). K may have fewer heads
//    than Q (grouped-query attention): H_q = G x H_kv, and query head h uses K head h / G,
//    PyTorch's repeat_interleave order. Rows are written per query head. A score is the raw dot
//    product q.k of the vectors as stored (fold any 1/sqrt(d) softmax scaling into Q or into the
//    threshold).
//  - Causal: query i of S_q sees keys j <= i + S_k - S_q (bottom-right, as with a KV cache).
//  - Integer tensors are the hardware's integers: every value must fit n-bit sign-magnitude,
//    |v| <= 2^(n-1) - 1, else InputError. Their scale is 1 unless given with `scale`.
//  - Float tensors are quantised symmetrically: v_int = round(v / s), s = max|v| / (2^(n-1) - 1)
//    per tensor, or the given scale (then values beyond the range are an InputError, never
//    clipped).
//  - Thresholds are in the units of the stored tensors (real units): Th_int = ceil(T / (s_q s_k)).
//    The quantised score s_int = q_int.k_int is an integer, so "s_int < T / (s_q s_k)" and
//    "s_int < Th_int" are the same test. One threshold per layer: `threshold` for all layers, or a
//    CSV file "layer,threshold" (0-based layer indices as written to the output, header optional).
//  - Calibration (`calibrate`): per layer, the integer threshold is chosen from the layer's exact
//    quantised scores (all heads, causal mask applied) so that the fraction of scores below it is
//    as close to `target_rate` as the distinct score values allow without exceeding it: Th_int =
//    the score of rank floor(target_rate x N) in ascending order (ties can only lower the rate).
//    Layers with more than kCalibrationSample scores use an evenly strided subset of query rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "workloads/profile/bitserial.hpp"
#include "workloads/profile/npy.hpp"

namespace leopard::workloads::profile {

// Largest number of scores per layer looked at by calibration.
constexpr std::int64_t kCalibrationSample = std::int64_t{1} << 24;

struct ProfileOptions {
  std::filesystem::path q_file;
  std::filesystem::path k_file;
  std::optional<double> threshold;                       // one threshold for every layer
  std::optional<std::filesystem::path> thresholds_file;  // CSV layer,threshold
  int n_bits = 12;                                       // --qk-bits
  // Empty: max|v| / (2^(n-1) - 1) per float tensor, 1 for integer tensors; {s}: s for both
  // tensors; {s_q, s_k}: one each.
  std::vector<double> scale;
  bool calibrate = false;
  double target_rate = -1;  // with calibrate: target fraction of pruned scores, [0, 1]
  bool causal = false;
  std::string model = "custom";
  std::string task;     // empty: the stem of the Q file name
  int first_layer = 0;  // layer index written for the first layer of the tensors (--layer)
  int sample = -1;      // >= 0: written to every row in a `sample` column (--sample); -1: none
  // > 0 (--plane-block N): also measure, per GQA group, the share of K bit-plane blocks of N keys
  // alive at each bit (see plane_block_alive); 0: not measured.
  int plane_block = 0;
  int threads = 0;                                           // 0 = all cores
  std::function<void(std::int64_t, std::int64_t)> progress;  // see EmulationOptions::progress
};

struct LayerThreshold {
  int layer = 0;                   // as written in the output
  double threshold = 0;            // real units (the tensors' units)
  std::int64_t threshold_int = 0;  // integer units of the emulation
};

struct ProfileRow {
  int layer = 0;
  int head = 0;              // query head
  int sample = -1;           // -1: no sample column
  std::int64_t seq_len = 0;  // max(S_q, S_k): n_scores never exceeds seq_len^2; S_k in decode
  HeadCounts counts;
  std::vector<double> plane_alive;  // with --plane-block: a1..aN of the head's GQA group
};

struct ProfileResult {
  std::string model;
  std::string task;
  int n_bits = 0;
  double scale_q = 1;
  double scale_k = 1;
  std::vector<std::int64_t> q_shape;
  std::vector<std::int64_t> k_shape;
  std::vector<LayerThreshold> thresholds;
  std::vector<ProfileRow> rows;       // one per (layer, head), layer-major
  std::vector<std::string> comments;  // provenance lines (without '#')
  double seconds = 0;                 // wall time of the emulation
};

// Runs the whole pipeline. Throws InputError for bad files, shapes, values or options.
ProfileResult run_profile(const ProfileOptions& options);

// Writes the result as a statistics CSV with counts: '#' comment lines, then the header
// model,task,layer,head[,sample],seq_len,n_scores,n_pruned,t1..tN[,a1..aN] and one row per
// (layer, query head); the sample column is written when the rows carry a sample, a1..aN with
// --plane-block.
void write_profile_csv(const std::filesystem::path& file, const ProfileResult& result);

// K stored in bit planes (all keys' bit 1, then bit 2, ...) in blocks of `block` keys: plane b of
// a block is read only while some score of the block is undecided at bit b, and a K head serves
// the G query heads of its group. For one group (the jobs of its query heads, sharing K), over
// every query row i and every block of keys [m x block, (m + 1) x block) cut to the keys row i sees
// (causal: bottom-right), a block needs planes 1..max b1 over its G x keys scores (a score that
// survives needs all n). Returns alive[b - 1] = share of (row, block) pairs that need plane b; it
// never increases with b, and alive[0] = 1. Scalar (emulate_score per score): meant for decode
// steps and modest prefills.
std::vector<double> plane_block_alive(const std::vector<HeadJob>& group, int n_bits, bool causal,
                                      std::int64_t block);

// Reads "layer,threshold" lines ('#' comments and blank lines skipped, an optional header line).
std::vector<std::pair<int, double>> load_thresholds_csv(const std::filesystem::path& file);

// Quantises a float tensor: s <= 0 picks max|v| / (2^(n-1) - 1) (1 when all zero). Returns the
// integers and stores the scale used. Throws InputError(file) on NaN/Inf or an out-of-range value.
std::vector<std::int32_t> quantise(const NpyArray& array, int n_bits, double& scale);

}  // namespace leopard::workloads::profile
