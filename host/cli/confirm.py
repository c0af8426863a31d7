"""The approval rule: ask on a terminal, refuse on anything else unless --auto-approve."""

from __future__ import annotations

import sys

import click

from benchhub.host.errors import BenchHubError, UsageError


class NotApproved(BenchHubError):
    """The user answered no."""


def confirm_or_refuse(question: str) -> None:
    """Ask `question` when stdin and stdout are terminals; refuse (exit 2) otherwise."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("not a terminal, so nothing was run; pass --auto-approve to run without asking")
    if not click.confirm(question, default=False, err=True):
        raise NotApproved("not approved; nothing was run")
