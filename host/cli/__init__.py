"""`bh`: the command line. Thin click commands over the host modules.

Exit codes: 0 success, 1 a job failed (or any other BenchHubError), 2 usage or config error,
130 interrupted. A BenchHubError is printed as one line `Error: ...`, never as a traceback.
"""

from __future__ import annotations

import sys

import click

from benchhub.host.errors import BenchHubError

EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `bh` console script."""
    from benchhub.host.cli.app import cli

    try:
        code = cli.main(args=argv, prog_name="bh", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        code = EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except BenchHubError as exc:
        click.echo(f"Error: {exc}", err=True)
        code = exc.exit_code
    sys.exit(code if isinstance(code, int) else 0)
