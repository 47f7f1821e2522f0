"""Pooled per-layer features of a learner's backbone, extracted once and cached.

    extractor = FeatureExtractor(learner, layers=[0, 1, 2], pooling="mean", batch_size=64)
    cache = FeatureCache(folder=run_dir / "features")
    block = cache.fetch(("stage_000", 0, "test"), uids, lambda: extractor.extract(examples))
    block.layer(2)            # (N, H) float32 features of the last layer, rows in `uids` order
    cache.extractions, cache.hits

One forward pass with `output_hidden_states=True` yields every layer (hidden state 0 is the
embedding output, k the output of block k). Causal LMs (text-to-text learners) are fed the
prompt only, never the label words. Backbones without per-layer states (tiny-lstm) expose
only their last layer. `models.hidden.capture_hidden` takes the hidden states of a forward
someone else runs (the evaluation pass), so test features can come for free.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from forgetlab.errors import SpecError
from forgetlab.fileio import atomic_write
from forgetlab.models.batch import Batch
from forgetlab.models.classifier import pool
from forgetlab.models.hidden import has_layer_states
from forgetlab.models.learner import Encoded
from forgetlab.streams.task import Example
from forgetlab.train.batching import eval_batches

AUTO_FLOAT16_BYTES = 16 * 2**20  # auto dtype: blocks larger than this in float32 go float16


def layer_count(backbone) -> int:
    """Number of blocks L of a backbone (hidden states 0..L), from its config."""
    n = getattr(getattr(backbone, "config", None), "num_hidden_layers", None)
    if not isinstance(n, int):
        raise SpecError(f"probe: cannot tell the layer count of {type(backbone).__name__}")
    return n


def resolve_layers(wanted, backbone) -> list[int]:
    """'all' or indices (negative from the end) -> sorted layer numbers; SpecError if out of
    range (naming the model's layer count) or unavailable (no per-layer states)."""
    n = layer_count(backbone)
    name = type(getattr(backbone, "get_base_model", lambda: backbone)()).__name__
    available = list(range(n + 1)) if has_layer_states(backbone) else [n]
    if wanted == "all":
        return available
    out = set()
    for k in wanted:
        layer = k + n + 1 if k < 0 else k
        if not 0 <= layer <= n:
            raise SpecError(
                f"probe.layers: layer {k} is out of range; the model ({name}) has {n} layers "
                f"(0 = embeddings .. {n}, or -1 .. -{n + 1})"
            )
        if layer not in available:
            raise SpecError(
                f"probe.layers: the model ({name}) exposes only its last layer ({n}) to probes"
            )
        out.add(layer)
    return sorted(out)


def select_layers(hidden_states: Sequence[torch.Tensor], layers: list[int]) -> list[torch.Tensor]:
    """Pick `layers` from a hidden-states tuple: L+1 states, or just the last one."""
    if len(hidden_states) == 1:
        return [hidden_states[0]] * len(layers)  # only the last layer exists (resolve_layers)
    return [hidden_states[k] for k in layers]


def pool_layers(
    hidden_states: Sequence[torch.Tensor], mask: torch.Tensor, how: str, layers: list[int]
) -> np.ndarray:
    """(K, B, H) float32 pooled features of `layers`; states may carry virtual tokens before
    the B x T real ones (prompt tuning): only the last T positions count."""
    width = mask.shape[1]
    states = [h[:, -width:] for h in select_layers(hidden_states, layers)]
    stacked = torch.stack(states)  # (K, B, T, H)
    k, b, t, h = stacked.shape
    flat_mask = mask.unsqueeze(0).expand(k, b, t).reshape(k * b, t)
    pooled = pool(stacked.reshape(k * b, t, h), flat_mask, how)
    return pooled.reshape(k, b, h).float().cpu().numpy()


def fingerprint(backbone) -> str:
    """A hash of every parameter and buffer of `backbone` (names, dtypes, values): equal
    fingerprints mean equal features, so a frozen backbone is never extracted twice."""
    h = hashlib.blake2b(digest_size=16)
    for name, t in [*backbone.named_parameters(), *backbone.named_buffers()]:
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.detach().reshape(-1).contiguous().view(torch.uint8).cpu().numpy().data)
    return h.hexdigest()


@dataclass(frozen=True)
class FeatureBlock:
    """Pooled features of one (checkpoint, task, split): rows follow `uids`."""

    uids: np.ndarray  # (N,) int64
    labels: np.ndarray  # (N,) int64 global class ids
    layers: dict[int, np.ndarray]  # layer -> (N, H), float32 or float16

    def layer(self, k: int) -> np.ndarray:
        return self.layers[k].astype(np.float32, copy=False)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.layers.values())

    def astype(self, dtype: str) -> FeatureBlock:
        return replace(self, layers={k: a.astype(dtype) for k, a in self.layers.items()})

    def take(self, uids: np.ndarray) -> FeatureBlock:
        """The rows of `uids`, in that order (all must be present)."""
        pos = {int(u): i for i, u in enumerate(self.uids)}
        idx = np.array([pos[int(u)] for u in uids], dtype=np.int64)
        return FeatureBlock(
            np.asarray(uids, dtype=np.int64),
            self.labels[idx],
            {k: a[idx] for k, a in self.layers.items()},
        )


Key = tuple[str, int, str]  # (checkpoint tag, task index, split)


class FeatureCache:
    """Feature blocks by (checkpoint tag, task, split), each holding every probed layer, so a
    lookup by (tag, task, split, layer) never extracts twice. With a folder, blocks are also
    written as safetensors (TAG/taskNNN_SPLIT.safetensors) and read back in a later process,
    if their signature (pooling...), layers and uids match."""

    def __init__(self, folder: Path | None = None, signature: str = "", dtype: str = "auto"):
        self.folder = Path(folder) if folder is not None else None
        self.signature = signature
        self.dtype = dtype
        self.memory: dict[Key, FeatureBlock] = {}
        self.extractions = 0  # blocks computed by `compute` (one forward pass each)
        self.hits = 0  # lookups answered from memory or disk
        self.disk_reads = 0

    def path(self, key: Key) -> Path:
        assert self.folder is not None
        tag, task, split = key
        return self.folder / tag / f"task{task:03d}_{split}.safetensors"

    def fetch(
        self,
        key: Key,
        uids: np.ndarray,
        compute: Callable[[], FeatureBlock],
        layers: list[int] | None = None,
    ) -> FeatureBlock:
        """The block for `key` with rows `uids`: from memory, disk, or `compute()` (stored)."""
        block = self.get(key, uids, layers)
        if block is not None:
            self.hits += 1
            return block
        block = compute().take(uids)
        self.extractions += 1
        return self.put(key, block)

    def fetch_many(
        self,
        requests: list[tuple[Key, np.ndarray]],
        compute: Callable[[np.ndarray], FeatureBlock],
        layers: list[int] | None = None,
    ) -> list[FeatureBlock]:
        """Like `fetch` for several blocks; the missing ones are computed in one call on all
        their uids (one pass, batches of similar length across blocks: less padding)."""
        found = [self.get(key, uids, layers) for key, uids in requests]
        missing = [i for i, b in enumerate(found) if b is None]
        self.hits += len(requests) - len(missing)
        if missing:
            block = compute(np.concatenate([requests[i][1] for i in missing]))
            for i in missing:
                key, uids = requests[i]
                found[i] = self.put(key, block.take(uids))
            self.extractions += len(missing)
        return found

    def get(self, key: Key, uids: np.ndarray, layers: list[int] | None = None):
        block = self.memory.get(key)
        if block is None and self.folder is not None and self.path(key).is_file():
            block = self._read(key)
            if block is not None:
                self.disk_reads += 1
                self.memory[key] = block
        if block is None or not np.array_equal(block.uids, uids):
            return None
        if layers is not None and not set(layers) <= set(block.layers):
            return None
        return block

    def put(self, key: Key, block: FeatureBlock) -> FeatureBlock:
        dtype = self.dtype
        if dtype == "auto":
            dtype = "float16" if block.nbytes() > AUTO_FLOAT16_BYTES else "float32"
        block = block.astype(dtype)
        self.memory[key] = block
        if self.folder is not None:
            self._write(key, block)
        return block

    def drop(self, keep_tags: set[str], disk: bool = False) -> None:
        """Forget blocks of other tags in memory (and on disk when `disk`)."""
        for key in [k for k in self.memory if k[0] not in keep_tags]:
            del self.memory[key]
        if disk and self.folder is not None and self.folder.is_dir():
            for folder in self.folder.iterdir():
                if folder.is_dir() and folder.name not in keep_tags:
                    for f in folder.glob("*.safetensors"):
                        f.unlink()
                    if not any(folder.iterdir()):
                        folder.rmdir()

    def _write(self, key: Key, block: FeatureBlock) -> None:
        from safetensors.numpy import save

        tensors = {"uids": block.uids, "labels": block.labels}
        tensors.update({f"layer_{k}": np.ascontiguousarray(a) for k, a in block.layers.items()})
        meta = {"signature": self.signature, "layers": json.dumps(sorted(block.layers))}
        atomic_write(self.path(key), save(tensors, metadata=meta))

    def _read(self, key: Key) -> FeatureBlock | None:
        from safetensors import safe_open

        try:
            with safe_open(str(self.path(key)), framework="numpy") as f:
                meta = f.metadata() or {}
                if meta.get("signature") != self.signature:
                    return None
                layers = json.loads(meta.get("layers", "[]"))
                return FeatureBlock(
                    f.get_tensor("uids"),
                    f.get_tensor("labels"),
                    {k: f.get_tensor(f"layer_{k}") for k in layers},
                )
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None  # unreadable: extract again (and overwrite)


class FeatureExtractor:
    """Runs the learner's backbone (frozen, eval mode, inference mode) over examples and
    pools every requested layer from one forward per batch."""

    def __init__(self, learner, layers: list[int], pooling: str, batch_size: int) -> None:
        self.learner = learner
        self.layers = layers
        self.pooling = pooling
        self.batch_size = batch_size
        self._encoded: dict[int, Encoded] = {}

    def _encode(self, ex: Example) -> Encoded:
        enc = self._encoded.get(ex.uid)
        if enc is None:
            enc = self.learner.encode(ex)
            if enc.target_start >= 0:  # text to text: the prompt only, never the label words
                enc = replace(enc, ids=enc.ids[: enc.target_start])
            self._encoded[ex.uid] = enc
        return enc

    def _batches(self, examples: Sequence[Example]) -> list[list[Encoded]]:
        """Length-sorted batches over all examples; per task when the backbone routes each
        task to its own branch (the `branch` strategy: a batch must not mix tasks)."""
        encoded = [self._encode(e) for e in examples]
        if self.learner.router is None:  # no per-task routing: tasks may share a batch
            return eval_batches(encoded, self.batch_size)
        tasks = sorted({e.task for e in encoded})
        return [
            b
            for t in tasks
            for b in eval_batches([e for e in encoded if e.task == t], self.batch_size)
        ]

    @torch.inference_mode()
    def extract(self, examples: Sequence[Example]) -> FeatureBlock:
        """Features of `examples` (rows in their order), every layer from one forward."""
        learner = self.learner
        was_training = learner.training
        learner.eval()
        uids, labels, chunks = [], [], []
        kwargs = {"output_hidden_states": True} if has_layer_states(learner.backbone) else {}
        try:
            for items in self._batches(examples):
                batch = learner.collate(items).to(learner.device)
                with learner.routed(batch.task_ids):
                    out = learner.backbone(
                        input_ids=batch.input_ids, attention_mask=batch.mask_for_backbone, **kwargs
                    )
                states = getattr(out, "hidden_states", None) or (out.last_hidden_state,)
                chunks.append(pool_layers(states, batch.attention_mask, self.pooling, self.layers))
                uids.append(batch.uids.cpu().numpy())
                labels.append(batch.labels.cpu().numpy())
        finally:
            learner.train(was_training)
        feats = np.concatenate(chunks, axis=1)  # (K, N, H), batches sorted by length
        sorted_block = FeatureBlock(
            np.concatenate(uids).astype(np.int64),
            np.concatenate(labels).astype(np.int64),
            {k: feats[i] for i, k in enumerate(self.layers)},
        )
        return sorted_block.take(np.array([e.uid for e in examples], dtype=np.int64))

    def from_hidden(self, batch: Batch, hidden_states) -> FeatureBlock | None:
        """Pool the hidden states of a classifier's forward on `batch` (the evaluation pass);
        None when they are not one row per example (text-to-text scoring of candidates)."""
        if hidden_states[0].shape[0] != len(batch) or self.learner.mode != "classifier":
            return None
        feats = pool_layers(hidden_states, batch.attention_mask, self.pooling, self.layers)
        return FeatureBlock(
            batch.uids.cpu().numpy().astype(np.int64),
            batch.labels.cpu().numpy().astype(np.int64),
            {k: feats[i] for i, k in enumerate(self.layers)},
        )


def concat_blocks(blocks: list[FeatureBlock]) -> FeatureBlock:
    return FeatureBlock(
        np.concatenate([b.uids for b in blocks]),
        np.concatenate([b.labels for b in blocks]),
        {k: np.concatenate([b.layers[k] for b in blocks]) for k in blocks[0].layers},
    )
