"""The reference for framework overhead: a minimal hand-written PyTorch loop doing the work of
a forgetlab classifier run (method `full`, strategy `seq`, class-incremental stream).

    figures = run_bare(spec_dict)    # same keys as the forgetlab workload in workloads.py

Same model (loaded the way forgetlab loads it), same examples (forgetlab's stream builder),
same tokenization (truncation at train.max_length, dynamic padding), same batches (shuffled,
then sorted by length inside mega-batches of 50 batches, as forgetlab's group_by_length), one
linear head block per task, mean pooling, AdamW (fresh per stage) with linear warmup and decay,
gradient clipping, and the same evaluation: every task's test split before training and after
each stage, over the classes of tasks 0..max(stage, task), as forgetlab does. Nothing else:
no strategy hooks, no progress bars, no result files, no checkpoints.
"""

from __future__ import annotations

import math
import random
import time

import torch
import torch.nn.functional as F
from torch import nn
from transformers import get_linear_schedule_with_warmup

from forgetlab.methods.base import embedding_parameters
from forgetlab.models.zoo import load
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream

MEGA = 50  # batches per length-sorted mega-batch, as forgetlab's batching


def pad(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def train_batches(n: int, lengths: list[int], batch: int, rng: random.Random) -> list[list[int]]:
    order = list(range(n))
    rng.shuffle(order)
    chunk = batch * MEGA
    order = [
        i
        for s in range(0, n, chunk)
        for i in sorted(order[s : s + chunk], key=lambda k: -lengths[k])
    ]
    batches = [order[s : s + batch] for s in range(0, n, batch)]
    rng.shuffle(batches)
    return batches


def run_bare(spec_dict: dict) -> dict:
    t_start = time.perf_counter()
    spec = spec_from_dict(spec_dict)
    tr = spec.train
    stream = build_stream(spec.stream)
    assert stream.scenario == "class_incremental", "the bare loop does class-incremental only"
    device = torch.device("cuda" if tr.device != "cpu" and torch.cuda.is_available() else "cpu")
    torch.manual_seed(spec.seed)
    backbone, tok, _ = load(spec.model)
    heads = nn.ModuleList(
        nn.Linear(backbone.config.hidden_size, len(t.classes)) for t in stream.tasks
    )
    backbone.to(device)
    heads.to(device)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0

    def tokenize(examples) -> list[list[int]]:
        texts = [e.text for e in examples]
        return tok(texts, truncation=True, max_length=tr.max_length)["input_ids"]

    data = [(tokenize(t.train), tokenize(t.test)) for t in stream.tasks]

    def logits(ids: torch.Tensor, mask: torch.Tensor, upto: int) -> torch.Tensor:
        hidden = backbone(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, H)
        m = mask.unsqueeze(-1).to(hidden.dtype)
        feats = (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)  # (B, H) mean over real tokens
        return torch.cat([heads[t](feats) for t in range(upto + 1)], dim=-1)  # (B, classes)

    @torch.inference_mode()
    def evaluate(stage: int) -> list[float]:
        backbone.eval()
        row = []
        for j, task in enumerate(stream.tasks):
            test = sorted(zip(data[j][1], task.test), key=lambda p: len(p[0]))
            correct = 0
            for s in range(0, len(test), spec.eval.batch_size):
                chunk = test[s : s + spec.eval.batch_size]
                ids, mask = pad([c[0] for c in chunk], pad_id)
                pred = logits(ids.to(device), mask.to(device), max(stage, j)).argmax(-1)
                labels = torch.tensor([c[1].label for c in chunk], device=device)
                correct += int((pred == labels).sum())
            row.append(correct / len(task.test))
        backbone.train()
        return row

    setup_s = time.perf_counter() - t_start
    t0 = time.perf_counter()
    initial = evaluate(-1)
    eval_s = time.perf_counter() - t0
    R, train_s, tokens, padded, steps = [], 0.0, 0, 0, 0
    for stage, task in enumerate(stream.tasks):
        t0 = time.perf_counter()
        torch.manual_seed(spec.seed * 1_000_003 + stage)
        rng = random.Random(spec.seed * 1_000_003 + stage)
        ids_list = data[stage][0]
        labels = torch.tensor([e.label for e in task.train])
        params = [*backbone.parameters(), *(p for h in heads[: stage + 1] for p in h.parameters())]
        opt = torch.optim.AdamW(params, lr=tr.lr, weight_decay=tr.weight_decay)
        per_epoch = math.ceil(len(ids_list) / tr.batch_size)
        total = per_epoch * tr.epochs
        sched = get_linear_schedule_with_warmup(opt, math.ceil(tr.warmup_ratio * total), total)
        lengths = [len(x) for x in ids_list]
        backbone.train()
        for _ in range(tr.epochs):
            for idx in train_batches(len(ids_list), lengths, tr.batch_size, rng):
                ids, mask = pad([ids_list[i] for i in idx], pad_id)
                out = logits(ids.to(device), mask.to(device), stage)
                loss = F.cross_entropy(out, labels[idx].to(device))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, tr.max_grad_norm)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                tokens += int(mask.sum())
                padded += mask.numel()
                steps += 1
        if device.type == "cuda":
            torch.cuda.synchronize()
        train_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        R.append(evaluate(stage))
        eval_s += time.perf_counter() - t0
    embed = sum(p.numel() for p in embedding_parameters(backbone))
    return {
        "run_s": time.perf_counter() - t_start,
        "setup_s": setup_s,
        "train_s": train_s,
        "eval_s": eval_s,
        "steps": steps,
        "tokens": tokens,
        "padded_tokens": padded,
        "accuracy_matrix": R,
        "initial_accuracy": initial,
        "params": sum(p.numel() for p in backbone.parameters()),
        "non_embedding_params": sum(p.numel() for p in backbone.parameters()) - embed,
        "device": str(device),
    }
