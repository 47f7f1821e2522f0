"""The pieces of the pretraining loop: optimizer, schedule, one optimizer step, held-out loss.

opt = make_optimizer(model, spec.train); sched = make_scheduler(opt, total_steps, spec.train)
lm = train_step(model, opt, sched, micro_batches, spec.train, device, moe=True)   # tensor
loss, n = heldout_loss(model, heldout_blocks, batch_size=32, device=device)

`train_step` keeps the loss on the device (no host synchronisation); the caller reads it every
`log_every` steps. bf16 runs the forward under torch.autocast (weights and optimizer stay
fp32); held-out loss is always computed in fp32.
"""

from __future__ import annotations

import math
from contextlib import nullcontext

import numpy as np
import torch


def make_optimizer(model, train) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices (2-D and up), none on biases and norms (nanoGPT)."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": train.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=train.lr, betas=(0.9, train.beta2), foreach=False)


def make_scheduler(optimizer, total_steps: int, train):
    """Linear warmup over `warmup` of the steps, then cosine decay to lr x min_lr_ratio."""
    from transformers import get_cosine_with_min_lr_schedule_with_warmup

    return get_cosine_with_min_lr_schedule_with_warmup(
        optimizer,
        num_warmup_steps=int(train.warmup * total_steps),
        num_training_steps=total_steps,
        min_lr_rate=train.min_lr_ratio,
    )


def _autocast(device: torch.device, precision: str):
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext()


def lm_losses(model, ids: torch.Tensor, moe: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss to minimise, language-model loss alone): the MoE router's load-balancing loss,
    weighted by the config's router_aux_loss_coef, is in the first only."""
    if moe:
        out = model(input_ids=ids, labels=ids, output_router_logits=True)
        aux = model.config.router_aux_loss_coef * out.aux_loss
        return out.loss, (out.loss - aux).detach()
    out = model(input_ids=ids, labels=ids)
    return out.loss, out.loss.detach()


def train_step(
    model, optimizer, scheduler, micro_batches: list[np.ndarray], train, device, moe: bool
) -> torch.Tensor:
    """One optimizer step over `grad_accum` micro-batches; returns the mean LM loss (a tensor
    on the device)."""
    model.train()
    lm_total = torch.zeros((), device=device)
    for block in micro_batches:
        ids = torch.from_numpy(block.astype(np.int64)).to(device, non_blocking=True)
        with _autocast(device, train.precision):
            loss, lm = lm_losses(model, ids, moe)
        (loss / len(micro_batches)).backward()
        lm_total += lm.float() / len(micro_batches)
    if train.max_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), train.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return lm_total


@torch.no_grad()
def heldout_loss(model, blocks: np.ndarray, batch_size: int, device) -> tuple[float, int]:
    """(mean next-token NLL in nats, tokens scored) over the held-out blocks, fp32."""
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    count = 0
    for start in range(0, len(blocks), batch_size):
        ids = torch.from_numpy(blocks[start : start + batch_size].astype(np.int64)).to(device)
        logits = model(input_ids=ids).logits[:, :-1].float()
        nll = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="sum"
        )
        total += nll.double()
        count += ids[:, 1:].numel()
    return float(total) / count, count


def perplexity(loss: float) -> float:
    return math.exp(loss) if loss < 700 else math.inf
