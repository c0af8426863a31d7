"""The rich console and tables `bh` prints with.

On a terminal, a table fits its width by wrapping cells. Into a file or pipe (a CI log,
`bh status | grep`) nothing is wrapped or cut, unless COLUMNS asks for a width.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from typing import Any

from rich.console import Console, JustifyMethod
from rich.table import Table

UNBOUNDED_WIDTH = 10_000  # into a pipe: as wide as the longest line needs (tables do not expand)


class PipeConsole(Console):
    """A rich Console that, when the reader of its output goes away, goes quiet and raises
    BrokenPipeError (rich's own choice is SystemExit(1), even in a worker thread): `bh` then stops
    the run cleanly and exits 141."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if not self.is_terminal:
            self.soft_wrap = True
            if options.get("width") is None and not os.environ.get("COLUMNS"):
                self.width = UNBOUNDED_WIDTH

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def table(
    title: str, columns: Sequence[str], *, one_line: Collection[str] = (), right: Collection[str] = ()
) -> Table:
    """A table whose cells wrap to fit the terminal, except in `one_line` columns (cut with "…"
    only when the terminal is too narrow even for those); `right` columns (amounts) align right."""
    made = Table(title=title, title_justify="left")
    for column in columns:
        justify: JustifyMethod = "right" if column in right else "left"
        if column in one_line:
            made.add_column(column, justify=justify, no_wrap=True, overflow="ellipsis")
        else:
            made.add_column(column, justify=justify, overflow="fold")
    return made
