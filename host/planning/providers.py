"""The provider plugins of one `bh` command: launched early and concurrently, configured, closed.

`prelaunch` starts executables as soon as their names are known (before the job file is even
parsed), so a plugin's start-up overlaps the host's own; `start` configures the ones the plan
needs; `close` stops every plugin, used or not.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchhub.host.errors import BenchHubError
from benchhub.host.plugin.timeouts import HANDSHAKE_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from benchhub.host.planning.model import Billing
    from benchhub.host.plugin import ProviderClient
    from benchhub.proto.provider.v1 import provider_pb2 as pb


@dataclass(frozen=True)
class Connected:
    client: ProviderClient
    schema: pb.GetSchemaResponse

    @property
    def billing(self) -> Billing:
        from benchhub.host.planning.model import Billing  # the plan's model: loaded after plugins start

        rules = self.schema.billing
        has = rules.HasField
        granularity = rules.granularity.ToTimedelta().total_seconds() if has("granularity") else 1.0
        minimum = rules.minimum.ToTimedelta().total_seconds() if has("minimum") else 0.0
        return Billing(granularity_s=granularity or 1.0, minimum_s=minimum)


EMBEDDED_PROVIDER = "local"  # what a job file without provider blocks runs on
_PROVIDER_NAMES = re.compile(r'\bprovider\s*=?\s*"([A-Za-z0-9_-]+)"')


def providers_named_in(job_file: Path) -> set[str]:
    """The providers a job file names, read from its text without parsing it (so that they can be
    launched while it is parsed), plus the embedded one. A guess: the parsed job file decides."""
    try:
        text = job_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return {EMBEDDED_PROVIDER, *_PROVIDER_NAMES.findall(text)}


class ProviderConfigError(BenchHubError):
    """A provider rejected its configuration (exit 2)."""

    exit_code = 2


class ProviderSession:
    """Use as a context manager; `close()` stops every plugin it launched."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.connected: dict[str, Connected] = {}
        self.failed: dict[str, str] = {}
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="bh-launch")
        self._launching: dict[str, Future[Connected]] = {}

    def __enter__(self) -> ProviderSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prelaunch(self, names: Iterable[str]) -> None:
        """Launch these providers; returns once their processes run (or failed to start: errors
        surface in `start`), leaving their handshakes to background threads. Until then the host
        does nothing else, so that nothing delays the plugins' start."""
        running = []
        for name in names:
            if name not in self._launching and name not in self.connected:
                event = threading.Event()
                self._launching[name] = self._pool.submit(self._launch, name, event)
                running.append(event)
        for event in running:
            event.wait(HANDSHAKE_TIMEOUT_SECONDS)  # bounded all the same: `start` reports a hung launch

    def _launch(self, name: str, running: threading.Event) -> Connected:
        """Launch provider `name` and read its schema, checking both its executable and the version
        it reports against the lock file; `running` is set once its process runs or the launch failed."""
        from benchhub.host.plugin import find, launch
        from benchhub.host.plugin.lockfile import Lock

        try:
            lock = Lock.load(self.project_dir)
            lock.verify(find(name, self.project_dir))
            client = launch(name, self.project_dir, started=running.set)
        finally:
            running.set()
        try:
            schema = client.get_schema()
            lock.verify_schema(name, schema)
        except BenchHubError:
            client.close()
            raise
        return Connected(client, schema)

    def start(self, configs: Mapping[str, Mapping[str, Any]]) -> None:
        """Launch (unless prelaunched) and Configure each provider; one that cannot start is
        recorded in `failed` (the plan reports it), a configuration error is raised."""
        wanted = [name for name in configs if name not in self.connected and name not in self.failed]
        self.prelaunch(wanted)
        connecting = [self._pool.submit(self._connect, name, configs[name]) for name in wanted]
        problems = [problem for future in connecting if (problem := future.result())]
        if problems:
            raise ProviderConfigError("; ".join(problems))

    def _connect(self, name: str, config: Mapping[str, Any]) -> str:
        from benchhub.host.plugin.lockfile import LockMismatchError
        from benchhub.proto.provider.v1 import provider_pb2 as pb

        try:
            connected = self._launching.pop(name).result()
        except LockMismatchError:
            raise  # never run a provider other than the locked one
        except BenchHubError as exc:
            self.failed[name] = str(exc)
            return ""
        try:
            diagnostics = connected.client.configure(config)
        except BenchHubError as exc:
            connected.client.close()
            self.failed[name] = str(exc)
            return ""
        self.connected[name] = connected
        errors = [d for d in diagnostics if d.severity == pb.Diagnostic.SEVERITY_ERROR]
        return "; ".join(_diagnostic(name, d) for d in errors)

    def clients(self) -> dict[str, ProviderClient]:
        return {name: c.client for name, c in self.connected.items()}

    def billing(self) -> dict[str, Billing]:
        return {name: c.billing for name, c in self.connected.items()}

    def close(self) -> None:
        """Stop every plugin (in parallel), including prelaunched ones no plan needed."""
        clients = [c.client for c in self.connected.values()]
        for future in self._launching.values():
            with contextlib.suppress(BenchHubError):  # one that never started (or was refused)
                clients.append(future.result().client)
        self.connected.clear()
        self._launching.clear()
        list(self._pool.map(lambda client: client.close(), clients))
        self._pool.shutdown()


def _diagnostic(provider: str, diagnostic: pb.Diagnostic) -> str:
    path = ".".join(diagnostic.attribute_path)
    where = f"provider {provider!r}" + (f" {path}" if path else "")
    detail = f" ({diagnostic.detail})" if diagnostic.detail else ""
    return f"{where}: {diagnostic.summary}{detail}"
