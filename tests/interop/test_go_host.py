"""A Go host built on HashiCorp go-plugin 1.0.1 (plugin.NewClient, gRPC) drives Python providers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from goplugin import GoHostRun


@pytest.mark.parametrize("automtls", [False, True], ids=["plain", "mtls"])
def test_go_host_drives_the_local_provider(run_gohost: Callable[..., GoHostRun], automtls: bool) -> None:
    run = run_gohost("bh-provider-local", automtls=automtls)
    run.check_full_cycle()
    assert run.summary["schema_name"] == "local"
    assert run.summary["run"]["stdout"] == "hello\n" and run.summary["run"]["stderr"] == "oops\n"
    # go-plugin's AutoMTLS client dials with TLS only, pinning the certificate of the handshake line.
    assert ("configuring client automatic mTLS" in run.log) == automtls


def test_go_host_logs_what_a_python_provider_prints(run_gohost: Callable[..., GoHostRun]) -> None:
    printer = Path(__file__).resolve().parent / "providers" / "bh-provider-printer"
    run = run_gohost(str(printer), "-only", "schema", automtls=False)
    assert run.summary["schema_name"] == "printer"
    assert "printer says hello on stderr" in run.log
