"""Results: parse finished jobs into samples, store them, list, compare and report them.

    ingest(state, job_row, kind, attrs, log_path, outputs_dir, exit_code)     # executor, after a job
    load_results(state, run) -> RunResults; format_results / results_table     # bh results
    compare_sides(state, a, b, alpha=) -> Comparison; format_comparison / comparison_table;
        compare_exit_code(comparison, fail_on_regression)                      # bh compare
    write_report(state, a, b, out)                                             # bh report

The names load on first use: statistics pull scipy, which a run that only records a job's
environment (`results.environment`) must not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchhub.host.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from benchhub.host.results.commands import COMPARE_HELP, compare_exit_code, compare_sides, write_report
    from benchhub.host.results.compare import Comparison
    from benchhub.host.results.ingest import ingest, ingest_paired
    from benchhub.host.results.listing import RunResults, format_results, load_results, results_table
    from benchhub.host.results.render import FORMATS, comparison_table, format_comparison

_HOME = {
    "COMPARE_HELP": "commands",
    "FORMATS": "render",
    "Comparison": "compare",
    "RunResults": "listing",
    "compare_exit_code": "commands",
    "compare_sides": "commands",
    "comparison_table": "render",
    "format_comparison": "render",
    "format_results": "listing",
    "ingest": "ingest",
    "ingest_paired": "ingest",
    "load_results": "listing",
    "results_table": "listing",
    "write_report": "commands",
}

__all__ = [
    "COMPARE_HELP",
    "FORMATS",
    "Comparison",
    "RunResults",
    "compare_exit_code",
    "compare_sides",
    "comparison_table",
    "format_comparison",
    "format_results",
    "ingest",
    "ingest_paired",
    "load_results",
    "results_table",
    "write_report",
]

__getattr__ = lazy_exports(__name__, _HOME)
