// Tests of the statistics CSV loader: accepted layouts, every rejection (with line and field),
// model validation and the writer round trip.
#include "workloads/stats.hpp"

#include <catch2/catch.hpp>

#include "test_util.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/model_spec.hpp"

using namespace leopard::workloads;
using leopard::InputError;

namespace {

struct Failure {
  std::string file, field, what;
  std::int64_t line = -1;
};

template <typename F>
Failure failure_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return {e.file(), e.field(), e.what(), e.line()};
  }
  return {};
}

}  // namespace

TEST_CASE("a good statistics file loads: counts, fractions, layer and head rows", "[stats]") {
  const StatsTable t = load_stats_csv(leopard::test::data_file("good_stats.csv"));
  CHECK(t.n_bits == 6);
  CHECK_FALSE(t.has_samples);
  REQUIRE(t.rows.size() == 5);
  const StatsRow& r0 = t.rows[0];
  CHECK(r0.model == "bert-tiny");
  CHECK(r0.task == "toy");
  CHECK(r0.layer == 0);
  CHECK(r0.head == -1);
  CHECK(r0.line == 4);
  CHECK(r0.stats.prune_rate() == Approx(12000.0 / 16384));
  // Counts are normalised to fractions: 1000/12000 terminate at bit 2.
  CHECK(r0.stats.hist[1] == Approx(1000.0 / 12000));
  CHECK(r0.stats.mean_pruned_bits() ==
        Approx((2 * 1000 + 3 * 3000 + 4 * 4000 + 5 * 3000 + 6 * 1000) / 12000.0));
  CHECK(t.rows[2].line == 7);  // the blank line still counts
  CHECK(t.rows[2].head == 1);
  CHECK(t.rows[4].stats.n_pruned == 0);
  CHECK(t.rows[4].stats.mean_pruned_bits() == 0);
  CHECK_NOTHROW(validate_stats_against_model(t, find_model("bert-tiny")));
  CHECK_NOTHROW(validate_stats_models(t, ""));

  const StatsSummary s = summarize_stats(t);
  CHECK(s.rows == 5);
  CHECK(s.models == 1);
  CHECK(s.tasks == 2);
  CHECK(s.mean_prune_rate == Approx((12000.0 / 16384 + 0.5 + 0.25 + 0.5 + 0.0) / 5));
}

TEST_CASE("the shipped bad-input corpus is rejected with line and field", "[stats]") {
  struct Case {
    const char* file;
    std::int64_t line;
    const char* field;
    const char* words;  // part of the message
  };
  const Case cases[] = {
      {"rate_above_one.csv", 3, "prune_rate", "outside [0, 1]"},
      {"negative_count.csv", 4, "t2", "negative count"},
      {"histogram_sum.csv", 3, "t1..t4", "sums to 90"},
      {"duplicate_row.csv", 4, "head", "duplicate row"},
      {"truncated_line.csv", 3, "t1", "truncated line"},
      {"non_numeric.csv", 3, "n_scores", "expected a number"},
      {"empty.csv", 0, "", "empty file"},
      {"header_only.csv", 2, "", "no data rows"},
      {"missing_column.csv", 2, "n_scores", "missing required column"},
      {"gap_t_columns.csv", 2, "t3", "contiguous"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const auto path = leopard::test::data_file(std::string("bad/") + c.file);
    const Failure f = failure_of([&] { load_stats_csv(path); });
    CHECK(f.file == path.string());
    CHECK(f.line == c.line);
    CHECK(f.field == c.field);
    CHECK(f.what.find(c.words) != std::string::npos);
    if (c.line > 0) CHECK(f.what.find(":" + std::to_string(c.line) + ":") != std::string::npos);
    if (*c.field) CHECK(f.what.find(std::string("'") + c.field + "'") != std::string::npos);
  }
}

TEST_CASE("rows are checked against the model's layers, heads and scores", "[stats]") {
  const ModelSpec tiny = find_model("bert-tiny");
  SECTION("unknown layer") {
    const StatsTable t = load_stats_csv(leopard::test::data_file("bad/unknown_layer.csv"));
    const Failure f = failure_of([&] { validate_stats_against_model(t, tiny); });
    CHECK(f.line == 4);
    CHECK(f.field == "layer");
    CHECK(f.what.find("unknown layer 2") != std::string::npos);
    // The same through the zoo lookup of every model in the file.
    CHECK(failure_of([&] { validate_stats_models(t, ""); }).field == "layer");
  }
  SECTION("unknown head") {
    const StatsTable t = load_stats_csv(leopard::test::data_file("bad/unknown_head.csv"));
    const Failure f = failure_of([&] { validate_stats_against_model(t, tiny); });
    CHECK(f.line == 3);
    CHECK(f.field == "head");
  }
  SECTION("more scores than a head computes; unknown model") {
    const auto dir = leopard::test::scratch_dir("stats");
    const auto file =
        leopard::test::write_file(dir / "s.csv",
                                  "model,task,layer,head,seq_len,n_scores,n_pruned,t1\n"
                                  "bert-tiny,x,0,0,10,101,0,0\n"
                                  "nobody,x,0,0,10,100,0,0\n");
    const StatsTable t = load_stats_csv(file);
    const Failure f = failure_of([&] { validate_stats_against_model(t, tiny); });
    CHECK(f.line == 2);
    CHECK(f.field == "n_scores");
    const Failure g = failure_of([&] { validate_stats_models(t, "gpt2"); });
    CHECK(g.field == "model");  // no gpt2 rows at all
    const Failure h = failure_of([&] {
      validate_stats_models(load_stats_csv(leopard::test::write_file(
                                dir / "n.csv",
                                "model,task,layer,head,seq_len,n_scores,n_pruned,t1\n"
                                "nobody,x,0,0,10,100,0,0\n")),
                            "");
    });
    CHECK(h.line == 2);
    CHECK(h.field == "model");
  }
}

TEST_CASE("more rejections: extra fields, bad head, n_pruned above n_scores", "[stats]") {
  const auto dir = leopard::test::scratch_dir("stats");
  const std::string header = "model,task,layer,head,seq_len,n_scores,n_pruned,t1,t2\n";
  auto fail = [&](const std::string& name, const std::string& body) {
    return failure_of(
        [&] { load_stats_csv(leopard::test::write_file(dir / name, header + body)); });
  };
  CHECK(fail("extra.csv", "m,t,0,0,8,10,5,5,0,7\n").line == 2);
  CHECK(fail("head.csv", "m,t,0,x,8,10,5,5,0\n").field == "head");
  CHECK(fail("pruned.csv", "m,t,0,0,8,10,11,11,0\n").field == "n_pruned");
  CHECK(fail("neg.csv", "m,t,0,0,8,10,-1,0,0\n").field == "n_pruned");
  CHECK(fail("seq.csv", "m,t,0,0,0,10,5,5,0\n").field == "seq_len");
  CHECK(fail("zero.csv", "m,t,0,0,8,10,5,0,0\n").field == "t1..t2");  // pruned but no histogram
  CHECK(fail("layer.csv", "m,t,-1,0,8,10,5,5,0\n").field == "layer");
  const Failure unknown = failure_of([&] {
    load_stats_csv(leopard::test::write_file(dir / "col.csv",
                                             "model,task,layer,head,seq_len,"
                                             "n_scores,n_pruned,t1,colour\n"));
  });
  CHECK(unknown.field == "colour");
  CHECK(unknown.line == 1);
  // A fraction histogram within the tolerance is accepted; outside it is not.
  CHECK_NOTHROW(load_stats_csv(
      leopard::test::write_file(dir / "tol.csv", header + "m,t,0,0,8,10,5,0.3333,0.6668\n")));
  CHECK(fail("tol2.csv", "m,t,0,0,8,10,5,0.3,0.6\n").field == "t1..t2");
}

TEST_CASE("write_stats_csv round-trips through the loader", "[stats]") {
  const StatsTable a = load_stats_csv(leopard::test::data_file("stats_samples.csv"));
  REQUIRE(a.has_samples);
  const auto dir = leopard::test::scratch_dir("stats");
  write_stats_csv(dir / "out.csv", {"source: round-trip test", "second line"}, a);
  const StatsTable b = load_stats_csv(dir / "out.csv");
  REQUIRE(b.rows.size() == a.rows.size());
  CHECK(b.has_samples);
  CHECK(b.n_bits == a.n_bits);
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    CHECK(b.rows[i].model == a.rows[i].model);
    CHECK(b.rows[i].head == a.rows[i].head);
    CHECK(b.rows[i].sample == a.rows[i].sample);
    CHECK(b.rows[i].seq_len == a.rows[i].seq_len);
    CHECK(b.rows[i].stats.n_pruned == Approx(a.rows[i].stats.n_pruned));
    for (int k = 0; k < a.n_bits; ++k)
      CHECK(b.rows[i].stats.hist[k] == Approx(a.rows[i].stats.hist[k]));
  }
  const std::string text = leopard::read_text_file(dir / "out.csv");
  CHECK(text.rfind("# source: round-trip test\n# second line\nmodel,task,layer,head,sample,", 0) ==
        0);
}
