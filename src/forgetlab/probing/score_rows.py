"""The long-form rows a prober adds to scores.csv (with a layer column)."""

from __future__ import annotations

from forgetlab.probing.schema import Matrix


def score_rows(prober) -> list[tuple]:
    """A prober's (stage, task, metric, value, layer) rows for scores.csv: `probe_acc` (the
    primary probe, mean over subsamples), `probe_acc_<kind>`, `probe0_acc_<kind>` (baseline,
    with that
    stage's class set) for every layer; the primary probe's interval
    (`probe_acc_low`/`_high`) and paired-test p-values (`probe_p_vs_model`,
    `probe_p_vs_baseline`) at the last layer; `cka` per layer; `separability` and
    `overlap` at the last layer."""
    names, last = prober.stream.task_names, prober.layers[-1]
    rows: list[tuple] = []

    def acc_rows(stage: int, metric: str, acc: Matrix) -> None:
        for li, layer in enumerate(prober.layers):
            rows.extend(
                (stage, names[t], metric, v, layer) for t, v in enumerate(acc[li]) if v is not None
            )

    for stage in sorted(prober.records_):
        rec = prober.records_[stage]
        probes = rec["probes"]
        acc_rows(stage, "probe_acc", probes[prober.primary]["accuracy"])
        for kind in prober.kinds:
            acc_rows(stage, f"probe_acc_{kind}", probes[kind]["accuracy"])
        for kind in prober.kinds:
            if "baseline" in probes[kind]:
                acc_rows(stage, f"probe0_acc_{kind}", probes[kind]["baseline"])
        main = probes[prober.primary]
        for t, ci in enumerate(main["interval"][-1]):
            if ci is not None:
                rows.append((stage, names[t], "probe_acc_low", ci[0], last))
                rows.append((stage, names[t], "probe_acc_high", ci[1], last))
        for key in ("vs_model", "vs_baseline"):
            for t, test in enumerate(main.get(key) or []):
                if test is not None:
                    rows.append((stage, names[t], f"probe_p_{key}", test["p"], last))
        rows.extend(
            (stage, "", "cka", v, k) for k, v in zip(prober.layers, rec["cka"]) if v is not None
        )
        rows.extend(
            (stage, names[t], "separability", v, last)
            for t, v in enumerate(rec["separability"])
            if v is not None
        )
        if rec["overlap"] is not None:
            rows.append((stage, "", "overlap", rec["overlap"], last))
    return rows
