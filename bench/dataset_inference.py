"""Dataset inference on a tiny LM fine-tuned on WordNet glosses: p-value by sample size for
a trained-on set and never-seen sets, per-feature AUCs, and the false-positive check.

    .venv/bin/python bench/dataset_inference.py --out runs/bench-di --epochs 1 --lr 3e-4

Uses experiments/inference/build.py: tiny-gpt2 pretrained on 6,000 glosses (base, init seed
0), then fine-tuned on the 1,000 suspect glosses once per seed (0, 1, 2). For each
fine-tuned model the features of suspect, validation and unseen (1,000 each, disjoint, one
distribution) are computed once, then tested (10 splits per size):

    trained      suspect vs validation                          (should be detected)
    unseen       unseen vs validation: never trained on either  (must not be)
    halves       two random halves of validation (false-positive mode; sizes up to 200)
    base         suspect vs validation on the base model, which never saw either
    +reference   trained, with the base as reference model (ref_ratio, ref_diff)

and the false-positive rate of single splits over 200 random halvings of validation and of
unseen+validation (size 100) with its 95% Clopper-Pearson interval. Prints markdown tables
and writes OUT/bench.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments" / "inference"))

SEEDS = (0, 1, 2)
SIZES = (10, 20, 50, 100, 200, 500)


def features(model_dir: Path, sets: dict, reference=None) -> dict:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from forgetlab.inference.scoring import feature_table

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tok = AutoTokenizer.from_pretrained(model_dir)
    return {
        name: feature_table(model, tok, sets[name], reference=reference)
        for name in ("suspect", "validation", "unseen")
    }


def without_ref(table):
    return table[[c for c in table.columns if not c.startswith("ref_")]]


def fp_rate(pool, sizes: int, n: int, seed: int) -> tuple[float, float, float]:
    """Share of single splits with p < 0.05 over `n` random halvings of `pool`."""
    from scipy.stats import binomtest

    from forgetlab.inference.aggregate import split_halves, split_p_values

    hits = 0
    for k in range(n):
        a, b = split_halves(pool.reset_index(drop=True), seed * 1000 + k)
        p, _ = split_p_values(a.to_numpy(float), b.to_numpy(float), [sizes], 1, seed * 1000 + k)
        hits += p[0, 0] < 0.05
    ci = binomtest(int(hits), n).proportion_ci(0.95, method="exact")
    return hits / n, ci.low, ci.high


def fmt_p(ps: list[float]) -> str:
    return " / ".join(f"{p:.2g}" for p in ps)


def main() -> None:
    import pandas as pd
    import torch
    from build import finetune, gloss_sets, pretrain
    from scipy import stats

    from forgetlab.inference.aggregate import dataset_inference

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=3e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    sets = gloss_sets()
    base = pretrain(args.out / "base")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ref = (AutoModelForCausalLM.from_pretrained(base), AutoTokenizer.from_pretrained(base))
    base_tables = features(base, sets)
    rows: dict[str, dict] = {}
    aucs: dict[str, list[float]] = {}
    fpr = {}
    for seed in SEEDS:
        tag = f"e{args.epochs}-lr{args.lr:g}-s{seed}"
        model_dir = finetune(base, args.out / tag, seed=seed, epochs=args.epochs, lr=args.lr)
        tab = features(model_dir, sets, reference=ref)
        s, v, u = tab["suspect"], tab["validation"], tab["unseen"]
        halves_s, halves_v = v.iloc[:500], v.iloc[500:]  # fixed order is already random
        runs = {
            "trained": (without_ref(s), without_ref(v), SIZES),
            "trained+reference": (s, v, SIZES),
            "unseen": (without_ref(u), without_ref(v), SIZES),
            "halves": (without_ref(halves_s), without_ref(halves_v), SIZES[:-1]),
            "base": (base_tables["suspect"], base_tables["validation"], SIZES),
        }
        for name, (a, b, sizes) in runs.items():
            res = dataset_inference(a, b, sizes=sizes, splits=10, seed=seed)
            rows.setdefault(name, {})[seed] = {r["size"]: r["p_value"] for r in res["sizes"]}
            if name in ("trained", "trained+reference", "unseen"):
                for f, auc in res["auc"].items():
                    aucs.setdefault(f"{name}:{f}", []).append(auc)
        if seed == SEEDS[0]:
            fpr["validation halves"] = fp_rate(without_ref(v), 100, 200, seed)
            mixed = pd.concat([without_ref(u).iloc[:500], without_ref(v).iloc[:500]])
            fpr["unseen + validation halves"] = fp_rate(mixed, 100, 200, seed)
    print(f"\n## p-value by sample size (seeds {SEEDS}: combined p of 10 splits each)\n")
    names = list(rows)
    print("| examples per set | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for n in SIZES:
        cells = [fmt_p([rows[k][s][n] for s in SEEDS]) if n in rows[k][0] else "-" for k in names]
        print(f"| {n} | " + " | ".join(cells) + " |")
    print("\n## per-feature ROC AUC (suspect = positive), mean and 95% t-interval over seeds\n")
    print("| feature | trained | unseen |")
    print("|---|---|---|")
    feats = [k.split(":", 1)[1] for k in aucs if k.startswith("trained:")]
    ref_feats = [k.split(":", 1)[1] for k in aucs if k.startswith("trained+reference:ref_")]

    def ci(values: list[float]) -> str:
        m = float(np.mean(values))
        h = float(
            stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values))
        )
        return f"{m:.3f} ± {h:.3f}"

    for f in feats:
        print(f"| {f} | {ci(aucs['trained:' + f])} | {ci(aucs['unseen:' + f])} |")
    for f in ref_feats:
        print(f"| {f} (reference = base) | {ci(aucs['trained+reference:' + f])} | - |")
    print("\n## false-positive rate of single splits (size 100, 200 random halvings, seed 0)\n")
    print("| pool | rate of p < 0.05 | 95% interval |")
    print("|---|---|---|")
    for k, (rate, lo, hi) in fpr.items():
        print(f"| {k} | {rate:.3f} | [{lo:.3f}, {hi:.3f}] |")
    print(f"\nwall time {time.time() - t0:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(
        json.dumps({"p_values": rows, "auc": aucs, "fpr": fpr, "args": vars(args)}, default=str)
    )


if __name__ == "__main__":
    main()
