#!/usr/bin/python3
"""Generates the ONNX test fixtures of tests/data/onnx/ with PyTorch's own exporter.

Run with Debian's interpreter (python3-torch 1.13 and python3-onnx from Debian 12):

    apt-get install -y python3-torch python3-onnx    # fixtures only; CI never installs torch
    /usr/bin/python3 scripts/gen_onnx_fixtures.py [OUT_DIR]

OUT_DIR defaults to tests/data/onnx; each file is also copied to fuzz/seeds/onnx/ as a seed.
The models are tiny (hidden 16 or 32, 4 or 8 query heads, 8 tokens, a 15-token KV cache) so that the
committed files stay small. Every block computes attention the way the real model's PyTorch code
does, so the graphs are what users' exports contain:

  encoder.onnx              BERT-like self-attention (bidirectional) plus an MLP 16 -> 32 -> 16
  gpt2_causal.onnx          GPT-2-like: a registered lower-triangular `bias` buffer, masked by
                            torch.where with finfo.min (HF modeling_gpt2 `_attn`)
  mha.onnx                  torch.nn.MultiheadAttention (seq-first, batch 1): [batch * heads, S, d]
  llama_gqa_prefill.onnx    Llama-style GQA, 8 query heads / 2 KV heads, K and V repeated with a
                            static torch.repeat_interleave(dim=1); causal triu(-inf) mask
  llama_gqa_hf_prefill.onnx the same with HF's repeat_kv (expand + reshape)
  llama_gqa_decode.onnx     one decode step: past K/V [1, 2, 15, 4] inputs, Concat with the new
                            token's K/V (k_len 16), repeat_interleave
  llama_gqa_hf_decode.onnx  the same decode step with repeat_kv
  gqa_dynamic_repeat.onnx   repeat_interleave with repeats read from a tensor: exported as a Loop,
                            which the importer refuses with a clear message

The shapes (heads, kv_heads, head_dim, q_len, k_len, causality) each file must be read as are
listed in EXPECTED below; tests/unit/workloads/onnx_import_test.cpp checks the same values.
"""

import math
import os
import shutil
import sys

import torch
from torch import nn

HIDDEN = 32  # the Llama blocks: 8 query heads of dim 4
SMALL = 16  # the encoder, GPT-2 and nn.MultiheadAttention blocks: 4 heads of dim 4
SEQ = 8
CACHE = 15  # past tokens of the decode step: k_len = CACHE + 1

# file -> (heads, kv_heads, head_dim, q_len, k_len, causal); kept in step with the C++ tests.
EXPECTED = {
    "encoder.onnx": (4, 4, 4, SEQ, SEQ, False),
    "gpt2_causal.onnx": (4, 4, 4, SEQ, SEQ, True),
    "mha.onnx": (4, 4, 4, SEQ, SEQ, False),
    "llama_gqa_prefill.onnx": (8, 2, 4, SEQ, SEQ, True),
    "llama_gqa_hf_prefill.onnx": (8, 2, 4, SEQ, SEQ, True),
    "llama_gqa_decode.onnx": (8, 2, 4, 1, CACHE + 1, True),
    "llama_gqa_hf_decode.onnx": (8, 2, 4, 1, CACHE + 1, True),
}


def linear(n_in, n_out):
    # No bias and small weights: the files stay a few KB.
    return nn.Linear(n_in, n_out, bias=False)


class Encoder(nn.Module):
    """BERT self-attention (bidirectional) and its MLP."""

    def __init__(self, heads=4):
        super().__init__()
        self.h, self.d = heads, SMALL // heads
        self.q, self.k, self.v = linear(SMALL, SMALL), linear(SMALL, SMALL), linear(SMALL, SMALL)
        self.up, self.down = linear(SMALL, 2 * SMALL), linear(2 * SMALL, SMALL)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.h, self.d).transpose(1, 2)

    def forward(self, x):
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        o = torch.matmul(torch.softmax(scores, dim=-1), v)
        o = o.transpose(1, 2).reshape(x.shape)
        return self.down(torch.relu(self.up(o + x)))


class Gpt2Causal(nn.Module):
    """HF GPT-2 `_attn`: the `bias` buffer sliced to the sequence, torch.where with finfo.min."""

    def __init__(self, heads=4):
        super().__init__()
        self.h, self.d = heads, SMALL // heads
        self.c_attn = nn.Linear(SMALL, 3 * SMALL, bias=False)
        self.register_buffer("bias", torch.tril(torch.ones(SEQ, SEQ, dtype=torch.bool)).view(1, 1, SEQ, SEQ))

    def forward(self, x):
        b, s, _ = x.shape
        q, k, v = self.c_attn(x).split(SMALL, dim=2)
        q, k, v = (t.view(b, s, self.h, self.d).permute(0, 2, 1, 3) for t in (q, k, v))
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        mask = self.bias[:, :, :s, :s]
        w = torch.where(mask, w, torch.tensor(torch.finfo(w.dtype).min))
        return torch.matmul(nn.functional.softmax(w, dim=-1), v)


class Mha(nn.Module):
    def __init__(self, heads=4):
        super().__init__()
        self.mha = nn.MultiheadAttention(SMALL, heads, bias=False)

    def forward(self, x):
        return self.mha(x, x, x, need_weights=False)[0]


def repeat_kv_hf(x, n_rep):
    """HF transformers' modeling_llama.repeat_kv: expand + reshape."""
    b, kvh, s, d = x.shape
    if n_rep == 1:
        return x
    x = x[:, :, None, :, :].expand(b, kvh, n_rep, s, d)
    return x.reshape(b, kvh * n_rep, s, d)


class LlamaAttention(nn.Module):
    """Llama attention without rotary embeddings: GQA, causal, optional KV cache."""

    def __init__(self, heads=8, kv_heads=2, style="interleave"):
        super().__init__()
        self.h, self.kvh, self.d = heads, kv_heads, HIDDEN // heads
        self.style = style
        self.q = linear(HIDDEN, heads * self.d)
        self.k = linear(HIDDEN, kv_heads * self.d)
        self.v = linear(HIDDEN, kv_heads * self.d)

    def repeat(self, x):
        g = self.h // self.kvh
        if self.style == "interleave":
            return torch.repeat_interleave(x, g, dim=1)
        return repeat_kv_hf(x, g)

    def forward(self, x, past_k=None, past_v=None):
        b, s, _ = x.shape
        q = self.q(x).view(b, s, self.h, self.d).transpose(1, 2)
        k = self.k(x).view(b, s, self.kvh, self.d).transpose(1, 2)
        v = self.v(x).view(b, s, self.kvh, self.d).transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        kr, vr = self.repeat(k), self.repeat(v)
        w = torch.matmul(q, kr.transpose(2, 3)) / math.sqrt(self.d)
        if s > 1:
            t = k.shape[2]
            mask = torch.full((s, t), float("-inf")).triu(t - s + 1)
            w = w + mask
        o = torch.matmul(torch.softmax(w, dim=-1, dtype=torch.float32), vr)
        if past_k is None:
            return o
        return o, k, v


class DynamicRepeat(LlamaAttention):
    """repeat_interleave with per-head repeats from a graph input of dynamic length: PyTorch 1.13
    exports it as SplitToSequence + Loop + ConcatFromSequence."""

    def forward(self, x, reps):
        b, s, _ = x.shape
        q = self.q(x).view(b, s, self.h, self.d).transpose(1, 2)
        k = self.k(x).view(b, s, self.kvh, self.d).transpose(1, 2)
        v = self.v(x).view(b, s, self.kvh, self.d).transpose(1, 2)
        kr = torch.repeat_interleave(k, reps, dim=1)
        vr = torch.repeat_interleave(v, reps, dim=1)
        w = torch.matmul(q, kr.transpose(2, 3)) / math.sqrt(self.d)
        return torch.matmul(torch.softmax(w, dim=-1), vr)


def export(model, args, path, input_names, dynamic_axes=None):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names, opset_version=14,
                          do_constant_folding=True, dynamic_axes=dynamic_axes)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "data", "onnx")
    seeds = os.path.join(root, "fuzz", "seeds", "onnx")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    x = torch.randn(1, SEQ, HIDDEN)
    xs = torch.randn(1, SEQ, SMALL)
    x1 = torch.randn(1, 1, HIDDEN)
    past = (torch.randn(1, 2, CACHE, HIDDEN // 8), torch.randn(1, 2, CACHE, HIDDEN // 8))
    jobs = [
        ("encoder.onnx", Encoder(), (xs,), ["x"]),
        ("gpt2_causal.onnx", Gpt2Causal(), (xs,), ["x"]),
        ("mha.onnx", Mha(), (xs.transpose(0, 1),), ["x"]),
        ("llama_gqa_prefill.onnx", LlamaAttention(style="interleave"), (x,), ["x"]),
        ("llama_gqa_hf_prefill.onnx", LlamaAttention(style="hf"), (x,), ["x"]),
        ("llama_gqa_decode.onnx", LlamaAttention(style="interleave"), (x1, *past),
         ["x", "past_k", "past_v"]),
        ("llama_gqa_hf_decode.onnx", LlamaAttention(style="hf"), (x1, *past),
         ["x", "past_k", "past_v"]),
        ("gqa_dynamic_repeat.onnx", DynamicRepeat(), (x, torch.tensor([4, 4])), ["x", "reps"],
         {"reps": {0: "kv_heads"}}),
    ]
    for name, model, args, names, *dynamic in jobs:
        path = os.path.join(out, name)
        export(model, args, path, names, dynamic[0] if dynamic else None)
        shutil.copyfile(path, os.path.join(seeds, name))
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
