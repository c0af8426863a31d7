"""Job file -> `Config`: settings, providers and jobs, with every error located and reported at once.

Decisions:
- `local` is always available as a provider (with an empty config unless a `provider "local"`
  block configures it); any other provider a job names needs its `provider "name"` block.
- `depends_on` names job-file jobs; depending on a matrix job means depending on all its expansions.
- `inputs` from another job's outputs imply the dependency: the producer is added to `depends_on`
  when missing (the input cannot exist before the producer ran). Inputs must come from a job
  without a matrix, since expansions would produce the same output name several times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchhub.host.config.dag import find_cycle
from benchhub.host.config.errors import Position, Problems
from benchhub.host.config.jobs import FrameworkValidator, JobDraft, JobReader
from benchhub.host.config.model import (
    LOCAL_PROVIDER,
    Budget,
    Config,
    Input,
    JobSpec,
    ProviderConfig,
    Settings,
)
from benchhub.host.config.parse_cache import parse
from benchhub.host.config.units import parse_money
from benchhub.host.config.values import NAME, Section, Values, suggestion
from benchhub.host.errors import ConfigError

_USE_FRAMEWORKS_MODULE: Any = object()


def load_config(
    path: str | Path, *, validate_framework: FrameworkValidator | None = _USE_FRAMEWORKS_MODULE
) -> Config:
    """Read and check a job file. Raises `ConfigError` (one, or `ConfigErrors` listing all).

    `validate_framework(kind, attributes) -> messages` checks framework blocks; by default it is
    `benchhub.frameworks.validate`; None skips the check.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read job file: {reason}", file=file) from None
    return parse_config(text, file, base_dir=Path(path).parent, validate_framework=validate_framework)


def parse_config(
    text: str, file: str, *, base_dir: Path | None = None,
    validate_framework: FrameworkValidator | None = _USE_FRAMEWORKS_MODULE,
) -> Config:
    """Like `load_config` for text already read; `base_dir` anchors relative source paths."""
    if validate_framework is _USE_FRAMEWORKS_MODULE:
        validate_framework = _validate_with_frameworks
    problems = Problems()
    root = parse(text, file, problems)
    if root is None:
        problems.raise_if_any()
    assert root is not None
    root_section = Section.of_block(root, "the job file")
    root_section.check_names(problems, (), ("settings", "provider", "job"))
    values = Values(problems)
    settings = _settings(root_section, problems, values)
    providers = _providers(root_section, problems, values, Position(file, 1, 1))
    reader = JobReader(problems, base_dir or Path("."), set(providers), validate_framework)
    drafts: dict[str, JobDraft] = {}
    for block in root_section.blocks_of("job"):
        draft = reader.read(block)
        if draft is None:
            continue
        if draft.name in drafts:
            problems.add(f'job "{draft.name}" is defined twice (first at {drafts[draft.name].pos})',
                         block.label_positions[0])
            continue
        drafts[draft.name] = draft
    jobs = _link(drafts, problems)
    problems.raise_if_any()
    return Config(file, settings, providers, jobs)


def _validate_with_frameworks(kind: str, attributes: Mapping[str, Any]) -> list[str]:
    """`benchhub.frameworks.validate`, loaded only for a job file with a framework block."""
    from benchhub.frameworks import validate

    return validate(kind, attributes)


def _settings(root: Section, problems: Problems, values: Values) -> Settings:
    blocks = root.blocks_of("settings")
    for extra in blocks[1:]:
        problems.add(f"only one settings block is allowed (first at {blocks[0].pos})", extra.pos)
    if not blocks:
        return Settings()
    section = Section.of_block(blocks[0], "settings")
    section.check_names(problems, ("state_path", "parallelism", "budget"))
    settings = Settings(position=blocks[0].pos)
    if (node := section.get("state_path")) is not None:
        settings = replace(settings, state_path=values.string(node, "settings: state_path"))
    if (node := section.get("parallelism")) is not None:
        parallelism = values.integer(node, "settings: parallelism", minimum=1)
        settings = replace(settings, parallelism=parallelism or settings.parallelism)
    if (node := section.get("budget")) is not None:
        money = values.parsed(node, "settings: budget", parse_money)
        settings = replace(settings, budget=Budget(*money) if money else None)
    return settings


def _providers(
    root: Section, problems: Problems, values: Values, start: Position
) -> dict[str, ProviderConfig]:
    providers: dict[str, ProviderConfig] = {}
    for block in root.blocks_of("provider"):
        if len(block.labels) != 1:
            problems.add('a provider block needs one label: provider "name" { ... }', block.pos)
            continue
        name = block.labels[0]
        if not NAME.match(name):
            message = f'provider name "{name}": use letters, digits, "_" and "-"'
            problems.add(message, block.label_positions[0])
        if name in providers:
            message = f'provider "{name}" is configured twice (first at {providers[name].position})'
            problems.add(message, block.pos)
            continue
        for nested in block.blocks:
            problems.add(f'provider "{name}": nested blocks are not supported; use attributes', nested.pos)
        config = {k: values.plain(a.node, f'provider "{name}": {k}') for k, a in block.attributes.items()}
        positions = {k: a.node.pos for k, a in block.attributes.items()}
        providers[name] = ProviderConfig(name, config, block.pos, positions)
    providers.setdefault(LOCAL_PROVIDER, ProviderConfig(LOCAL_PROVIDER, {}, start))
    return providers


def _link(drafts: Mapping[str, JobDraft], problems: Problems) -> tuple[JobSpec, ...]:
    """Resolve depends_on and inputs to expanded ids; reject unknown jobs and cycles."""
    graph: dict[str, list[str]] = {}
    edge_positions: dict[tuple[str, str], Position] = {}
    linked_inputs: dict[str, tuple[Input, ...]] = {}
    for name, draft in drafts.items():
        needs: list[str] = []
        for dependency, pos in draft.depends_on:
            if dependency not in drafts:
                hint = suggestion(dependency, drafts)
                problems.add(f'job "{name}" depends on unknown job "{dependency}"{hint}', pos)
            elif dependency not in needs:
                needs.append(dependency)
                edge_positions[(name, dependency)] = pos
        inputs: list[Input] = []
        for item in draft.inputs:
            _, producer, _, output = item.ref.path
            what = f'job "{name}": input job.{producer}.outputs.{output}'
            source = drafts.get(producer)
            if source is None:
                problems.add(f'{what}: unknown job "{producer}"{suggestion(producer, drafts)}', item.ref.pos)
            elif output not in source.outputs:
                known = ", ".join(sorted(source.outputs)) or "none"
                message = f'{what}: job "{producer}" has no output "{output}" (its outputs: {known})'
                problems.add(message, item.ref.pos)
            elif len(source.expansions) != 1:
                problems.add(f'{what}: job "{producer}" is a matrix of {len(source.expansions)} jobs; '
                             "inputs must come from a single job", item.ref.pos)
            else:
                inputs.append(Input(source.expansions[0].id, output, item.path, item.ref.pos))
                if producer not in needs:
                    needs.append(producer)
                    edge_positions[(name, producer)] = item.ref.pos
        graph[name] = needs
        linked_inputs[name] = tuple(inputs)

    cycle = find_cycle(graph)
    if cycle is not None:
        at = edge_positions[(cycle[0], cycle[1])]
        problems.add(f"dependency cycle: {' -> '.join(cycle)}", at)
        return ()
    jobs: list[JobSpec] = []
    for name, draft in drafts.items():
        depends_on = tuple(e.id for d in graph[name] for e in drafts[d].expansions)
        linked = linked_inputs[name]
        jobs.extend(replace(spec, depends_on=depends_on, inputs=linked) for spec in draft.expansions)
    return tuple(jobs)
