"""The provider plugins of one `bh` command: launched concurrently, configured, always closed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchhub.host.errors import BenchHubError
from benchhub.host.planning.model import Billing
from benchhub.host.plugin import ProviderClient, launch
from benchhub.proto.provider.v1 import provider_pb2 as pb


@dataclass(frozen=True)
class Connected:
    client: ProviderClient
    schema: pb.GetSchemaResponse

    @property
    def billing(self) -> Billing:
        rules = self.schema.billing
        granularity = (
            rules.granularity.ToTimedelta().total_seconds() if rules.HasField("granularity") else 1.0
        )
        minimum = rules.minimum.ToTimedelta().total_seconds() if rules.HasField("minimum") else 0.0
        return Billing(granularity_s=granularity or 1.0, minimum_s=minimum)


class ProviderConfigError(BenchHubError):
    """A provider rejected its configuration (exit 2)."""

    exit_code = 2


class ProviderSession:
    """Use as a context manager; `start()` launches and configures, `close()` stops every plugin."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.connected: dict[str, Connected] = {}
        self.failed: dict[str, str] = {}

    def __enter__(self) -> ProviderSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, configs: Mapping[str, Mapping[str, Any]]) -> None:
        """Launch each provider not yet running and Configure it; a provider that cannot start is
        recorded in `failed` (the plan reports it), a configuration error is raised."""
        wanted = [name for name in configs if name not in self.connected and name not in self.failed]
        if not wanted:
            return
        with ThreadPoolExecutor(len(wanted), thread_name_prefix="bh-launch") as pool:
            results = list(pool.map(lambda n: self._connect(n, configs[n]), wanted))
        problems = [problem for problem in results if problem]
        if problems:
            raise ProviderConfigError("; ".join(problems))

    def _connect(self, name: str, config: Mapping[str, Any]) -> str:
        try:
            client = launch(name, self.project_dir)
        except BenchHubError as exc:
            self.failed[name] = str(exc)
            return ""
        try:
            schema = client.get_schema()
            diagnostics = client.configure(config)
        except BenchHubError as exc:
            client.close()
            self.failed[name] = str(exc)
            return ""
        self.connected[name] = Connected(client, schema)
        errors = [d for d in diagnostics if d.severity == pb.Diagnostic.SEVERITY_ERROR]
        return "; ".join(_diagnostic(name, d) for d in errors)

    def clients(self) -> dict[str, ProviderClient]:
        return {name: c.client for name, c in self.connected.items()}

    def billing(self) -> dict[str, Billing]:
        return {name: c.billing for name, c in self.connected.items()}

    def close(self, names: Iterable[str] | None = None) -> None:
        for name in list(names if names is not None else self.connected):
            connected = self.connected.pop(name, None)
            if connected is not None:
                connected.client.close()


def _diagnostic(provider: str, diagnostic: pb.Diagnostic) -> str:
    path = ".".join(diagnostic.attribute_path)
    where = f"provider {provider!r}" + (f" {path}" if path else "")
    detail = f" ({diagnostic.detail})" if diagnostic.detail else ""
    return f"{where}: {diagnostic.summary}{detail}"
