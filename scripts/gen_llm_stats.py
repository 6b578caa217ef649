#!/usr/bin/python3
"""Writes workloads/suites/llm.yaml, its decode-only subset workloads/suites/llm-decode.yaml (the suite
of dse/spaces/llm-decode.yaml) and their statistics, workloads/suites/llm_stats.csv.

The statistics are SYNTHESISED from two stated assumptions, not measured on any LLM:
  * pruning rate 0.739 for every layer: GPT-2's published rate (LeOPArd, ISCA 2022, Fig. 7 and
    Sec. 5.2: 73.9% on WikiText-2; workloads/data/paper_suite.csv);
  * termination histogram: the paper's Fig. 8 curve of GPT-2, drawn on top of BERT-B SQuAD
    (workloads/data/termination_cdf.csv, row bert-base-squad), turned from a cumulative share of
    all scores into a histogram of the pruned scores (its increments divided by its end value).
Rows are layer-level (head '*'); n_scores is the scores one head computes in the task's shape
(prefill: the causal band of the prompt; decode: the first generated token's keys, min(context,
window)), the same closed form as workloads/workload.cpp, re-derived here.

Usage: /usr/bin/python3 scripts/gen_llm_stats.py   (from anywhere; writes into the repository)
"""

import csv
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CDF = os.path.join(ROOT, "workloads", "data", "termination_cdf.csv")
ZOO = os.path.join(ROOT, "workloads", "zoo")
SUITE = os.path.join(ROOT, "workloads", "suites", "llm.yaml")
DECODE_SUITE = os.path.join(ROOT, "workloads", "suites", "llm-decode.yaml")
STATS = os.path.join(ROOT, "workloads", "suites", "llm_stats.csv")

CURVE = "bert-base-squad"  # Fig. 8: GPT-2's curve is drawn on top of BERT-B SQuAD
PRUNE_RATE = 0.739  # GPT-2 on WikiText-2, paper Fig. 7 / Sec. 5.2

# (model, task, phase, tokens, generate, batch, comment). Prefill: tokens = prompt length (seq_len);
# decode: tokens = context (keys the first generated token attends to).
TASKS = [
    ("llama3.1-8b", "prefill-4k", "prefill", 4096, 1, 1, "4k-token prompt"),
    ("llama3.1-8b", "prefill-32k", "prefill", 32768, 1, 1, "32k-token prompt"),
    ("llama3.1-8b", "decode-4k", "decode", 4096, 128, 1,
     "128 tokens after a 4k context (k_len 4096..4223)"),
    ("llama3.1-8b", "decode-4k-b8", "decode", 4096, 128, 8,
     "the same, 8 sequences decoded together (8 KV caches)"),
    ("llama3.1-8b", "decode-32k", "decode", 32768, 128, 1, "128 tokens after a 32k context"),
    ("llama3.1-8b", "decode-128k", "decode", 131072, 1, 1,
     "one token at the full 131,072-position context (the model's limit)"),
    ("mistral-7b", "decode-4k", "decode", 4096, 128, 1,
     "sliding window 4096: from the second token on, a query sees 4096 keys"),
    ("mistral-7b", "decode-32k", "decode", 32768, 1, 1,
     "window 4096 of a 32k cache; generate 1: 32768 is max_positions"),
    ("qwen2-7b", "decode-4k", "decode", 4096, 128, 1, "GQA 28/4"),
    ("qwen2-7b", "decode-32k", "decode", 32768, 128, 1, "GQA 28/4, full attention"),
]


def read_zoo(name):
    """layers and sliding_window (plain integer form only) of a zoo entry."""
    layers, window = None, 0
    with open(os.path.join(ZOO, name + ".yaml"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("layers:"):
                layers = int(line.split(":", 1)[1])
            elif line.startswith("sliding_window:"):
                value = line.split(":", 1)[1].strip()
                if not value.isdigit():
                    sys.exit(f"{name}: per-layer sliding_window is not supported by this script")
                window = int(value)
    if layers is None:
        sys.exit(f"{name}: no layers key")
    return layers, window


def capped_triangle(n, cap):
    """sum_{j=1}^{n} min(j, cap)."""
    if n <= 0:
        return 0
    if n <= cap:
        return n * (n + 1) // 2
    return cap * (cap + 1) // 2 + (n - cap) * cap


def scores_per_head(q_len, k_len, window):
    """Causal, bottom-right aligned: query i sees k_len - q_len + i + 1 keys, at most window."""
    cap = min(window, k_len) if window > 0 else k_len
    return capped_triangle(k_len, cap) - capped_triangle(k_len - q_len, cap)


def histogram():
    with open(CDF, encoding="utf-8") as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    header, body = rows[0], rows[1:]
    for r in body:
        if r[0] == CURVE:
            cdf = [float(x) for x in r[1:]]
            break
    else:
        sys.exit(f"{CDF}: no row {CURVE}")
    if header[1:] != [f"b{i}" for i in range(1, len(cdf) + 1)]:
        sys.exit(f"{CDF}: unexpected header {header}")
    steps = [cdf[0]] + [cdf[i] - cdf[i - 1] for i in range(1, len(cdf))]
    if min(steps) < 0:
        sys.exit(f"{CDF}: row {CURVE} is not cumulative")
    return [s / cdf[-1] for s in steps]


def main():
    hist = histogram()
    mean_bits = sum((i + 1) * h for i, h in enumerate(hist))
    n_bits = len(hist)
    with open(STATS, "w", encoding="utf-8", newline="") as f:
        f.write(
            "# Layer-level statistics of the LLM suite, SYNTHESISED (not measured on any LLM); "
            "written by scripts/gen_llm_stats.py.\n"
            f"# prune_rate {PRUNE_RATE}: GPT-2's published pruning rate (LeOPArd ISCA 2022, "
            "Fig. 7 / Sec. 5.2, WikiText-2), assumed for every layer and head.\n"
            f"# t1..t{n_bits}: the paper's Fig. 8 termination curve of GPT-2 (drawn on BERT-B SQuAD: "
            f"workloads/data/termination_cdf.csv row {CURVE}), its increments divided by its end "
            f"value (mean {mean_bits:.3f} bits; Sec. 5.2 states 7.6 for GPT-2: the curve is used for "
            "its shape).\n"
            "# n_scores: scores per head of the task's shape (prefill: causal band of the prompt; "
            "decode: the first generated token's keys, min(context, window)). "
            "seq_len of a decode row = its context.\n"
        )
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["model", "task", "layer", "head", "seq_len", "n_scores", "prune_rate"]
                   + [f"t{i}" for i in range(1, n_bits + 1)])
        for model, task, phase, tokens, _gen, _batch, _ in TASKS:
            layers, window = read_zoo(model)
            q_len = tokens if phase == "prefill" else 1
            n = scores_per_head(q_len, tokens, window)
            for layer in range(layers):
                w.writerow([model, task, layer, "*", tokens, n, PRUNE_RATE]
                           + [f"{h:.12g}" for h in hist])
    write_suite(SUITE, "llm", TASKS,
                "# LLM inference suite: Llama-3.1-8B prefill (4k, 32k) and decode (4k, 32k, 128k),\n"
                "# Mistral-7B (sliding window 4096) and Qwen2-7B decode (4k, 32k).\n",
                "LLM inference (prefill and decode; GQA, sliding window; synthesised "
                "statistics borrowed from GPT-2)")
    write_suite(DECODE_SUITE, "llm-decode", [t for t in TASKS if t[2] == "decode"],
                "# LLM decode suite: the decode tasks of llm.yaml (Llama-3.1-8B at 4k, 32k and 128k,\n"
                "# batch 8 at 4k; Mistral-7B and Qwen2-7B), swept by dse/spaces/llm-decode.yaml.\n",
                "LLM decode over a KV cache (GQA, sliding window; synthesised statistics "
                "borrowed from GPT-2)")


def write_suite(path, name, tasks, intro, description):
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            intro
            + "# Statistics are SYNTHESISED from stated assumptions, not measured on these models:\n"
            f"# pruning rate {PRUNE_RATE} (GPT-2's published rate, LeOPArd ISCA 2022 Fig. 7 /"
            " Sec. 5.2) and the\n"
            "# termination curve of GPT-2 from the paper's Fig. 8 (drawn on BERT-B SQuAD,\n"
            "# workloads/data/termination_cdf.csv), layer level. Both files are written by\n"
            "#   /usr/bin/python3 scripts/gen_llm_stats.py\n"
            f"name: {name}\n"
            f"description: {description}\n"
            "tasks:\n"
        )
        for model, task, phase, tokens, gen, batch, comment in tasks:
            if phase == "prefill":
                f.write(f"  # {comment}\n  - {{model: {model}, task: {task}, seq_len: {tokens}, "
                        "stats: llm_stats.csv}\n")
            else:
                f.write(f"  # {comment}\n  - {{model: {model}, task: {task}, phase: decode, "
                        f"context: {tokens}, generate: {gen}, batch: {batch}, "
                        "stats: llm_stats.csv}\n")

if __name__ == "__main__":
    main()
