// `leopard-dse profile`: bit-exact LeOPArd QK emulation of real Q/K tensors into a statistics CSV.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dse/app/commands.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/table.hpp"
#include "workloads/profile/profiler.hpp"

namespace leopard::app {

namespace {

namespace prof = leopard::workloads::profile;

struct ProfileArgs {
  std::string q_file;
  std::string k_file;
  std::optional<double> threshold;
  std::string thresholds_file;
  int qk_bits = 12;
  std::vector<double> scale;
  bool calibrate = false;
  double target_rate = -1;
  bool causal = false;
  std::string model = "custom";
  std::string task;
  int layer = 0;
  int sample = -1;
  int plane_block = 0;
  int threads = 0;
  std::string output;
};

void run(const ProfileArgs& a) {
  prof::ProfileOptions opt;
  opt.q_file = a.q_file;
  opt.k_file = a.k_file;
  opt.threshold = a.threshold;
  if (!a.thresholds_file.empty()) opt.thresholds_file = a.thresholds_file;
  opt.n_bits = a.qk_bits;
  opt.scale = a.scale;
  opt.calibrate = a.calibrate;
  opt.target_rate = a.target_rate;
  opt.causal = a.causal;
  opt.model = a.model;
  opt.task = a.task;
  opt.first_layer = a.layer;
  opt.sample = a.sample;
  opt.plane_block = a.plane_block;
  opt.threads = a.threads;

  const bool tty = isatty(fileno(stderr)) != 0;
  const auto start = std::chrono::steady_clock::now();
  if (tty) {
    opt.progress = [start](std::int64_t done, std::int64_t total) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double rate = s > 0 ? static_cast<double>(done) / s : 0.0;
      const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
      std::fprintf(
          stderr, "\rprofile: %5.1f%%  %.3g scores/s  ETA %.0f s   ",
          total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0, rate,
          eta);
    };
  }
  const prof::ProfileResult r = prof::run_profile(opt);
  prof::write_profile_csv(a.output, r);
  if (tty) {
    std::int64_t scores = 0, pruned = 0;
    double bits = 0;
    for (const auto& row : r.rows) {
      scores += row.counts.n_scores;
      pruned += row.counts.n_pruned;
      for (std::size_t b = 0; b < row.counts.hist.size(); ++b) {
        bits += static_cast<double>(b + 1) * static_cast<double>(row.counts.hist[b]);
      }
    }
    const double rate = scores > 0 ? static_cast<double>(pruned) / static_cast<double>(scores) : 0;
    std::cerr << "\rprofile: " << r.rows.size() << " heads, " << scores << " scores, prune rate "
              << format_double(rate, 4) << ", mean bits of pruned scores "
              << format_double(pruned > 0 ? bits / static_cast<double>(pruned) : 0.0, 4) << ", "
              << format_double(static_cast<double>(scores) / std::max(r.seconds, 1e-9), 3)
              << " scores/s -> " << a.output << '\n';
  }
}

}  // namespace

void register_profile(CLI::App& app) {
  auto args = std::make_shared<ProfileArgs>();
  CLI::App* cmd = app.add_subcommand(
      "profile",
      "Emulate LeOPArd's bit-serial QK units exactly on real Q/K tensors (.npy) and write the\n"
      "per-head pruning statistics (statistics CSV, t1..tN as counts)");
  cmd->add_option("--q", args->q_file, "Query tensor .npy: [S,d], [H,S,d] or [L,H,S,d]")
      ->required();
  cmd->add_option("--k", args->k_file,
                  "Key tensor .npy, same rank/L/d as Q (S may differ: a decode step against a KV "
                  "cache); H_kv heads dividing Q's H (grouped-query attention: query head h uses "
                  "K head h / (H / H_kv))")
      ->required();
  auto* th = cmd->add_option("--threshold", args->threshold,
                             "Threshold for every layer, in the tensors' units (score = q.k)");
  auto* ths = cmd->add_option("--thresholds", args->thresholds_file,
                              "CSV of layer,threshold (one threshold per layer)");
  cmd->add_option("--qk-bits", args->qk_bits, "Operand bits n (sign-magnitude), 2..32")
      ->capture_default_str();
  cmd->add_option("--scale", args->scale,
                  "Quantisation scale (real units per integer unit): S for both, "
                  "or SQ,SK; default max|v|/(2^(n-1)-1) per float tensor, 1 for "
                  "integer tensors")
      ->delimiter(',')
      ->expected(1, 2);
  auto* cal = cmd->add_flag("--calibrate", args->calibrate,
                            "Choose each layer's threshold so that --target-rate of its scores "
                            "are pruned");
  auto* target = cmd->add_option("--target-rate", args->target_rate,
                                 "Target prune rate in [0, 1] for --calibrate")
                     ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--causal", args->causal,
                "Count only the scores a causal mask keeps, aligned bottom-right as with a KV "
                "cache: query i of S_q sees keys j <= i + S_k - S_q");
  cmd->add_option("--model", args->model, "Model name written to the CSV (a zoo name for suites)")
      ->capture_default_str();
  cmd->add_option("--task", args->task, "Task name written to the CSV (default: Q file stem)");
  cmd->add_option("--layer", args->layer,
                  "Layer index of the first layer in the tensors (for [S,d] or [H,S,d] inputs: "
                  "the layer they come from)")
      ->capture_default_str();
  cmd->add_option("--sample", args->sample,
                  "Tag every row with this sample id (a `sample` column): one input of many, "
                  "for per-input tail statistics")
      ->check(CLI::Range(0, 1000000));  // the statistics loader's index range
  cmd->add_option("--plane-block", args->plane_block,
                  "Also write a1..aN: the measured share of K bit-plane blocks of N keys (a DRAM "
                  "burst) still needed at each bit, per GQA group (scalar emulation: slower)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output, "Output statistics CSV")->required();
  th->excludes(ths);
  cal->excludes(th)->excludes(ths);
  target->needs(cal);
  cal->needs(target);
  cmd->callback([args]() { run(*args); });
}

}  // namespace leopard::app
