"""Located job-file errors: collect them all, then raise one `ConfigErrors` listing every one."""

from __future__ import annotations

from dataclasses import dataclass

from benchhub.host.errors import ConfigError


@dataclass(frozen=True, order=True)
class Position:
    """Where something is in a job file; line and column start at 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class ConfigErrors(ConfigError):
    """Several job-file errors; the first one gives `file`, `line` and `column`, the message lists all."""

    def __init__(self, errors: list[ConfigError]) -> None:
        first = errors[0]
        rest = "".join(f"\n{e}" for e in errors[1:])
        super().__init__(first.bare + rest, file=first.file, line=first.line, column=first.column)
        self.errors = errors


def located(message: str, at: Position) -> ConfigError:
    return ConfigError(message, file=at.file, line=at.line, column=at.column)


class Problems:
    """Collects located errors while a job file is checked; `raise_if_any` raises them at once."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []
        self._seen: set[Position] = set()

    def add(self, message: str, at: Position) -> None:
        """Record an error, at most one per place: the first explains it, later ones (e.g. once per
        matrix expansion, or a follow-on of an unsupported expression) would only repeat it."""
        if at not in self._seen:
            self._seen.add(at)
            self.errors.append(located(message, at))

    def raise_if_any(self) -> None:
        if self.errors:
            ordered = sorted(self.errors, key=lambda e: (e.file, e.line, e.column))
            raise ConfigErrors(ordered) if len(ordered) > 1 else ordered[0]
