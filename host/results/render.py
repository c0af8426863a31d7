"""A comparison or a run's results as a rich table, markdown, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benchhub.host.results.units import format_pct, format_value

if TYPE_CHECKING:  # annotations only: `bh results` renders through here without loading scipy
    from benchhub.host.results.compare import Comparison, Geomean, Row
    from benchhub.host.results.model import Side
    from benchhub.host.results.stats import Summary

Format = Literal["table", "markdown", "json", "csv"]
FORMATS: tuple[Format, ...] = ("table", "markdown", "json", "csv")
HEADER = ("benchmark", "metric", "A", "B", "delta", "p-value", "notes")


def _summary_cell(summary: Summary | None, unit: str) -> str:
    if summary is None:
        return "-"
    spread = summary.spread_pct
    ci = "±∞" if math.isinf(spread) else f"± {spread:.0f}%"
    return f"{format_value(summary.median, unit)} {ci}"


def _delta_cell(row: Row) -> str:
    if row.a is None or row.b is None:
        return ""
    return format_pct(row.delta_pct) if row.significant else "~"


def _p_cell(row: Row) -> str:
    if row.p_value is None or row.a is None or row.b is None:
        return ""
    return f"p={row.p_value:.3f} n={row.a.n}+{row.b.n}"


def _metric(metric: str, unit: str) -> str:
    return f"{metric} ({unit})" if unit and unit != metric else metric


def row_cells(row: Row) -> tuple[str, ...]:
    notes = ", ".join(row.warnings)
    if row.regression:
        notes = ", ".join(n for n in ("regression", notes) if n)
    return (row.key.label, _metric(row.key.metric, row.unit), _summary_cell(row.a, row.unit),
            _summary_cell(row.b, row.unit), _delta_cell(row), _p_cell(row), notes)


def geomean_cells(g: Geomean) -> tuple[str, ...]:
    return ("geomean", _metric(g.metric, g.unit), format_value(g.a, g.unit), format_value(g.b, g.unit),
            format_pct(g.delta_pct), "", f"over {g.count} benchmarks")


def _side_title(side: Side, paired: bool) -> str:
    """A paired run's sides are told apart by their sources: `run 3 pair=A (main@1a2b3c4d5e6f)`."""
    return f"{side.label} ({', '.join(side.snapshots)})" if paired and side.snapshots else side.label


def title(c: Comparison) -> str:
    kind = "paired A/B (interleaved on one allocation)" if c.paired else "comparison"
    a, b = _side_title(c.a, c.paired), _side_title(c.b, c.paired)
    return f"{kind}: A = {a}, B = {b}, alpha = {c.alpha:g}"


def _all_cells(c: Comparison) -> list[tuple[str, ...]]:
    return [*(row_cells(r) for r in c.rows), *(geomean_cells(g) for g in c.geomeans)]


def comparison_table(c: Comparison) -> Table:
    caption = escape("\n".join(c.warnings)) or None
    table = Table(title=escape(title(c)), caption=caption, caption_justify="left")
    for name in HEADER:
        justify: Literal["left", "right"] = "right" if name in ("A", "B", "delta") else "left"
        table.add_column(name, justify=justify, no_wrap=name != "notes")
    for row in c.rows:
        style = "red" if row.regression else ("green" if row.significant else None)
        table.add_row(*map(escape, row_cells(row)), style=style)
    for g in c.geomeans:
        table.add_row(*map(escape, geomean_cells(g)), style="bold")
    return table


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def comparison_markdown(c: Comparison) -> str:
    parts = [f"**{title(c)}**", "", _markdown(HEADER, _all_cells(c))]
    parts += ["", *(f"> ⚠ {w}" for w in c.warnings)] if c.warnings else []
    return "\n".join(parts) + "\n"


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else value


def _summary_json(s: Summary | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"n": s.n, "median": s.median, "ci_low": _finite(s.low), "ci_high": _finite(s.high)}


def _side_json(side: Side) -> dict[str, Any]:
    return {"label": side.label, "runs": list(side.runs), "snapshots": list(side.snapshots),
            "environments": sorted(e.describe() for e in side.environments)}


def comparison_json(c: Comparison) -> str:
    rows = [
        {"benchmark": r.key.label, "job": r.key.job, "params": dict(r.key.params), "name": r.key.benchmark,
         "metric": r.key.metric, "unit": r.unit, "direction": r.direction.value, "a": _summary_json(r.a),
         "b": _summary_json(r.b), "delta_pct": _finite(r.delta_pct), "p_value": r.p_value,
         "significant": r.significant, "regression": r.regression, "warnings": list(r.warnings)}
        for r in c.rows
    ]
    geomeans = [{"metric": g.metric, "unit": g.unit, "a": g.a, "b": g.b, "delta_pct": _finite(g.delta_pct),
                 "count": g.count} for g in c.geomeans]
    document = {"a": _side_json(c.a), "b": _side_json(c.b), "alpha": c.alpha, "paired": c.paired,
                "rows": rows, "geomeans": geomeans, "warnings": c.warnings}
    return json.dumps(document, indent=2)


def comparison_csv(c: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["benchmark", "metric", "unit", "direction", "a_n", "a_median", "a_ci_low", "a_ci_high",
                     "b_n", "b_median", "b_ci_low", "b_ci_high", "delta_pct", "p_value", "significant",
                     "regression", "warnings"])
    for r in c.rows:
        sides = [v for s in (r.a, r.b) for v in ((s.n, s.median, _finite(s.low), _finite(s.high)) if s else
                                                  ("", "", "", ""))]
        writer.writerow([r.key.label, r.key.metric, r.unit, r.direction.value, *sides,
                         _finite(r.delta_pct), r.p_value, r.significant, r.regression, "; ".join(r.warnings)])
    for g in c.geomeans:
        writer.writerow(["geomean", g.metric, g.unit, "", g.count, g.a, "", "", g.count, g.b, "", "",
                         _finite(g.delta_pct), "", "", "", ""])
    return out.getvalue()


def plain_text(renderable: Table, width: int = 160) -> str:
    """A rich renderable as text without colours (for files and pipes)."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, force_terminal=False).print(renderable)
    return out.getvalue()


def format_comparison(c: Comparison, fmt: Format) -> str:
    """The comparison as text; for a terminal print `comparison_table(c)` to keep its colours."""
    match fmt:
        case "table":
            return plain_text(comparison_table(c))
        case "markdown":
            return comparison_markdown(c)
        case "json":
            return comparison_json(c)
        case "csv":
            return comparison_csv(c)
