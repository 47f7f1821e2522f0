"""Per-sample gradients of standard layers from one batched backward pass, reduced on the fly.

A layer's per-sample weight gradient is a function of what it saw and what came back: for a
linear layer y = x W^T + b, example s's gradient is sum_t g[s, t]^T x[s, t] (t: positions), so
hooks that keep each layer's input and catch the gradient of its output give every example's
gradient without a per-example backward pass (Goodfellow 2015; what Opacus's grad samplers
do; Opacus keeps all of them, batch x parameters). Here each example's weight gradient is
written into one reusable buffer, a block of rows of at most `budget` bytes, and added to the
importance at once (`acc += g * g` or `acc += |g|`): the block stays in cache, and no more
than one block of per-sample gradient exists at any time.

Rules: nn.Linear, transformers' Conv1D (GPT-2), nn.LayerNorm and nn.Embedding (rows
scattered by token id: a word embedding's per-sample gradient is non-zero only in the rows
of the example's tokens). The pass runs with every parameter frozen and the embeddings'
outputs as the leaves of the graph, so autograd computes no batched weight gradient and
leaves `.grad` untouched.

`plan` decides, on two examples, which parameters a rule covers: each must belong to exactly
one rule layer, called once per forward with the batch as its first dimension, and the sum of
the rule's per-sample gradients must equal autograd's gradient of the summed loss. Anything
else (tied weights, layers used twice or through their weights only, LSTMs, IA3 vectors) is
left to one backward pass per unpadded example (`per_sample.per_sample_loop`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from forgetlab.models.batch import Batch
from forgetlab.strategies.per_sample import Objective, rows, scatter_rows


class Power:
    """What importance sums over examples: |g|^p, p = 2 (EWC's Fisher) or 1 (MAS)."""

    def __init__(self, p: int) -> None:
        if p not in (1, 2):
            raise ValueError("p must be 1 or 2")
        self.p = p

    def __call__(self, g: torch.Tensor) -> torch.Tensor:
        """|g|^p elementwise, in place."""
        return g.square_() if self.p == 2 else g.abs_()

    def add(self, acc: torch.Tensor, g: torch.Tensor) -> None:
        """acc += |g|^p (g may be overwritten)."""
        if self.p == 2:
            acc.addcmul_(g, g)
        else:
            acc.add_(g.abs_())

    def __repr__(self) -> str:
        return "SQUARE" if self.p == 2 else "ABS"


SQUARE, ABS = Power(2), Power(1)


class _Sum:
    """Plain sums of per-sample gradients (the plan checks the rules against autograd)."""

    def __call__(self, g: torch.Tensor) -> torch.Tensor:
        return g

    def add(self, acc: torch.Tensor, g: torch.Tensor) -> None:
        acc.add_(g)


def sum_dtype(p: torch.Tensor) -> torch.dtype:
    """Sums of per-sample gradients are kept in float32, or the parameter's dtype if wider."""
    return torch.promote_types(p.dtype, torch.float32)


def examples_per_chunk(per_item_bytes: int, budget: int) -> int:
    """How many items of `per_item_bytes` fit in `budget` bytes (at least 1)."""
    return max(1, budget // max(per_item_bytes, 1))


def _flat(t: torch.Tensor, B: int, dtype: torch.dtype) -> torch.Tensor:
    """(B, ..., width) -> (B, positions, width) in the accumulation dtype."""
    return t.reshape(B, -1, t.shape[-1]).to(dtype)


def _linear(m, x, g, acc, reduce: Power, budget: int, in_out: bool = False) -> None:
    """y = x W^T + b, W (out, in): example s's W gradient is g_s^T x_s over its positions (its
    transpose for transformers' Conv1D, y = x W + b with W (in, out): `in_out`), computed one
    example and one block of rows at a time into a reused buffer."""
    B = g.shape[0]
    dt = next(iter(acc.values())).dtype
    d = _flat(g, B, dt)
    if "bias" in acc:
        acc["bias"] += reduce(d.sum(1)).sum(0)
    if "weight" not in acc:
        return
    a = _flat(x, B, dt)
    left, right = (a, d) if in_out else (d, a)  # weight = left_s^T right_s
    rows, cols = left.shape[-1], right.shape[-1]
    block = min(rows, examples_per_chunk(cols * dt.itemsize, budget))
    buf = torch.empty(block, cols, dtype=dt, device=g.device)
    weight = acc["weight"]
    for s in range(B):
        for r in range(0, rows, block):
            n = min(block, rows - r)
            torch.mm(left[s, :, r : r + n].T, right[s], out=buf[:n])
            reduce.add(weight[r : r + n], buf[:n])


def _conv1d(m, x, g, acc, reduce: Power, budget: int) -> None:
    _linear(m, x, g, acc, reduce, budget, in_out=True)


def _layer_norm(m, x, g, acc, reduce: Power, budget: int) -> None:
    """y = norm(x) * w + b over the last dims: per-sample w gradient sum_t g_t * norm(x_t)."""
    B = g.shape[0]
    dt = next(iter(acc.values())).dtype
    shape = tuple(m.normalized_shape)
    d = g.reshape(B, -1, *shape).to(dt)
    if "bias" in acc:
        acc["bias"] += reduce(d.sum(1)).sum(0)
    if "weight" in acc:
        xh = F.layer_norm(x.to(dt), shape, eps=m.eps).reshape(B, -1, *shape)
        acc["weight"] += reduce((d * xh).sum(1)).sum(0)


def _rms_norm(m, x, g, acc, reduce: Power, budget: int) -> None:
    """RMSNorm (Llama, T5, torch): y = x / rms(x) * w (or * (1 + w)): the w gradient is the same."""
    B = g.shape[0]
    dt = acc["weight"].dtype
    eps = getattr(m, "variance_epsilon", None) or getattr(m, "eps", None) or 1e-6
    x = x.to(dt)
    xh = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    acc["weight"] += reduce((_flat(g, B, dt) * _flat(xh, B, dt)).sum(1)).sum(0)


def _embedding(m, ids, g, acc, reduce: Power, budget: int) -> None:
    """Rows of the example's tokens: per (example, token id), the sum of the output gradients
    at that token's positions (none for padding_idx, whose row never trains)."""
    B = g.shape[0]
    dt = acc["weight"].dtype
    ids = ids.expand(B, *ids.shape[1:]).reshape(B, -1)
    d = _flat(g, B, dt)
    if m.padding_idx is not None:
        d = d.masked_fill((ids == m.padding_idx)[..., None], 0.0)
    scatter_rows(acc["weight"], ids, d, reduce)


def _rule(m: nn.Module) -> Callable | None:
    if isinstance(m, nn.Linear):
        return _linear
    if isinstance(m, nn.LayerNorm):
        return _layer_norm
    if isinstance(m, nn.Embedding):
        plain = m.max_norm is None and not m.scale_grad_by_freq
        return _embedding if plain else None
    name = type(m).__name__
    if name == "Conv1D" and type(m).__module__.startswith("transformers"):
        return _conv1d
    if name.endswith("RMSNorm") and getattr(m, "weight", None) is not None and m.weight.dim() == 1:
        return _rms_norm  # checked against autograd by `plan`, like every rule
    return None


@dataclass
class Plan:
    """Which parameters the layer rules cover (module -> {attribute: parameter name}), which
    are left to the per-example loop, and which the loss does not depend on (importance zero)."""

    layers: dict[nn.Module, dict[str, str]] = field(default_factory=dict)
    fallback: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)


class _Hooks:
    """Forward hooks on the rule layers: keep each layer's input, make sure its output is in
    the graph, and reduce the per-sample gradients when the output's gradient arrives."""

    def __init__(self, layers, acc, reduce: Power, budget: int, expand: bool = True) -> None:
        self.layers, self.acc, self.reduce, self.budget = layers, acc, reduce, budget
        self.expand = expand  # widen an embedding output shared by the batch (position ids)
        self.calls: dict[nn.Module, int] = {}
        self.batch_dim_ok: dict[nn.Module, bool] = {}
        self.leaves: list[torch.Tensor] = []
        self.B = 0
        self.handles = []

    def __enter__(self) -> _Hooks:
        self.handles = [m.register_forward_hook(self._forward) for m in self.layers]
        return self

    def __exit__(self, *exc) -> None:
        for h in self.handles:
            h.remove()

    def _forward(self, module, inputs, out):
        self.calls[module] = self.calls.get(module, 0) + 1
        x = inputs[0] if inputs else None
        if not isinstance(out, torch.Tensor) or not isinstance(x, torch.Tensor):
            self.batch_dim_ok[module] = False  # not a plain layer call: leave it to the loop
            return None
        if self.expand and isinstance(module, nn.Embedding) and out.shape[0] == 1 and self.B > 1:
            out = out.expand(self.B, *out.shape[1:])  # e.g. position ids shared by the batch
        if out.shape[0] != self.B or x.shape[0] not in (1, self.B):
            self.batch_dim_ok[module] = False
            return None
        self.batch_dim_ok.setdefault(module, True)
        if not out.requires_grad:  # frozen pass: this layer's output starts the graph
            leaf = out.detach().requires_grad_()
            self.leaves.append(leaf)
            out = leaf.clone()
        box = [x.detach()]
        rule, acc = _rule(module), self.acc[module]

        def on_grad(g: torch.Tensor) -> None:
            rule(module, box.pop(), g, acc, self.reduce, self.budget)

        out.register_hook(on_grad)
        return out


def _owners(learner) -> dict[int, list[tuple[nn.Module, str]]]:
    """id(parameter) -> the (module, attribute) pairs that hold it directly."""
    owners: dict[int, list[tuple[nn.Module, str]]] = {}
    seen: set[int] = set()
    for _, m in learner.named_modules(remove_duplicate=False):
        if id(m) in seen:
            continue
        seen.add(id(m))
        for attr, p in m._parameters.items():
            if p is not None:
                owners.setdefault(id(p), []).append((m, attr))
    return owners


def plan(
    learner, batch: Batch, mask: torch.Tensor, params: dict[str, torch.Tensor], objective: Objective
) -> Plan:
    """Check the rules on the first two examples of `batch` (see the module docstring)."""
    live = dict(learner.named_parameters())
    owners = _owners(learner)
    candidates: dict[nn.Module, dict[str, str]] = {}
    for name in params:
        held = owners.get(id(live[name]), [])
        if len(held) == 1 and _rule(held[0][0]) is not None:
            module, attr = held[0]
            candidates.setdefault(module, {})[attr] = name
    sub, names = rows(batch, slice(0, 2)), list(params)
    with torch.no_grad():
        plain = objective(learner(sub, mask[:2]), sub).sum()
    check = (learner, sub, mask[:2], objective, candidates, names, plain)
    try:  # widening shared embedding outputs can break a model (peft's prompt tuning)
        hooks, acc, ref = _dry_run(*check, expand=True)
    except (RuntimeError, ValueError):
        hooks, acc, ref = _dry_run(*check, expand=False)
    scale = max((float(r.abs().max()) for r in ref.values() if r is not None), default=0.0)
    out = Plan()
    for m, attrs in candidates.items():
        fine = hooks.calls.get(m, 0) <= 1 and hooks.batch_dim_ok.get(m, True)
        for attr, name in attrs.items():
            r = ref[name]
            got = acc[m][attr]
            if r is None and not got.any():
                out.unused.append(name)
            elif fine and r is not None and _close(got, r, scale, live[name].dtype):
                out.layers.setdefault(m, {})[attr] = name
            else:
                out.fallback.append(name)
    covered = {n for attrs in candidates.values() for n in attrs.values()}
    for name in names:
        if name not in covered:
            (out.unused if ref[name] is None else out.fallback).append(name)
    return out


def _dry_run(learner, sub, mask, objective, candidates, names, plain, expand: bool):
    """Hooked forward and backward with the parameters live: the rules' per-sample gradients
    summed, and autograd's gradients, per parameter name."""
    live = dict(learner.named_parameters())
    acc = {
        m: {a: torch.zeros_like(live[n], dtype=sum_dtype(live[n])) for a, n in attrs.items()}
        for m, attrs in candidates.items()
    }
    hooks = _Hooks(candidates, acc, _Sum(), 1 << 62, expand)
    hooks.B = len(sub)
    with hooks:
        loss = objective(learner(sub, mask), sub).sum()
        if not torch.allclose(loss.detach(), plain, rtol=1e-4, atol=1e-6):
            raise ValueError("the hooks changed the forward pass")
        ref = torch.autograd.grad(loss, [live[n] for n in names], allow_unused=True)
    return hooks, acc, dict(zip(names, ref))


def _close(got: torch.Tensor, ref: torch.Tensor, scale: float, dtype: torch.dtype) -> bool:
    """The rule's summed per-sample gradients equal autograd's, to the parameters' precision
    (`scale`: the largest gradient entry of any parameter, so that gradients that are zero up
    to rounding, like an attention key bias's, compare as equal)."""
    tol = 1e-3 if torch.finfo(dtype).bits >= 32 else 3e-2
    return bool(torch.allclose(got, ref.detach().to(got.dtype), rtol=tol, atol=tol * 1e-2 * scale))


@contextmanager
def frozen_except(learner, names) -> Iterator[None]:
    """Only the parameters `names` require gradients inside (the others are restored after)."""
    keep = set(names)
    frozen = [p for n, p in learner.named_parameters() if p.requires_grad and n not in keep]
    for p in frozen:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in frozen:
            p.requires_grad_(True)


def reduce_batch(
    learner,
    batch: Batch,
    mask: torch.Tensor,
    objective: Objective,
    layers: dict[nn.Module, dict[str, str]],
    totals: dict[str, torch.Tensor],
    reduce: Power,
    budget: int,
) -> None:
    """totals[name] += sum over the batch's examples of reduce(per-sample gradient), for the
    parameters of `layers`, from one forward and one backward pass with every parameter
    frozen (nothing is written to `.grad`)."""
    acc = {m: {a: totals[n] for a, n in attrs.items()} for m, attrs in layers.items()}
    with frozen_except(learner, ()), _Hooks(layers, acc, reduce, budget) as hooks:
        hooks.B = len(batch)
        loss = objective(learner(batch, mask), batch).sum()
        ok = hooks.batch_dim_ok
        odd = [m for m in layers if hooks.calls.get(m, 0) > 1 or not ok.get(m, True)]
        if odd:  # the plan checked these layers on two examples; this batch ran them otherwise
            raise RuntimeError(f"importance: layer {type(odd[0]).__name__} changed how it runs")
        if hooks.leaves and loss.requires_grad:
            torch.autograd.grad(loss, hooks.leaves, allow_unused=True)
