"""The Avalanche side of bench/avalanche_peer.py: forgetlab's stream, trained the Avalanche way.

    figures = run_avalanche(spec_dict, strategy="ewc", pad="max_length")

Runs under the peer venv (.venv-peer: .venv's packages plus avalanche-lib 0.6.0 and its
torchvision, kept apart because that torchvision breaks `import transformers` on CPU torch).

What an Avalanche user would write for this stream: the examples of forgetlab's Stream
(same glosses, same tokenizer, truncation at train.max_length) as fixed-length tensors, padded
to max_length (`pad="trim"`: the model also cuts each batch to its longest real sequence),
one classification dataset per split turned into a class-incremental benchmark
(`class_incremental_benchmark`, forgetlab's class order, one experience per task); the
backbone with mean pooling and Avalanche's `IncrementalClassifier` (masks classes not seen
yet, as forgetlab's class-incremental heads do); `Naive` with AdamW, a per-experience linear
warmup/decay schedule (`LRSchedulerPlugin`, stepped per iteration), gradient clipping (a
5-line plugin), a fresh optimizer state per experience (forgetlab builds a new AdamW per
stage), and after each experience `eval` on the whole test stream.

EWC: Avalanche's penalty is `ewc_lambda * sum(F * (theta - theta*)^2)` on its raw importance
(mean over mini-batches of the squared mini-batch gradient); forgetlab's is `lambda / 2 *
sum(F / s * (theta - theta*)^2)` on the per-sample Fisher of `samples` examples, s the first
task's mean importance (`normalize = "first_task"`). The plugin below keeps Avalanche's
estimator and divides every experience's importance by the first experience's mean, and
`ewc_lambda` is forgetlab's `lambda_ / 2`: the same penalty scale on the same kind of weights.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn

_TORCHVISION_OPS = (  # schemas of torchvision's compiled operators (csrc/ops)
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, "
    "int sampling_ratio, bool aligned) -> Tensor",
    "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width) -> (Tensor, Tensor)",
    "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
    "SymInt height, SymInt width) -> Tensor",
    "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
    "float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, "
    "SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width) -> (Tensor, Tensor)",
    "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
    "float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, "
    "SymInt channels, SymInt height, SymInt width) -> Tensor",
    "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
    "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
    "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, "
    "Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, "
    "SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, "
    "bool use_mask) -> (Tensor, Tensor, Tensor, Tensor, Tensor)",
)
_placeholder_lib = None  # kept alive: the definitions go when the Library is collected


def define_torchvision_placeholders() -> None:
    """A CUDA build of torchvision on CPU torch has no compiled operators, and its import
    fails ("operator torchvision::nms does not exist"). Declaring their schemas (no kernels)
    lets `import avalanche` work; the text-only use here never calls them."""
    global _placeholder_lib
    try:
        torch.ops.torchvision.nms  # noqa: B018  (real operators are there)
        return
    except (AttributeError, RuntimeError):
        pass
    _placeholder_lib = torch.library.Library("torchvision", "DEF")
    for schema in _TORCHVISION_OPS:
        _placeholder_lib.define(schema)


define_torchvision_placeholders()

from avalanche.benchmarks.scenarios.supervised import class_incremental_benchmark  # noqa: E402
from avalanche.evaluation.metrics import accuracy_metrics  # noqa: E402
from avalanche.models import IncrementalClassifier  # noqa: E402
from avalanche.training import Naive  # noqa: E402
from avalanche.training.plugins import (  # noqa: E402
    EvaluationPlugin,
    EWCPlugin,
    LRSchedulerPlugin,
    MASPlugin,
    SupervisedPlugin,
)
from torch.utils.data import TensorDataset  # noqa: E402

from forgetlab.models.zoo import load  # noqa: E402
from forgetlab.spec import spec_from_dict  # noqa: E402
from forgetlab.streams import build_stream  # noqa: E402


class ClipGradients(SupervisedPlugin):
    """Gradient-norm clipping before each optimizer step (forgetlab's train.max_grad_norm)."""

    def __init__(self, max_norm: float) -> None:
        super().__init__()
        self.max_norm = max_norm

    def before_update(self, strategy, **kwargs):
        torch.nn.utils.clip_grad_norm_(strategy.model.parameters(), self.max_norm)


class FirstTaskNormalizedEWC(EWCPlugin):
    """Avalanche's EWC with its importances divided by the first experience's mean importance
    (forgetlab's normalize = "first_task")."""

    scale: torch.Tensor | None = None

    def compute_importances(self, *args, **kwargs):
        imp = super().compute_importances(*args, **kwargs)
        if self.scale is None:
            values = torch.cat([v.data.flatten() for v in imp.values()])
            self.scale = values.mean().clamp_min(1e-30)
        for v in imp.values():
            v.data /= self.scale
        return imp


class FirstTaskNormalizedMAS(MASPlugin):
    """Avalanche's MAS (mini-batch gradients of the mean squared output norm, importance
    blended old * alpha + new * (1 - alpha)) with importances divided by the first
    experience's mean importance, like forgetlab's normalize = "first_task". Not the same
    accumulation as forgetlab's (online sum, gamma 1): accuracy may differ; memory and time
    are the comparison."""

    scale: torch.Tensor | None = None

    def _get_importance(self, strategy):
        imp = super()._get_importance(strategy)
        if self.scale is None:
            values = torch.cat([v.data.flatten() for v in imp.values()])
            self.scale = values.mean().clamp_min(1e-30)
        for v in imp.values():
            v.data /= self.scale
        return imp


class PooledTextClassifier(nn.Module):
    """Token ids (B, L), 0-padded -> backbone -> mean over real tokens -> incremental head."""

    def __init__(self, backbone: nn.Module, pad_id: int, trim: bool, head: nn.Module) -> None:
        super().__init__()
        self.backbone, self.pad_id, self.trim, self.head = backbone, pad_id, trim, head
        self.tokens = self.padded_tokens = 0  # counted in training mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = (x != self.pad_id).long()
        if self.trim:
            width = int(mask.sum(1).max())
            x, mask = x[:, :width], mask[:, :width]
        if self.training:
            self.tokens += int(mask.sum())
            self.padded_tokens += mask.numel()
        hidden = self.backbone(input_ids=x, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return self.head((hidden * m).sum(1) / m.sum(1).clamp_min(1.0))


def tensors(examples, tok, max_length: int, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    ids = tok([e.text for e in examples], truncation=True, max_length=max_length)["input_ids"]
    x = torch.full((len(ids), max_length), pad_id, dtype=torch.long)
    for i, row in enumerate(ids):
        x[i, : len(row)] = torch.tensor(row)
    return x, torch.tensor([e.label for e in examples])


def run_avalanche(spec_dict: dict, strategy: str = "seq", pad: str = "max_length") -> dict:
    t_start = time.perf_counter()
    spec = spec_from_dict(spec_dict)
    tr = spec.train
    stream = build_stream(spec.stream)
    assert stream.scenario == "class_incremental", "the peer bench is class-incremental"
    device = torch.device("cuda" if tr.device != "cpu" and torch.cuda.is_available() else "cpu")
    torch.manual_seed(spec.seed)
    backbone, tok, _ = load(spec.model)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0

    def dataset(split: str) -> TensorDataset:
        x, y = tensors(
            [e for t in stream.tasks for e in getattr(t, split)], tok, tr.max_length, pad_id
        )
        ds = TensorDataset(x, y)
        ds.targets = y.tolist()
        return ds

    order = [c for t in stream.tasks for c in t.classes]
    bm = class_incremental_benchmark(
        {"train": dataset("train"), "test": dataset("test")},
        class_order=order,
        num_classes_per_exp=[len(t.classes) for t in stream.tasks],
    )
    model = PooledTextClassifier(
        backbone, pad_id, pad == "trim", IncrementalClassifier(backbone.config.hidden_size)
    )
    steps = math.ceil(len(stream.tasks[0].train) / tr.batch_size) * tr.epochs
    warm = math.ceil(tr.warmup_ratio * steps)
    assert all(math.ceil(len(t.train) / tr.batch_size) * tr.epochs == steps for t in stream.tasks)

    def linear(step: int) -> float:  # transformers' linear warmup then linear decay
        if step < warm:
            return step / max(1, warm)
        return max(0.0, (steps - step) / max(1, steps - warm))

    opt = torch.optim.AdamW(model.parameters(), lr=tr.lr, weight_decay=tr.weight_decay)
    plugins = [
        LRSchedulerPlugin(
            torch.optim.lr_scheduler.LambdaLR(opt, linear),
            reset_scheduler=True,
            reset_lr=False,  # the decay ends at lr 0 = the warmup's start: step 0 of each exp
            step_granularity="iteration",
        ),
        ClipGradients(tr.max_grad_norm),
    ]
    ewc_lambda = None
    if strategy in ("ewc", "mas"):
        reg = next(s for s in spec.strategy if s.kind == strategy)
        ewc_lambda = reg.lambda_ / 2  # forgetlab's penalty is lambda / 2 * sum(...)
        make = FirstTaskNormalizedEWC if strategy == "ewc" else FirstTaskNormalizedMAS
        key = "ewc_lambda" if strategy == "ewc" else "lambda_reg"
        plugins.append(make(**{key: ewc_lambda}))
    cl = Naive(
        model=model,
        optimizer=opt,
        criterion=nn.CrossEntropyLoss(),
        train_mb_size=tr.batch_size,
        train_epochs=tr.epochs,
        eval_mb_size=spec.eval.batch_size,
        device=device,
        plugins=plugins,
        evaluator=EvaluationPlugin(accuracy_metrics(experience=True), loggers=[]),
        eval_every=-1,
    )
    setup_s = time.perf_counter() - t_start
    R, train_s, eval_s = [], 0.0, 0.0
    T = len(stream.tasks)
    for i, exp in enumerate(bm.train_stream):
        t0 = time.perf_counter()
        cl.train(exp, reset_optimizer_state=True)
        train_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        metrics = cl.eval(bm.test_stream)
        eval_s += time.perf_counter() - t0
        acc = {k.rsplit("/", 1)[-1]: v for k, v in metrics.items() if k.startswith("Top1_Acc_Exp")}
        R.append([acc[f"Exp{j:03d}"] for j in range(T)])
        print(f"experience {i}: {R[-1]}", flush=True)
    return {
        "run_s": time.perf_counter() - t_start,
        "setup_s": setup_s,
        "train_s": train_s,
        "eval_s": eval_s,
        "tokens": model.tokens,
        "padded_tokens": model.padded_tokens,
        "accuracy_matrix": R,
        "ewc_lambda": ewc_lambda,
        "pad": pad,
        "device": str(device),
    }
