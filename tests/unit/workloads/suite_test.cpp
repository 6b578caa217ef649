// Tests of suite loading: statistics attachment (head rows win), samples, paths, globs.
#include "workloads/suite.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "test_util.hpp"
#include "workloads/core/error.hpp"

using namespace leopard::workloads;
using leopard::InputError;

TEST_CASE("glob_match", "[suite]") {
  CHECK(glob_match("*", "bert-base/SST-2"));
  CHECK(glob_match("bert-*/SST-?", "bert-base/SST-2"));
  CHECK(glob_match("*/SQuAD", "albert-xxlarge/SQuAD"));
  CHECK_FALSE(glob_match("bert-*/SST-?", "bert-base/SST-22"));
  CHECK_FALSE(glob_match("gpt2*", "bert-base/SST-2"));
  CHECK(glob_match("a*b*c", "aXXbYYbc"));
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "x"));
}

TEST_CASE("a user suite loads with zoo and path models and relative stats", "[suite]") {
  const Suite s = load_suite(leopard::test::data_file("suite_small.yaml").string());
  CHECK(s.name == "small");
  REQUIRE(s.tasks.size() == 3);

  const TaskWorkload& toy = s.tasks[0];
  CHECK(toy.model == "bert-tiny");
  CHECK(toy.task == "toy");
  CHECK(toy.seq_len == 128);
  CHECK(toy.samples.empty());
  REQUIRE(toy.layers.size() == 2);
  CHECK(toy.layers[0].shape.heads == 2);
  CHECK(toy.layers[0].shape.q_len == 128);
  REQUIRE(toy.layers[0].heads.size() == 2);
  // Layer row copied to both heads of layer 0.
  CHECK(toy.layers[0].heads[0].n_pruned == 12000);
  CHECK(toy.layers[0].heads[1].n_pruned == 12000);
  // Layer 1: head 0 from the layer row, head 1 from its own row (the head row wins).
  CHECK(toy.layers[1].heads[0].n_pruned == 8192);
  CHECK(toy.layers[1].heads[1].n_pruned == 4096);
  CHECK(toy.layers[1].heads[1].hist[2] == Approx(0.5));

  CHECK(s.tasks[1].seq_len == 64);
  CHECK(s.tasks[1].layers[1].heads[0].n_pruned == 0);

  const TaskWorkload& mini = s.tasks[2];
  CHECK(mini.model == "mini");
  CHECK(mini.seq_len == 16);  // the model's default_seq_len
  REQUIRE(mini.layers.size() == 1);
  CHECK(mini.layers[0].shape.causal);
  CHECK(mini.layers[0].shape.scores_per_head() == Approx(16.0 * 17 / 2));
  CHECK(mini.layers[0].heads[0].prune_rate() == Approx(0.5));
  CHECK(mini.layers[0].heads[1].prune_rate() == Approx(0.25));
}

TEST_CASE("samples are kept per sample and pooled", "[suite]") {
  const Suite s = load_suite(leopard::test::data_file("suite_samples.yaml").string());
  REQUIRE(s.tasks.size() == 1);
  const TaskWorkload& w = s.tasks[0];
  REQUIRE(w.samples.size() == 2);
  CHECK(w.samples[0][0].heads[0].n_pruned == Approx(0.5 * 16384));
  CHECK(w.samples[1][0].heads[0].n_pruned == Approx(0.75 * 16384));
  CHECK(w.samples[1][1].heads[0].n_pruned == Approx(0.5 * 16384));  // head row of sample 1
  CHECK(w.samples[1][1].heads[1].n_pruned == Approx(0.25 * 16384));
  // Pooled layer 0: mean pruned (8192 + 12288) / 2; histogram weighted by pruned counts:
  // (8192 x [.25 .25 .25 .25] + 12288 x [0 0 0 1]) / 20480 = [.1 .1 .1 .7].
  const TerminationStats& p0 = w.layers[0].heads[0];
  CHECK(p0.n_pruned == Approx(10240));
  CHECK(p0.n_scores == Approx(16384));
  CHECK(p0.hist[0] == Approx(0.1));
  CHECK(p0.hist[3] == Approx(0.7));
  // Pooled layer 1 head 0: 4096 x [1 0 0 0] and 8192 x [0 0 1 0] -> [1/3 0 2/3 0].
  const TerminationStats& p1 = w.layers[1].heads[0];
  CHECK(p1.hist[0] == Approx(1.0 / 3));
  CHECK(p1.hist[2] == Approx(2.0 / 3));
  CHECK(p1.prune_rate() == Approx((0.25 + 0.5) / 2));
}

TEST_CASE("suite errors: missing statistics, bad keys, unknown suite", "[suite]") {
  const auto dir = leopard::test::scratch_dir("suite");
  leopard::test::write_file(dir / "partial.csv",
                            "model,task,layer,head,seq_len,n_scores,n_pruned,t1\n"
                            "bert-tiny,toy,0,*,32,1024,0,0\n"
                            "bert-tiny,toy,1,0,32,1024,0,0\n");
  leopard::test::write_file(dir / "partial.yaml",
                            "name: p\ntasks:\n  - model: bert-tiny\n    task: toy\n"
                            "    seq_len: 32\n    stats: partial.csv\n");
  try {
    load_suite((dir / "partial.yaml").string());
    FAIL("no error");
  } catch (const InputError& e) {
    // The suite entry is named first; the statistics file and the missing head follow.
    CHECK(e.file() == (dir / "partial.yaml").string());
    CHECK(e.line() == 3);
    CHECK(e.field() == "task");
    CHECK_THAT(std::string(e.what()),
               Catch::Contains("partial.csv") && Catch::Contains("layer 1, head 1"));
  }

  leopard::test::write_file(dir / "seq.yaml",
                            "name: p\ntasks:\n  - model: bert-tiny\n    task: toy\n"
                            "    seq_len: 64\n    stats: partial.csv\n");
  try {
    load_suite((dir / "seq.yaml").string());
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "seq_len");
    CHECK(e.line() == 2);
  }

  leopard::test::write_file(dir / "key.yaml",
                            "name: p\ntasks:\n  - model: bert-tiny\n    task: toy\n"
                            "    seqlen: 32\n    stats: partial.csv\n");
  try {
    load_suite((dir / "key.yaml").string());
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "seqlen");
    CHECK(e.line() == 5);
  }

  leopard::test::write_file(dir / "model.yaml",
                            "name: p\ntasks:\n  - model: bert-enormous\n    task: toy\n"
                            "    stats: partial.csv\n");
  try {
    load_suite((dir / "model.yaml").string());
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "model");
    CHECK(e.line() == 3);
  }

  CHECK_THROWS_AS(load_suite("no-such-suite"), InputError);
}

TEST_CASE("filter_suite keeps matching tasks and rejects an empty match", "[suite]") {
  const Suite s = load_suite(leopard::test::data_file("suite_small.yaml").string());
  CHECK(filter_suite(s, "").tasks.size() == 3);
  CHECK(filter_suite(s, "bert-tiny/*").tasks.size() == 2);
  CHECK(filter_suite(s, "*/lm").tasks.at(0).model == "mini");
  CHECK_THROWS_AS(filter_suite(s, "gpt2/*"), InputError);
}

// --- LLM tasks: phase decode, context, generate, batch; max_positions warnings ------------------

namespace {

// A two-layer GQA decoder (4 query heads, 2 K/V heads) with 64 positions, and its statistics.
std::filesystem::path llm_fixture(const std::string& tag, const std::string& tasks) {
  const auto dir = leopard::test::scratch_dir(tag);
  leopard::test::write_file(dir / "tiny-llama.yaml",
                            "name: tiny-llama\nfamily: llama\nlayers: 2\nhidden: 64\nheads: 4\n"
                            "kv_heads: 2\nffn: 128\nmax_positions: 64\n"
                            "sliding_window: {size: 16, layers: odd}\n");
  leopard::test::write_file(dir / "stats.csv",
                            "model,task,layer,head,seq_len,n_scores,prune_rate,t1,t2\n"
                            "tiny-llama,pre,0,*,32,528,0.5,0.5,0.5\n"
                            "tiny-llama,pre,1,*,32,392,0.5,0.5,0.5\n"
                            "tiny-llama,dec,0,*,40,40,0.5,1,0\n"
                            "tiny-llama,dec,1,*,40,16,0.5,1,0\n"
                            "tiny-llama,long,0,*,100,100,0.5,1,0\n"
                            "tiny-llama,long,1,*,100,16,0.5,1,0\n");
  return leopard::test::write_file(dir / "suite.yaml", "name: llm-test\ntasks:\n" + tasks);
}

InputError suite_error(const std::filesystem::path& file) {
  try {
    load_suite(file.string());
  } catch (const InputError& e) {
    return e;
  }
  FAIL("no error");
  return InputError("");
}

}  // namespace

TEST_CASE("a decode task has q_len 1, k_len = context, and its phase, generate and batch",
          "[suite][llm]") {
  const auto file =
      llm_fixture("decode",
                  "  - {model: tiny-llama.yaml, task: pre, seq_len: 32, stats: stats.csv}\n"
                  "  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 40,\n"
                  "     generate: 8, batch: 3, stats: stats.csv}\n"
                  "  - {model: tiny-llama.yaml, task: dec, phase: decode, seq_len: 40,\n"
                  "     stats: stats.csv}\n");
  const Suite s = load_suite(file.string());
  REQUIRE(s.tasks.size() == 3);
  CHECK(s.warnings.empty());  // 40 + 8 - 1 = 47 <= 64 positions

  const TaskWorkload& pre = s.tasks[0];
  CHECK(pre.phase == Phase::kPrefill);
  CHECK(pre.seq_len == 32);
  CHECK(pre.layers[0].shape.q_len == 32);
  CHECK(pre.layers[0].shape.k_len == 32);
  CHECK(pre.layers[0].shape.scores_per_head() == 32.0 * 33 / 2);
  CHECK(pre.layers[1].shape.window == 16);  // odd layers: 16 (17) / 2 + 16 x 16 = 392
  CHECK(pre.layers[1].shape.scores_per_head() == 392);

  const TaskWorkload& dec = s.tasks[1];
  CHECK(dec.phase == Phase::kDecode);
  CHECK(dec.context == 40);
  CHECK(dec.seq_len == 40);
  CHECK(dec.generate == 8);
  CHECK(dec.batch == 3);
  REQUIRE(dec.layers.size() == 2);
  for (const auto& l : dec.layers) {
    CHECK(l.shape.q_len == 1);
    CHECK(l.shape.k_len == 40);
    CHECK(l.shape.causal);
    CHECK(l.shape.heads == 4);
    CHECK(l.shape.kv_heads == 2);
    CHECK(l.shape.window == (l.shape.index % 2 == 1 ? 16 : 0));
    REQUIRE(l.heads.size() == 4);
    CHECK(l.heads[3].prune_rate() == Approx(0.5));
  }
  CHECK(dec.layers[0].shape.scores_per_head() == 40);
  CHECK(dec.layers[1].shape.scores_per_head() == 16);

  // seq_len stands for the context of a decode task; generate and batch default to 1.
  const TaskWorkload& alias = s.tasks[2];
  CHECK(alias.phase == Phase::kDecode);
  CHECK(alias.context == 40);
  CHECK(alias.generate == 1);
  CHECK(alias.batch == 1);
  CHECK(alias.layers[0].shape.k_len == 40);
}

TEST_CASE("beyond max_positions is priced with a warning naming the limit", "[suite][llm]") {
  const auto file =
      llm_fixture("warn",
                  "  - {model: tiny-llama.yaml, task: long, phase: decode, context: 100,\n"
                  "     stats: stats.csv}\n"
                  "  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 40,\n"
                  "     generate: 30, stats: stats.csv}\n"
                  "  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 40,\n"
                  "     generate: 25, stats: stats.csv}\n");
  const Suite s = load_suite(file.string());
  REQUIRE(s.tasks.size() == 3);
  CHECK(s.tasks[0].layers[0].shape.k_len == 100);
  REQUIRE(s.warnings.size() == 2);  // 100 > 64 and 40 + 29 = 69 > 64; 40 + 24 = 64 is fine
  CHECK_THAT(s.warnings[0], Catch::Contains("suite.yaml:3") && Catch::Contains("context 100") &&
                                Catch::Contains("max_positions 64"));
  CHECK_THAT(s.warnings[1], Catch::Contains("suite.yaml:5") && Catch::Contains("69 positions") &&
                                Catch::Contains("max_positions 64"));
  // Filtering keeps the warnings of the kept tasks only.
  CHECK(filter_suite(s, "*/long").warnings.size() == 1);

  // A prefill beyond the limit: the paper's GPT-2 large at 1280 > 1024 tokens.
  const Suite paper = load_suite("paper");
  REQUIRE(paper.warnings.size() == 1);
  CHECK_THAT(paper.warnings[0], Catch::Contains("gpt2-large/WikiText-2") &&
                                    Catch::Contains("seq_len 1280") &&
                                    Catch::Contains("max_positions 1024"));
}

TEST_CASE("decode keys are validated with file, line and field", "[suite][llm]") {
  struct Case {
    const char* task;
    const char* field;
    std::int64_t line;
  };
  const Case cases[] = {
      {"  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 0, stats: stats.csv}\n",
       "context", 3},
      {"  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 40, generate: 0,\n"
       "     stats: stats.csv}\n",
       "generate", 3},
      {"  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 40, batch: -2,\n"
       "     stats: stats.csv}\n",
       "batch", 3},
      {"  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 40, batch: 1.5,\n"
       "     stats: stats.csv}\n",
       "batch", 3},
      {"  - {model: tiny-llama.yaml, task: pre, seq_len: 32, context: 40, stats: stats.csv}\n",
       "context", 3},
      {"  - {model: tiny-llama.yaml, task: pre, seq_len: 32, generate: 4, stats: stats.csv}\n",
       "generate", 3},
      {"  - {model: tiny-llama.yaml, task: pre, phase: prefill, batch: 4, stats: stats.csv}\n",
       "batch", 3},
      {"  - {model: tiny-llama.yaml, task: dec, phase: decode, seq_len: 40, context: 40,\n"
       "     stats: stats.csv}\n",
       "context", 3},
      {"  - {model: tiny-llama.yaml, task: dec, phase: generate, context: 40, stats: stats.csv}\n",
       "phase", 3},
      {"  - {model: tiny-llama.yaml, task: dec, phase: decode, stats: stats.csv}\n", "context", 3},
      // The statistics rows of a decode task carry its context as seq_len.
      {"  - {model: tiny-llama.yaml, task: dec, phase: decode, context: 41, stats: stats.csv}\n",
       "seq_len", 4},
  };
  int i = 0;
  for (const auto& c : cases) {
    INFO(c.task);
    const InputError e = suite_error(llm_fixture("bad" + std::to_string(i++), c.task));
    CHECK(e.field() == c.field);
    CHECK(e.line() == c.line);
  }
  // Decode needs a causal decoder: bert-tiny has none.
  const auto dir = leopard::test::scratch_dir("bertdec");
  leopard::test::write_file(dir / "s.csv",
                            "model,task,layer,head,seq_len,n_scores,n_pruned,t1\n"
                            "bert-tiny,toy,0,*,32,32,0,0\nbert-tiny,toy,1,*,32,32,0,0\n");
  const InputError e = suite_error(leopard::test::write_file(
      dir / "s.yaml",
      "name: b\ntasks:\n  - {model: bert-tiny, task: toy, phase: decode, context: 32, "
      "stats: s.csv}\n"));
  CHECK(e.field() == "phase");
  CHECK(e.line() == 3);
  CHECK_THAT(std::string(e.what()), Catch::Contains("causal"));
}

TEST_CASE("the shipped llm suite loads: Llama-3.1 prefill and decode to 128k, Mistral, Qwen2",
          "[suite][llm]") {
  const Suite s = load_suite("llm");
  CHECK(s.warnings.empty());
  REQUIRE(s.tasks.size() == 10);
  std::map<std::string, const TaskWorkload*> by;
  for (const auto& t : s.tasks) by[t.model + "/" + t.task] = &t;
  const TaskWorkload& p32 = *by.at("llama3.1-8b/prefill-32k");
  CHECK(p32.phase == Phase::kPrefill);
  CHECK(p32.layers.size() == 32);
  CHECK(p32.layers[0].shape.q_len == 32768);
  CHECK(p32.layers[0].shape.scores_per_head() == 32768.0 * 32769 / 2);
  CHECK(p32.layers[0].heads[0].prune_rate() == Approx(0.739));
  const TaskWorkload& d128 = *by.at("llama3.1-8b/decode-128k");
  CHECK(d128.phase == Phase::kDecode);
  CHECK(d128.context == 131072);
  CHECK(d128.layers[31].shape.q_len == 1);
  CHECK(d128.layers[31].shape.k_len == 131072);
  CHECK(d128.layers[31].shape.kv_heads == 8);
  const TaskWorkload& b8 = *by.at("llama3.1-8b/decode-4k-b8");
  CHECK(b8.batch == 8);
  CHECK(b8.generate == 128);
  const TaskWorkload& m32 = *by.at("mistral-7b/decode-32k");
  CHECK(m32.layers[0].shape.window == 4096);
  CHECK(m32.layers[0].shape.scores_per_head() == 4096);
  const TaskWorkload& q4 = *by.at("qwen2-7b/decode-4k");
  CHECK(q4.layers.size() == 28);
  CHECK(q4.layers[0].shape.heads == 28);
  CHECK(q4.layers[0].shape.kv_heads == 4);
  CHECK(q4.layers[0].shape.window == 0);
  // The termination histogram is Fig. 8's bert-base-squad curve, normalised: increments of
  // 0,0,0,15,43,60,68,71,73,73,74,74 over 74.
  const auto& hist = q4.layers[0].heads[0].hist;
  REQUIRE(hist.size() == 12);
  CHECK(hist[3] == Approx(15.0 / 74));
  CHECK(hist[4] == Approx(28.0 / 74));
  CHECK(hist[10] == Approx(1.0 / 74));
}

TEST_CASE("a 128k-token prefill task loads without overflow", "[suite][llm]") {
  const auto dir = leopard::test::scratch_dir("long");
  std::string csv = "model,task,layer,head,seq_len,n_scores,prune_rate,t1\n";
  for (int l = 0; l < 32; ++l) {
    csv += "llama3.1-8b,long," + std::to_string(l) + ",*,131072,8590000128,0.5,1\n";
  }
  leopard::test::write_file(dir / "s.csv", csv);
  const Suite s = load_suite(
      leopard::test::write_file(dir / "s.yaml",
                                "name: long\ntasks:\n  - {model: llama3.1-8b, task: long, "
                                "seq_len: 131072, stats: s.csv}\n")
          .string());
  CHECK(s.warnings.empty());
  REQUIRE(s.tasks.size() == 1);
  CHECK(s.tasks[0].layers[0].shape.scores_per_head() == 8590000128.0);
  CHECK(s.tasks[0].layers[0].heads[0].n_scores == 8590000128.0);
}
