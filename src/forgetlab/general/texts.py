"""Held-out general text for perplexity, with a domain per text.

- `wordnet`: glosses of the WordNet streams' *test pool* (never in a WordNet stream's or
  `wordnet-instruct`'s training data, never in a forgetlab ladder's WordNet pretraining
  corpus), written "lemma: gloss" like that corpus; the domain is the part of speech (noun,
  verb, adjective, adverb), and `max_texts` are split evenly among them.
- `pretrain`: the held-out part of the pretraining corpus of a forgetlab ladder model, found
  from the `pretrain.json` next to its weights (the run's spec.toml names the corpus); the
  domain is "pretrain heldout".
- `auto`: `pretrain` when the model has a pretrain.json, else `wordnet`.
- files (`forgetlab audit --suite`): one text per line (.txt) or a "text" field (.jsonl),
  the domain named by the suite.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from forgetlab.errors import DataError, SpecError

POS_DOMAINS = {"noun": "noun", "verb": "verb", "adj": "adjective", "adv": "adverb"}


@dataclass(frozen=True)
class TextSet:
    """Texts to score, the domain of each, and where they came from (in words)."""

    source: str
    texts: list[str]
    domains: list[str]

    def __post_init__(self) -> None:
        if not self.texts:
            raise DataError(f"general text ({self.source}): no texts")


def wordnet_texts(max_texts: int, seed: int) -> TextSet:
    """Test-pool glosses, `max_texts` in all, split evenly over the four parts of speech."""
    from forgetlab.data.wordnet import load_wordnet
    from forgetlab.streams.wordnet_stream import in_test_pool

    by_pos: dict[str, list[str]] = {d: [] for d in POS_DOMAINS.values()}
    for g in load_wordnet():
        if in_test_pool(g.gloss):
            by_pos[POS_DOMAINS[g.label.split(".")[0]]].append(f"{g.lemma}: {g.gloss}")
    rng = random.Random(f"general-text:{seed}")
    texts, domains = [], []
    share = [max_texts // 4 + (k < max_texts % 4) for k in range(4)]
    for (domain, pool), n in zip(by_pos.items(), share):
        for t in rng.sample(pool, min(n, len(pool))):
            texts.append(t)
            domains.append(domain)
    return TextSet("WordNet test-pool glosses", texts, domains)


def pretrain_info_folder(model_name: str) -> Path | None:
    """The checkpoint folder holding a `pretrain.json` for this model, if any: the model's
    own folder, or (a pretraining run directory) its last checkpoint."""
    path = Path(model_name).expanduser()
    if (path / "pretrain.json").is_file():
        return path
    infos = sorted(path.glob("checkpoints/*/pretrain.json")) if path.is_dir() else []
    if infos:
        return max(infos, key=lambda p: json.loads(p.read_text()).get("tokens", 0)).parent
    return None


def pretrain_texts(model_name: str, max_texts: int, seed: int) -> TextSet | None:
    """The held-out documents of a forgetlab ladder model's pretraining corpus (None: the
    model has no pretrain.json); SpecError when it has one but the corpus cannot be rebuilt."""
    folder = pretrain_info_folder(model_name)
    if folder is None:
        return None
    info = json.loads((folder / "pretrain.json").read_text())
    root = (folder / Path(*[".."] * len(Path(info.get("path", "x/y")).parts))).resolve()
    spec_file = root / "spec.toml"
    try:
        from forgetlab.pretrain.corpus import build_corpus
        from forgetlab.pretrain.spec import load_pretrain_spec
    except ImportError:
        raise SpecError(
            "general.text: the model has a pretrain.json but this forgetlab has no pretraining "
            "package to rebuild its corpus; use text = 'wordnet'"
        ) from None
    if not spec_file.is_file():
        raise SpecError(
            f"general.text: {str(folder)!r} has a pretrain.json but its run's spec.toml "
            f"({str(spec_file)!r}) is missing; use text = 'wordnet'"
        )
    heldout = list(build_corpus(load_pretrain_spec(spec_file).corpus).heldout)
    rng = random.Random(f"general-text:{seed}")
    picked = rng.sample(heldout, min(max_texts, len(heldout)))
    return TextSet(
        f"held-out part of {root.name}'s pretraining corpus", picked, ["pretrain"] * len(picked)
    )


def general_texts(kind: str, model_name: str, max_texts: int, seed: int) -> TextSet:
    """The general text a run scores (module docstring)."""
    if kind in ("auto", "pretrain"):
        found = pretrain_texts(model_name, max_texts, seed)
        if found is not None:
            return found
        if kind == "pretrain":
            raise SpecError(
                f"general.text: model {model_name!r} has no pretrain.json (not a forgetlab "
                "ladder checkpoint); use text = 'wordnet' or 'auto'"
            )
    return wordnet_texts(max_texts, seed)


def file_texts(domain: str, path: Path, max_texts: int, seed: int) -> TextSet:
    """Texts of a .txt (one per line) or .jsonl ("text" field) file, at most `max_texts`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"text file {str(path)!r} does not exist")
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if path.suffix.lower() == ".jsonl":
        texts = []
        for n, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{n}: invalid JSON ({e.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise DataError(f"{path}:{n}: each line needs a string field 'text'")
            texts.append(row["text"])
    else:
        texts = lines
    rng = random.Random(f"general-text:{seed}:{domain}")
    picked = rng.sample(texts, min(max_texts, len(texts))) if len(texts) > max_texts else texts
    return TextSet(f"{domain} ({path.name})", picked, [domain] * len(picked))


def concat(sets: list[TextSet]) -> TextSet:
    return TextSet(
        "; ".join(s.source for s in sets),
        [t for s in sets for t in s.texts],
        [d for s in sets for d in s.domains],
    )
