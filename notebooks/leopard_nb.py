"""Shared helpers of the leopard-dse notebooks: where the inputs are, read-only database access,
figure saving, and the paper's published reference values.

The notebooks never recompute model numbers: every latency, energy, area, utilisation and breakdown
comes from a leopard-dse results database or from the tool's CSV output. The only numbers defined here
are the paper's published values (Li et al., "Accelerating Attention through Gradient-Based Learned
Runtime Pruning", ISCA 2022; see docs/paper-facts.md section 5), used as references.

Environment (relative paths are taken relative to the repository root):
  LEOPARD_DB              results database (default results/db/leopard.db), opened read-only
  LEOPARD_FIGURES         folder for the figures, PNG and SVG (default docs/figures)
  LEOPARD_DATA            folder of the tool's CSV outputs written next to the database by
                          scripts/figures.sh (default: the database's folder)
  LEOPARD_REPRODUCE_CSV   `leopard-dse reproduce --format csv` output (default $LEOPARD_DATA/reproduce.csv)
  LEOPARD_PARETO_RUN      run name for pareto.ipynb (default paper-grid; falls back to the latest run)
  LEOPARD_SENSITIVITY_RUN run name for sensitivity.ipynb (default nb-sensitivity)
  LEOPARD_FIG11_PREFIX    run-name prefix of the Fig. 11 runs for breakdown.ipynb (default nb-fig11)
  LEOPARD_TAIL_RUN        run name of the mean vs p99 sweep for distributions.ipynb (default nb-tail)
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless (nbconvert, CI); figures are written to files
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _path(env: str, default: str | Path) -> Path:
    value = os.environ.get(env)
    p = Path(value) if value else Path(default)
    return p if p.is_absolute() else (REPO / p)


DB = _path("LEOPARD_DB", "results/db/leopard.db")
FIGURES = _path("LEOPARD_FIGURES", "docs/figures")
DATA = _path("LEOPARD_DATA", DB.parent)
REPRODUCE_CSV = _path("LEOPARD_REPRODUCE_CSV", DATA / "reproduce.csv")
PARETO_RUN = os.environ.get("LEOPARD_PARETO_RUN", "paper-grid")
SENSITIVITY_RUN = os.environ.get("LEOPARD_SENSITIVITY_RUN", "nb-sensitivity")
FIG11_PREFIX = os.environ.get("LEOPARD_FIG11_PREFIX", "nb-fig11")
TAIL_RUN = os.environ.get("LEOPARD_TAIL_RUN", "nb-tail")

# Display names of the models and the paper's order of Fig. 9/10.
MODEL_LABELS = {
    "memn2n": "MemN2N",
    "bert-base": "BERT-Base",
    "bert-large": "BERT-Large",
    "albert-xxlarge": "ALBERT-XX-Large",
    "gpt2-large": "GPT-2-Large",
    "vit-base": "ViT-Base",
}

# ---------------------------------------------------------------------------------------------
# The paper's published values (docs/paper-facts.md section 5). Per-task values come with the reproduce CSV.
PAPER = {
    # geometric means over the 43 tasks
    "geomean": {"ae": {"speedup": 1.9, "energy_reduction": 3.9},
                "hp": {"speedup": 2.4, "energy_reduction": 4.0}},
    # AE and HP design points (Sec. 5): the grid values that identify them in a sweep
    "designs": {
        "AE-LeOPArd": {"tiles": 2, "qk.dpus": 6, "qk.bits_per_cycle": 2, "v.macs": 64,
                       "buffers.key_kib": 48, "buffers.value_kib": 64, "clock_mhz": 800},
        "HP-LeOPArd": {"tiles": 2, "qk.dpus": 8, "qk.bits_per_cycle": 2, "v.macs": 64,
                       "buffers.key_kib": 48, "buffers.value_kib": 64, "clock_mhz": 800},
    },
    # Fig. 11: energy per component for one head, % of the baseline's total energy
    "fig11_components": ["QK compute", "Key buffer", "Softmax", "x V compute", "Value buffer"],
    "fig11": {
        "Baseline": [16.7, 16.7, 14.4, 29.5, 22.0],
        "AE MemN2N": [5.3, 6.1, 1.5, 2.3, 1.5],
        "AE BERT-B GLUE": [9.1, 11.4, 3.8, 3.8, 4.5],
    },
    # Fig. 13: mean V-PU utilisation over the 43 tasks vs QK-DPUs per tile
    "fig13": {3: 0.33, 6: 0.65, 8: 0.87, 12: 1.25},
    # AE area split (Sec. 5, 65 nm) and areas
    "ae_area_split": {"QK logic": 38, "Value buffer": 18, "Key buffer": 16, "x V logic": 15,
                      "Softmax": 13},
    "ae_area_mm2": 6.44,        # 2 tiles, 2.3 mm x 2.8 mm
    "hp_tile_area_mm2": 3.47,   # one HP tile
    # energy reduction of AE split into pruning and early termination (geometric means)
    "energy_split": {"pruning": 2.1, "early_termination": 1.8},
}

# INTERIM (until the tool exports the roofline, see the README of the notebooks / the lead's issue):
# the preset values breakdown.ipynb needs to place eval results on a roofline. They mirror
# models/presets/*.yaml (tiles, v.macs, clock_mhz) and models/arch_params.cpp (dram.type = lpddr4) and
# the peak formula of models/leopard_cost_model.cpp (dense-equivalent rate = 2 x tiles x v.macs x 2 x
# clock). Used only when the eval CSV has no op_intensity / achieved_gops / attainable_gops columns.
INTERIM_ROOFLINE = {
    "presets": {"baseline": {"tiles": 2, "v.macs": 64, "clock_mhz": 800},
                "leopard-ae": {"tiles": 2, "v.macs": 64, "clock_mhz": 800},
                "leopard-hp": {"tiles": 2, "v.macs": 64, "clock_mhz": 800}},
    "dram": {"type": "lpddr4", "bandwidth_gbps": 12.8, "pj_per_bit": 8.0},
}


def interim_peak_gops(preset: str) -> float:
    p = INTERIM_ROOFLINE["presets"][preset]
    return 2.0 * p["tiles"] * p["v.macs"] * 2 * p["clock_mhz"] * 1e-3


# Store component names (models/cost.hpp Component) -> Fig. 11 labels; the others are extra.
COMPONENT_LABELS = {
    "qk_compute": "QK compute",
    "key_buffer": "Key buffer",
    "softmax": "Softmax",
    "v_compute": "x V compute",
    "value_buffer": "Value buffer",
    "fifo": "FIFO",
    "buffer_fill": "Buffer fill",
    "leakage": "Leakage",
    "dram": "DRAM",
}


# ---------------------------------------------------------------------------------------------
# Database access (read-only)
def connect(path: Path | str | None = None) -> sqlite3.Connection:
    """Opens a leopard-dse database read-only; a clear error if it does not exist."""
    p = Path(path) if path else DB
    if not p.is_file():
        raise FileNotFoundError(
            f"leopard-dse database not found: {p} (set LEOPARD_DB, or run `make figures`)")
    con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    fmt = con.execute("SELECT value FROM leopard_meta WHERE key = 'format'").fetchone()
    if not fmt or fmt[0] != "leopard-dse results":
        raise ValueError(f"{p} is not a leopard-dse results database")
    return con


def query(sql: str, params: tuple = (), con: sqlite3.Connection | None = None) -> pd.DataFrame:
    own = con is None
    con = con or connect()
    try:
        return pd.read_sql_query(sql, con, params=params)
    finally:
        if own:
            con.close()


def runs() -> pd.DataFrame:
    return query("SELECT * FROM run_summary ORDER BY run_id")


def run_id(name: str | None, fallback_latest: bool = False) -> int:
    """The latest complete run called `name` (or the latest complete run at all if allowed)."""
    df = query("SELECT id, name FROM runs WHERE status = 'complete' ORDER BY id")
    hit = df[df["name"] == name] if name else df.iloc[0:0]
    if len(hit):
        return int(hit["id"].iloc[-1])
    if fallback_latest and len(df):
        return int(df["id"].iloc[-1])
    raise LookupError(f"no complete run named '{name}' in {DB}; runs: {sorted(set(df['name']))}")


def runs_with_prefix(prefix: str) -> dict[str, int]:
    """name -> latest complete run id, for the runs whose name starts with `prefix`."""
    df = query("SELECT id, name FROM runs WHERE status = 'complete' AND name LIKE ? ORDER BY id",
               (prefix + "%",))
    return {n: int(i) for n, i in zip(df["name"], df["id"])}


def design_metrics(run: int, pareto_only: bool = False) -> pd.DataFrame:
    """Designs of a run with their metrics; the params JSON expanded into one column per key."""
    view = "pareto_designs" if pareto_only else "design_metrics"
    df = query(f"SELECT * FROM {view} WHERE run_id = ? ORDER BY design_index", (run,))
    params = pd.DataFrame([json.loads(p) for p in df["params"]], index=df.index)
    return pd.concat([df.drop(columns=["params"]), params], axis=1)


def axes_of(run: int) -> list[str]:
    """The run's axis names (dotted keys), in the space's order."""
    text = query("SELECT axes FROM runs WHERE id = ?", (run,))["axes"].iloc[0]
    axes = json.loads(text)
    return [a["name"] if isinstance(a, dict) else str(a) for a in axes]


def match(df: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Rows whose parameter columns equal `params` (keys missing from df are ignored)."""
    mask = pd.Series(True, index=df.index)
    for k, v in params.items():
        if k in df.columns:
            want = str(v).lower() if isinstance(v, bool) else str(v)  # the store writes true/false
            mask &= df[k].astype(str) == want
    return df[mask]


# ---------------------------------------------------------------------------------------------
# Tool CSV outputs
def read_csv(path: Path | str, what: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{what} not found: {p} (run scripts/figures.sh, or set LEOPARD_DATA)")
    return pd.read_csv(p)


def data_file(name: str) -> Path:
    return DATA / name


# ---------------------------------------------------------------------------------------------
# Small utilities
def geomean(values) -> float:
    v = [float(x) for x in values if x is not None and not pd.isna(x) and float(x) > 0]
    return math.exp(sum(math.log(x) for x in v) / len(v)) if v else float("nan")


def model_label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


def component_label(component: str) -> str:
    return COMPONENT_LABELS.get(component, component)


# ---------------------------------------------------------------------------------------------
# Figures
plt.rcParams.update({
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "svg.hashsalt": "leopard-dse",  # stable SVG ids
})

SAVED: list[Path] = []


def savefig(fig, name: str) -> list[Path]:
    """Writes FIGURES/name.png and FIGURES/name.svg; returns the two paths."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in ("png", "svg"):
        p = FIGURES / f"{name}.{ext}"
        meta = {"Software": None} if ext == "png" else {"Date": None}
        fig.savefig(p, format=ext, metadata=meta)
        out.append(p)
    SAVED.extend(out)
    print("saved", *(str(p) for p in out))
    return out


def summary() -> None:
    """Prints where the inputs came from (run at the top of each notebook)."""
    print(f"database:  {DB}")
    print(f"figures:   {FIGURES}")
    print(f"tool CSVs: {DATA}")
