"""`bh`: the command line. Thin click commands over the host modules.

Exit codes: 0 success, 1 a job failed (or any other BenchHubError), 2 usage or config error,
130 interrupted, 141 the reader of stdout went away (`bh apply --json | head`; the status a shell
reports for a program ended by SIGPIPE, as for `git log | head`: the run stops as if interrupted).
A BenchHubError is printed as one line `Error: ...`, never as a traceback.
"""

from __future__ import annotations

import gc as collector  # not `gc`: that name is the `bh gc` submodule once it is imported
import os
import sys

import click

from benchhub.host.errors import BenchHubError

EXIT_INTERRUPTED = 130
EXIT_OUTPUT_CLOSED = 141


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `bh` console script.

    The garbage collector stays off while `bh` starts: imports, descriptors and the plan are
    long-lived objects that collections would only walk again and again. A run turns it on (see
    `run._execute`); at exit the heap is frozen so that the interpreter does not collect it.
    """
    collector.disable()
    from benchhub.host.cli.app import cli

    try:
        code = cli.main(args=argv, prog_name="bh", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        code = EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except BenchHubError as exc:
        click.echo(f"Error: {exc}", err=True)
        code = exc.exit_code
    except BrokenPipeError:
        code = EXIT_OUTPUT_CLOSED
    if code == EXIT_OUTPUT_CLOSED:
        _silence_stdout()
    collector.freeze()  # skips collecting everything at interpreter shutdown (about 0.1 s)
    sys.exit(code if isinstance(code, int) else 0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
