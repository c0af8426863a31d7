"""`bh providers`: what is installed, what each one accepts, and the checksum lock file."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchhub.host.plugin import discover, find, launch
from benchhub.host.plugin.lockfile import LOCK_FILE, Lock, locked_entry
from benchhub.proto.provider.v1 import provider_pb2 as pb


def show_providers() -> None:
    project = Path.cwd()
    found = discover(project)
    lock = Lock.load(project)
    table = Table(title="Providers", title_justify="left")
    for column in ("name", "executable", "found in", LOCK_FILE):
        table.add_column(column, overflow="fold")
    for provider in found:
        table.add_row(provider.name, str(provider.path), provider.source, lock.status(provider))
    console = Console()
    if found:
        console.print(table)
    else:
        console.print("No bh-provider-* executables found (.bh/providers/, $BH_PLUGIN_PATH, $PATH).")


def show_schema(name: str) -> None:
    with launch(name, Path.cwd()) as client:
        schema = client.get_schema()
    console = Console()
    caps = schema.capabilities
    runtimes = ", ".join(
        pb.Capabilities.Runtime.Name(r).removeprefix("RUNTIME_").lower() for r in caps.runtimes
    )
    console.print(f"[bold]{schema.name}[/] {schema.version} (protocol {schema.protocol_version})")
    console.print(
        f"runtimes: {runtimes or '-'}; spot: {caps.spot}; multi-node: {caps.multi_node}; "
        f"packing: {caps.packing}; regions: {', '.join(caps.regions) or '-'}"
    )
    table = Table(title="Configuration", title_justify="left")
    for column in ("attribute", "type", "required", "sensitive", "description"):
        table.add_column(column, overflow="fold")
    for attr in schema.config:
        table.add_row(
            attr.name,
            pb.Attribute.Type.Name(attr.type).removeprefix("TYPE_").lower(),
            "yes" if attr.required else "",
            "yes" if attr.sensitive else "",
            attr.description,
        )
    console.print(table)


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
