"""The audit's findings in plain words, each with its 95% interval.

A difference is called a change only when its interval excludes no change (0 for accuracy
differences, 1 for perplexity ratios); otherwise the sentence says it is within noise.
"""

from __future__ import annotations

import math


def layer_label(k: int) -> str:
    return "0 (the embeddings)" if k == 0 else f"{k} (after block {k - 1})"


def _ci(low, high, digits: int = 3, pct: bool = False) -> str:
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)):
        return "no interval"
    if pct:
        return f"95% CI {100 * (low - 1):+.0f}% to {100 * (high - 1):+.0f}%"
    return f"95% CI {low:+.{digits}f} to {high:+.{digits}f}"


def _excludes(low, high, null: float) -> bool:
    return low is not None and high is not None and (low > null or high < null)


def layer_findings(res: dict) -> list[str]:
    out = []
    cka = [c for c in res.get("cka") or [] if c.get("value") is not None]
    if cka:
        worst = min(cka, key=lambda c: c["value"])
        out.append(
            f"The two models' representations differ most at layer {layer_label(worst['layer'])}: "
            f"linear CKA {worst['value']:.3f} (95% CI {worst['low']:.3f} to {worst['high']:.3f}; "
            "1 = the same representation up to rotation and scale)."
        )
        same = [c["layer"] for c in cka if c["low"] is not None and c["low"] > 0.999]
        if same:
            out.append(f"Layers {', '.join(map(str, same))} are unchanged (CKA above 0.999).")
    weights = res.get("weights") or []
    moved = [w for w in weights if (w.get("relative_change") or 0) > 0]
    if weights and not moved:
        out.append("No weight differs between the two models.")
    elif moved:
        top = max(moved, key=lambda w: w["relative_change"])
        still = [w["name"] for w in weights if w.get("relative_change") == 0]
        tail = f"; unchanged: {', '.join(still)}" if still else ""
        out.append(
            f"The weights moved most in {top['name']}: relative change "
            f"{top['relative_change']:.3g} (||tuned - base|| / ||base||){tail}."
        )
    return out


def probe_findings(res: dict) -> list[str]:
    rows = [(task, r) for task, entry in (res.get("probe") or {}).items() for r in entry["layers"]]
    if not rows:
        return []
    clear = [(t, r) for t, r in rows if _excludes(r["low"], r["high"], 0.0)]
    if not clear:
        t, r = max(rows, key=lambda x: abs(x[1]["difference"]))
        return [
            "No linear-probe accuracy changed beyond its 95% interval (largest: "
            f"{t} at layer {r['layer']}, {r['base']:.2f} to {r['tuned']:.2f}, "
            f"{_ci(r['low'], r['high'], 2)})."
        ]
    out = []
    for t, r in sorted(clear, key=lambda x: -abs(x[1]["difference"]))[:3]:
        way = "rose" if r["difference"] > 0 else "fell"
        out.append(
            f"A linear probe for {t} at layer {layer_label(r['layer'])} {way} from "
            f"{r['base']:.2f} to {r['tuned']:.2f} ({r['difference']:+.2f}, "
            f"{_ci(r['low'], r['high'], 2)})."
        )
    return out


def general_findings(res: dict) -> list[str]:
    out = []
    ppl = res.get("perplexity") or {}
    if ppl:
        d, p = max(ppl.items(), key=lambda kv: abs(math.log(kv[1]["ratio"])))
        way = "rose" if p["ratio"] > 1 else "fell"
        real = _excludes(p["low"], p["high"], 1.0)
        out.append(
            f"Perplexity on {d} texts {way} from {p['base']:.1f} to {p['tuned']:.1f} "
            f"({100 * (p['ratio'] - 1):+.0f}%, {_ci(p['low'], p['high'], pct=True)})"
            + ("." if real else "; within noise.")
        )
    unseen = res.get("unseen") or {}
    if unseen:
        t, u = max(unseen.items(), key=lambda kv: abs(kv[1]["difference"]))
        real = _excludes(u["low"], u["high"], 0.0)
        out.append(
            f"On the held-out task {t}, accuracy went from {u['base']:.2f} to {u['tuned']:.2f} "
            f"({u['difference']:+.2f}, {_ci(u['low'], u['high'], 2)})"
            + ("." if real else "; within noise.")
        )
    lm = res.get("lm_eval") or {}
    if "skipped" in lm:
        out.append(f"lm-eval tasks were not run: {lm['skipped']}.")
    else:
        for task, metrics in lm.items():
            for name, v in list(metrics.items())[:1]:
                out.append(
                    f"lm-eval {task} {name}: {v['base']:.3f} to {v['tuned']:.3f} "
                    f"({v['difference']:+.3f}, {_ci(v['low'], v['high'])}, from lm-eval's "
                    "standard errors)."
                )
    top = res.get("top_examples") or []
    if top and top[0]["increase"] > 0:
        e = top[0]
        text = e["text"] if len(e["text"]) <= 90 else e["text"][:87] + "..."
        out.append(
            f'The loss grew most on "{text}" ({e["where"]}): {e["base_loss"]:.2f} to '
            f"{e['tuned_loss']:.2f} nats per token."
        )
    return out


def findings(res: dict) -> list[str]:
    """Sentences: where the layers differ, probes, general ability, the worst example."""
    return layer_findings(res) + probe_findings(res) + general_findings(res)
