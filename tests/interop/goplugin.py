"""Shared by the go-plugin interop tests: starting the Go provider by hand, and bh-gohost's results."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

import pytest

StartProvider = Callable[[Mapping[str, str]], tuple[subprocess.Popen[str], str]]
"""Starts bh-provider-gocatalog with an environment; returns the process and its handshake line."""


@dataclasses.dataclass
class GoHostRun:
    """What bh-gohost (go-plugin's plugin.NewClient) saw driving one provider: its JSON summary and log."""

    summary: dict[str, Any]
    log: str

    def check_full_cycle(self) -> None:
        """Every RPC answered as the protocol says; the provider exited through GRPCController.Shutdown."""
        s = self.summary
        assert (s["protocol"], s["negotiated_version"], s["schema_protocol_version"]) == ("grpc", 1, 1)
        assert s["offers"] >= 1
        assert s["allocation_id"] and s["allocation_again_id"] == s["allocation_id"]  # idempotency token
        assert s["listed"] == 1  # ListAllocations by tag
        assert "hello" in s["run"]["stdout"] and "oops" in s["run"]["stdout"] + s["run"]["stderr"]
        assert (s["run"]["exit_status"], s["run"]["exit_code"]) == ("EXIT_STATUS_SUCCEEDED", 0)
        [collected] = s["collected"]
        assert (collected["path"], collected["data"], collected["size"]) == ("result.txt", "result", 6)
        assert collected["sha256"] == collected["computed_sha256"]
        assert (s["released"], s["released_again"]) == (True, False)
        # go-plugin's Kill() waits 2 s for the process to exit after Shutdown, then SIGKILLs it.
        assert (s["provider_exit_code"], s["provider_signal"]) == (0, ""), self.log
        assert "plugin failed to exit gracefully" not in self.log
        with pytest.raises(ProcessLookupError):
            os.kill(s["provider_pid"], 0)
