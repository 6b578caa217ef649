// Tests of suite loading: statistics attachment (head rows win), samples, paths, globs.
#include "workloads/suite.hpp"

#include <catch2/catch.hpp>

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
