"""A custom lm-evaluation-harness task on local files, for offline tests."""

from __future__ import annotations

import json
from pathlib import Path

ROWS = [
    {"question": "The team scored a", "choices": ["goal", "recipe"], "answer": 0},
    {"question": "She baked it in the", "choices": ["guitar", "oven"], "answer": 1},
    {"question": "He played the", "choices": ["guitar", "hotel"], "answer": 0},
    {"question": "They booked a", "choices": ["ball", "hotel"], "answer": 1},
    {"question": "The band sang a", "choices": ["song", "spice"], "answer": 0},
    {"question": "We took a", "choices": ["match", "trip"], "answer": 1},
]


def write_task(folder: Path, name: str = "forgetlab_toy_mc") -> Path:
    """folder/<name>.yaml and folder/<name>.jsonl: a multiple-choice task lm-eval loads with
    the `json` builder (no hub)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"{name}.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (folder / f"{name}.yaml").write_text(
        f"task: {name}\n"
        "dataset_path: json\n"
        "dataset_kwargs:\n"
        "  data_files:\n"
        f"    test: {data}\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        'doc_to_text: "{{question}}"\n'
        'doc_to_choice: "{{choices}}"\n'
        'doc_to_target: "{{answer}}"\n'
        "metric_list:\n"
        "  - metric: acc\n"
        "    aggregation: mean\n"
        "    higher_is_better: true\n"
    )
    return folder
