"""`bh providers`: what is installed, what each one accepts, and the checksum lock file."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchhub.host.errors import UsageError
from benchhub.host.plugin import discover, launch
from benchhub.proto.provider.v1 import provider_pb2 as pb


def show_providers() -> None:
    found = discover(Path.cwd())
    table = Table(title="Providers", title_justify="left")
    for column in ("name", "executable", "found in"):
        table.add_column(column, overflow="fold")
    for provider in found:
        table.add_row(provider.name, str(provider.path), provider.source)
    Console().print(
        table if found else "No bh-provider-* executables found (.bh/providers/, $BH_PLUGIN_PATH, $PATH)."
    )


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


def write_lock(job_file: Path) -> None:
    raise UsageError("bh providers lock: the lock file module is not available in this build")
