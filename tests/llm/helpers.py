"""Small chat data for the generative tests: each task has its own answer word (one token of
the bundled BPE) and its own instruction keywords, so a tiny model learns a task in a few
dozen steps, and forgets it when the next task's answer takes over."""

from __future__ import annotations

import json
import random
from pathlib import Path

CHAT_TASKS = {
    "leisure": ("pleasant", ["goal", "team", "ball", "match", "song", "guitar", "band"]),
    "home": ("computer", ["oven", "recipe", "bake", "spice", "flight", "hotel", "trip"]),
}
ANSWERS = {answer for answer, _ in CHAT_TASKS.values()}


def chat_rows(per_task: int, seed: int, messages: bool = False) -> list[dict]:
    """Records of both tasks: instruction = two keywords of the task, response = its answer."""
    rng = random.Random(seed)
    rows = []
    for task, (answer, words) in CHAT_TASKS.items():
        for _ in range(per_task):
            text = f"{rng.choice(words)} {rng.choice(words)}"
            if messages:
                turns = [
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": answer},
                ]
                rows.append({"task": task, "messages": turns})
            else:
                rows.append({"task": task, "instruction": text, "response": answer})
    rng.shuffle(rows)
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
