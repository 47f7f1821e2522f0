"""The dataset-inference example: WordNet gloss sets and two small causal LMs.

    python experiments/inference/build.py data                 # rewrites data/*.jsonl
    python experiments/inference/build.py models --out runs/di-example [--seed 0] [--epochs 2]
    forgetlab infer --model runs/di-example/finetuned --reference runs/di-example/base \\
        --suspect experiments/inference/data/suspect.jsonl \\
        --validation experiments/inference/data/validation.jsonl --out runs/di-example/infer

WordNet glosses of 6 to 40 words, deduplicated and shuffled with a fixed seed, are cut into
disjoint sets of one distribution: suspect (1,000, the data owner's set, fine-tuned on),
validation (1,000, held out), unseen (1,000, never trained on either: a second null) and a
pretraining pool (6,000). `models` pretrains the random-init tiny-gpt2 on the pool (the
"public" model, saved as base/; it never sees the three sets) and then fine-tunes it on the
suspect set (finetuned/). Both are plain transformers directories (safetensors + tokenizer).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SETS = (("suspect", 1000), ("validation", 1000), ("unseen", 1000))
POOL = 6000


def gloss_sets() -> dict[str, list[str]]:
    from forgetlab.data.wordnet import load_wordnet

    glosses = sorted({g.gloss for g in load_wordnet() if 6 <= len(g.gloss.split()) <= 40})
    random.Random(2024).shuffle(glosses)
    out, start = {}, 0
    for name, n in (*SETS, ("pool", POOL)):
        out[name] = glosses[start : start + n]
        start += n
    return out


def write_data() -> None:
    sets = gloss_sets()
    DATA.mkdir(exist_ok=True)
    for name, _ in SETS:
        rows = "".join(json.dumps({"text": t}) + "\n" for t in sets[name])
        (DATA / f"{name}.jsonl").write_text(rows)
        print(f"wrote {DATA / name}.jsonl ({len(sets[name])} glosses)")


def train(model, tokenizer, texts: list[str], *, epochs: int, lr: float, seed: int) -> float:
    """Causal LM training on whole texts: AdamW, batches of 16, seeded order; last loss."""
    import torch

    from forgetlab.inference.causal import token_ids

    rng = random.Random(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    loss = float("nan")
    for _ in range(epochs):
        order = list(range(len(texts)))
        rng.shuffle(order)
        for i in range(0, len(order), 16):
            batch = [token_ids(tokenizer, texts[j], 64) for j in order[i : i + 16]]
            width = max(map(len, batch))
            ids = torch.tensor([b + [tokenizer.pad_token_id] * (width - len(b)) for b in batch])
            mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
            out = model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100))
            opt.zero_grad()
            out.loss.backward()
            opt.step()
            loss = float(out.loss.detach())
    return model.eval() and loss


def pretrain(out: Path, epochs: int = 2) -> Path:
    """out: tiny-gpt2 (init seed 0) pretrained on the pool; reused when already there."""
    import torch

    from forgetlab.models.zoo import load
    from forgetlab.spec.experiment import ModelSpec

    if (out / "config.json").is_file():
        return out
    t0 = time.time()
    torch.manual_seed(0)
    model, tok, _ = load(ModelSpec(name="tiny-gpt2"))
    last = train(model, tok, gloss_sets()["pool"], epochs=epochs, lr=3e-3, seed=0)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    print(f"{out}: pretrained on {POOL} glosses, last loss {last:.2f} ({time.time() - t0:.0f} s)")
    return out


def finetune(base: Path, out: Path, *, seed: int, epochs: int, lr: float) -> Path:
    """out: `base` fine-tuned on the suspect set."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.time()
    torch.manual_seed(seed)  # dropout
    model, tok = AutoModelForCausalLM.from_pretrained(base), AutoTokenizer.from_pretrained(base)
    last = train(model, tok, gloss_sets()["suspect"], epochs=epochs, lr=lr, seed=seed)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    print(
        f"{out}: {epochs} epochs on the suspect set, last loss {last:.2f} "
        f"({time.time() - t0:.0f} s)"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("data", help="rewrite data/suspect, validation and unseen .jsonl")
    models = sub.add_parser("models", help="pretrain base/ and fine-tune finetuned/")
    models.add_argument("--out", type=Path, required=True)
    models.add_argument("--seed", type=int, default=0, help="fine-tuning seed")
    models.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs")
    models.add_argument("--lr", type=float, default=1e-3, help="fine-tuning learning rate")
    models.add_argument("--pretrain-epochs", type=int, default=2)
    args = parser.parse_args()
    if args.cmd == "data":
        write_data()
        return
    import torch

    torch.set_num_threads(1)  # a tiny model: one thread is fastest
    base = pretrain(args.out / "base", args.pretrain_epochs)
    finetune(base, args.out / "finetuned", seed=args.seed, epochs=args.epochs, lr=args.lr)


if __name__ == "__main__":
    main()
