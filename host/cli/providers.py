"""`bh providers`: what is installed, what each one accepts, and the checksum lock file."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from benchhub.host.cli.console import PipeConsole, table
from benchhub.host.errors import BenchHubError
from benchhub.host.plugin import Discovered, discover, find, launch
from benchhub.host.plugin.lockfile import LOCK_FILE, Lock, locked_entry
from benchhub.proto.provider.v1 import provider_pb2 as pb

#: How long `bh providers` waits for each provider to start and to answer GetSchema.
PROBE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Probed:
    """A discovered provider and what its GetSchema said, or why it could not be asked."""

    found: Discovered
    schema: pb.GetSchemaResponse | None
    error: str = ""


def probe(found: Discovered, project: Path, timeout: float = PROBE_TIMEOUT_SECONDS) -> Probed:
    """Start the provider and ask its schema (each step within `timeout`); a failure is kept, not raised."""
    try:
        with launch(found.name, project, handshake_timeout=timeout, call_timeout=timeout) as client:
            return Probed(found, client.get_schema())
    except BenchHubError as exc:
        return Probed(found, None, str(exc))


def probe_all(found: list[Discovered], project: Path, timeout: float = PROBE_TIMEOUT_SECONDS) -> list[Probed]:
    """`probe` every provider at once."""
    if not found:
        return []
    with ThreadPoolExecutor(len(found), thread_name_prefix="bh-probe") as pool:
        return list(pool.map(lambda f: probe(f, project, timeout), found))


def show_providers() -> None:
    project = Path.cwd()
    found = discover(project)
    console = PipeConsole()
    if not found:
        console.print(
            "No bh-provider-* executables found (.bh/providers/, $BH_PLUGIN_PATH, beside bh, $PATH)."
        )
        return
    lock = Lock.load(project)
    columns = ("name", "version", "protocol", "found in", "executable", LOCK_FILE)
    shown = table("Providers", columns)
    problems = []
    for probed in probe_all(found, project):
        provider, schema = probed.found, probed.schema
        if schema is None:
            problems.append(f"[red]{escape(provider.name)}:[/] {escape(probed.error)}")
        shown.add_row(
            escape(provider.name),
            escape(schema.version) if schema else "[red]error[/]",
            str(schema.protocol_version) if schema else "-",
            provider.source,
            escape(str(provider.path)),
            lock.status(provider),
        )
    console.print(shown)
    for problem in problems:
        console.print(problem)


def show_schema(name: str) -> None:
    with launch(name, Path.cwd()) as client:
        schema = client.get_schema()
    console = PipeConsole()
    caps = schema.capabilities
    runtimes = ", ".join(
        pb.Capabilities.Runtime.Name(r).removeprefix("RUNTIME_").lower() for r in caps.runtimes
    )
    console.print(f"[bold]{schema.name}[/] {schema.version} (protocol {schema.protocol_version})")
    console.print(
        f"runtimes: {runtimes or '-'}; spot: {caps.spot}; multi-node: {caps.multi_node}; "
        f"packing: {caps.packing}; regions: {', '.join(caps.regions) or '-'}"
    )
    columns = ("attribute", "type", "required", "sensitive", "description")
    shown = table("Configuration", columns)
    for attr in schema.config:
        shown.add_row(
            attr.name,
            pb.Attribute.Type.Name(attr.type).removeprefix("TYPE_").lower(),
            "yes" if attr.required else "",
            "yes" if attr.sensitive else "",
            attr.description,
        )
    console.print(shown)


def write_lock(job_file: Path) -> list[str]:
    """Record the version, protocol and executable sha256 of every provider JOB_FILE uses."""
    from benchhub.host.planning.jobfile import load_workflow
    from benchhub.host.planning.planner import provider_configs

    project = Path.cwd()
    lock = Lock.load(project)
    done = []
    for name in sorted(provider_configs(load_workflow(job_file))):
        found = find(name, project)
        with launch(name, project) as client:
            entry = locked_entry(found, client.get_schema())
        lock.record(entry)
        done.append(f"{name} {entry.version} (protocol {entry.protocol}) sha256 {entry.sha256[:12]}…")
    lock.save()
    return [f"Wrote {lock.path.name}:", *(f"  {line}" for line in done)]
