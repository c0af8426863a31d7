"""A host that is interrupted (Ctrl-C) or killed leaves no provider and no job process behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import pytest

from tests.conftest import InstallPlugin

HOST = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from benchhub.host.plugin import launch
    from benchhub.proto.job.v1 import job_pb2
    from benchhub.proto.provider.v1 import provider_pb2 as pb

    with launch("local", Path(sys.argv[1])) as provider:
        allocation = provider.allocate("local", "t", {}, job_pb2.Resources(cpu=0.5))
        events = iter(provider.run(allocation.id, job_pb2.Job(id="j", command=["sleep", "300"])))
        running = next(e for e in events if e.HasField("status") and e.status.status == pb.JOB_STATUS_RUNNING)
        print(provider.process.popen.pid, running.status.message.split()[1], flush=True)
        time.sleep(300)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_no_process_outlives_the_host(
    install_plugin: InstallPlugin, wait_gone: Callable[..., bool], sig: signal.Signals
) -> None:
    path = install_plugin("local", "-m", "benchhub.providers.local.main")
    host = subprocess.Popen(
        [sys.executable, "-c", HOST, str(path.parent)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert host.stdout is not None
    plugin_pid, job_pid = (int(pid) for pid in host.stdout.readline().split())
    host.send_signal(sig)
    host.wait(30)
    assert wait_gone(plugin_pid, 10) and wait_gone(job_pid, 10)



def test_a_plugin_outlives_a_ctrl_c_that_reaches_it(install_plugin: InstallPlugin) -> None:
    """Even a SIGINT sent to the plugin itself (a terminal's Ctrl-C, were it in the host's process
    group) leaves it serving: only the host decides when a plugin stops, after releasing allocations."""
    from benchhub.host.plugin import launch

    path = install_plugin("local", "-m", "benchhub.providers.local.main")
    with launch("local", path.parent) as provider:
        assert provider.process is not None and provider.process.popen is not None
        provider.process.popen.send_signal(signal.SIGINT)
        time.sleep(0.3)
        assert provider.get_schema().name == "local"
        assert not provider.process.exited() and "KeyboardInterrupt" not in provider.process.stderr_tail()
