"""The report's and the CLI summary's exact-match matrix, confusion figure and warnings."""

from __future__ import annotations

import json

from rich.console import Console

from forgetlab.reports.run_data import RunData
from forgetlab.reports.run_extras import confusion_section, exact_match_section, warnings_block
from forgetlab.spec import spec_from_dict
from tests.conftest import tiny_wordnet


def _run_data(tmp_path, results: dict) -> RunData:
    return RunData(tmp_path, results, "", {})


def test_exact_match_section_and_cli_table(tmp_path):
    from forgetlab.cli.show_extras import exact_match_matrix

    stages = [{"exact_match": [0.5, 0.0]}, {"exact_match": [0.25, 1.0]}]
    run = _run_data(tmp_path, {"tasks": ["a", "b"], "stages": stages})
    section = exact_match_section(run, ["a", "b"])
    table = section.blocks[1]
    assert table.rows == [["after a", "0.500", "0.000"], ["after b", "0.250", "1.000"]]
    assert exact_match_section(_run_data(tmp_path, {"tasks": ["a"], "stages": [{}]}), ["a"]) is None

    class R:  # the two fields show_extras reads
        stages = [type("S", (), {"exact_match": [0.5, 0.0]})()]
        tasks = ["a", "b"]
        warnings = ["task 'a' was not learned"]

    assert exact_match_matrix(R) == [[0.5, 0.0]]
    from forgetlab.cli.show_extras import show_extras

    console = Console(record=True, width=120)
    show_extras(R, console, warnings=True)
    text = console.export_text()
    assert "exact-match matrix" in text and "0.500" in text
    assert "warning: task 'a' was not learned" in text


def test_confusion_section_counts_old_classes_taken_by_new(tmp_path):
    entry = {
        "stage": 1,
        "task": "b",
        "tasks": ["a", "b"],
        "classes": ["x", "y", "z"],
        "class_tasks": [0, 0, 1],
        "matrix": [[2, 0, 8], [0, 5, 5], [0, 0, 10]],
    }
    (tmp_path / "confusion.json").write_text(json.dumps({"stages": [entry]}))
    section = confusion_section(_run_data(tmp_path, {"tasks": ["a", "b"]}))
    assert section.blocks[0].name == "confusion_stage_001"
    # old rows x, y: 20 examples, 13 predicted as z
    assert "65.0% of the old classes' test examples" in section.blocks[1].text
    assert confusion_section(_run_data(tmp_path / "none", {})) is None
    assert warnings_block(_run_data(tmp_path, {"warnings": []})) is None


def test_report_of_a_run_has_its_confusion_figure(tmp_path):
    from forgetlab.experiment import run

    d = tiny_wordnet(n_tasks=2, train_per_class=12, test_per_class=6)
    d["train"] = {**d["train"], "epochs": 1}
    out = run(spec_from_dict(d), out=tmp_path / "run", report=True).run_dir
    html = (out / "report.html").read_text()
    assert 'id="confusion"' in html
    assert (out / "figures" / "confusion_stage_001.png").is_file()
