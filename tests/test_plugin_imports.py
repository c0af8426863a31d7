"""What starting `bh` imports: `bh apply` launches its plugins while it is still loading, so the code
that starts a plugin must not drag in what only later steps (or only providers) need."""

from __future__ import annotations

import subprocess
import sys

import pytest


def imported_after(statements: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statements`."""
    code = f"{statements}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    ("statements", "kept_out"),
    [
        (  # up to the plugin's start: no gRPC or protobuf at all, no HCL parser, no provider server side
            "from benchhub.host.plugin import find, launch\nfrom benchhub.host.plugin.lockfile import Lock\n"
            "from benchhub.host.plugin.process import PluginProcess\n"
            "from benchhub.host.planning.plan_format import is_plan_file\n"
            "from benchhub.host.planning.providers import ProviderSession",
            {
                "grpc",
                "google.protobuf",
                "benchhub.host.plugin.client",
                "hcl2",
                "benchhub.providers.sdk.server",
            },
        ),
        (  # the host's view of provider errors is not the provider's server
            "from benchhub.providers.sdk import errors, wire",
            {"benchhub.providers.sdk.server", "benchhub.providers.sdk.ledger"},
        ),
        (  # every job records where it ran: that must not cost the statistics stack
            "import benchhub.host.results.environment",
            {"scipy", "numpy", "benchhub.host.results.stats"},
        ),
    ],
)
def test_starting_work_does_not_import_later_work(statements: str, kept_out: set[str]) -> None:
    assert imported_after(statements) & kept_out == set()


def test_lazy_names_still_resolve() -> None:
    from benchhub.host import plugin, results
    from benchhub.providers import sdk

    assert plugin.ProviderClient.__name__ == "ProviderClient"
    assert callable(results.ingest) and callable(sdk.serve)
    with pytest.raises(AttributeError):
        plugin.no_such_name  # noqa: B018
