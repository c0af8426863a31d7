"""`job "name" { ... }` blocks -> drafts of expanded `JobSpec`s (one per matrix combination).

Cross-job facts (depends_on, inputs) are kept as written; `loader` resolves them once all jobs are
known. `${param.NAME}` is substituted in command, env, workdir, image, outputs and framework
attributes; a string that is exactly one `${param.NAME}` keeps the parameter's type in framework
attributes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from benchhub.host.config.errors import Position, Problems
from benchhub.host.config.model import (
    Framework,
    JobSpec,
    Parameter,
    Placement,
    Resources,
    Source,
    Spot,
    When,
)
from benchhub.host.config.nodes import Block, Node, Ref, Template
from benchhub.host.config.params import Bindings, ParamDef, ParamReader, format_value, job_id
from benchhub.host.config.units import parse_duration, parse_size
from benchhub.host.config.values import NAME, Section, Values, suggestion

FrameworkValidator = Callable[[str, Mapping[str, Any]], list[str]]

JOB_ATTRIBUTES = (
    "command", "env", "workdir", "timeout", "resources", "source", "params", "depends_on", "when",
    "outputs", "inputs", "exclusive", "expected_duration", "retries", "placement", "provider", "image",
)
JOB_BLOCKS = ("resources", "source", "params", "param", "placement", "framework", "outputs", "env")
WHEN_CHOICES: tuple[When, ...] = ("on_success", "always", "on_failure")
ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "arm64", "aarch64": "arm64"}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class InputDraft:
    path: str
    ref: Ref


@dataclass
class JobDraft:
    """A job as written plus its expansions; `depends_on` and `inputs` are resolved by the loader."""

    name: str
    pos: Position
    expansions: list[JobSpec] = field(default_factory=list)
    depends_on: list[tuple[str, Position]] = field(default_factory=list)
    inputs: list[InputDraft] = field(default_factory=list)
    outputs: frozenset[str] = frozenset()


class JobReader:
    def __init__(
        self, problems: Problems, base_dir: Path, providers: set[str],
        validate_framework: FrameworkValidator | None,
    ) -> None:
        self.problems = problems
        self.values = Values(problems)
        self.p = ParamReader(problems, self.values)
        self.base_dir = base_dir
        self.providers = providers
        self.validate_framework = validate_framework

    def read(self, block: Block) -> JobDraft | None:
        if len(block.labels) != 1:
            self.problems.add('a job block needs one label: job "name" { ... }', block.pos)
            return None
        name = block.labels[0]
        if not NAME.match(name):
            self.problems.add(f'job name "{name}": use letters, digits, "_" and "-", starting with a letter',
                              block.label_positions[0])
        what = f'job "{name}"'
        section = Section.of_block(block, what)
        misspelt = section.check_names(self.problems, JOB_ATTRIBUTES, JOB_BLOCKS)
        draft = JobDraft(name, block.pos)
        params = self.p.read(section)
        base = self.fixed_parts(section, draft)
        self.p.infer_targets(section, params)
        frameworks = section.blocks_of("framework")
        for extra in frameworks[1:]:
            self.problems.add(f"{what}: only one framework block per job", extra.pos)
        framework = frameworks[0] if frameworks else None
        if not misspelt:
            self.check_runnable(section, framework, what, block.pos)

        matrix = [p for p in params if p.matrix]
        ids: set[str] = set()
        for combination in itertools.product(*(p.values for p in matrix)):
            chosen = dict(zip((p.name for p in matrix), combination, strict=True))
            bindings = {p.name: chosen.get(p.name, p.values[0]) for p in params}
            ident = job_id(name, [(p.name, chosen[p.name]) for p in matrix])
            if ident in ids:
                self.problems.add(f'{what}: two parameter combinations give the same job id "{ident}" '
                                  "(e.g. 1 and \"1\" in one list)", block.pos)
            ids.add(ident)
            draft.expansions.append(self.expand(section, base, params, bindings, framework, ident))
        return draft

    # -- parts that are the same for every expansion -----------------------------------------------

    def fixed_parts(self, section: Section, draft: JobDraft) -> JobSpec:
        v, what = self.values, section.what
        spec = JobSpec(id=draft.name, name=draft.name, position=section.pos)
        if (node := section.get("timeout")) is not None:
            spec = replace(spec, timeout=v.parsed(node, f"{what}: timeout", parse_duration))
        if (node := section.get("expected_duration")) is not None:
            expected = v.parsed(node, f"{what}: expected_duration", parse_duration)
            spec = replace(spec, expected_duration=expected)
        if (node := section.get("retries")) is not None:
            spec = replace(spec, retries=v.integer(node, f"{what}: retries") or 0)
        if (node := section.get("exclusive")) is not None:
            spec = replace(spec, exclusive=bool(v.boolean(node, f"{what}: exclusive")))
        if (node := section.get("when")) is not None:
            when = v.choice(node, f"{what}: when", WHEN_CHOICES)
            spec = replace(spec, when=cast(When, when or "on_success"))
        if (node := section.get("provider")) is not None:
            spec = replace(spec, provider=self.provider_name(node, f"{what}: provider"))
        if (node := section.get("depends_on")) is not None:
            draft.depends_on = self.dependencies(node, what)
        if (node := section.get("inputs")) is not None:
            draft.inputs = self.inputs(node, what)
        resources = section.section("resources", self.problems, v)
        if resources is not None:
            spec = replace(spec, resources=self.resources(resources))
        source = section.get("source")
        if isinstance(source, Node) and isinstance(source.value, str):
            spec = replace(spec, source=self.source_path(source.value, None, source.pos))
        elif (source_section := section.section("source", self.problems, v)) is not None:
            spec = replace(spec, source=self.source(source_section))
        placement = section.section("placement", self.problems, v)
        if placement is not None:
            spec = replace(spec, placement=self.placement(placement))
        outputs = section.section("outputs", self.problems, v)
        if outputs is not None:
            draft.outputs = frozenset(outputs.attributes)
        return spec

    def provider_name(self, node: Node, what: str) -> str | None:
        name = self.values.string(node, what)
        if name is not None and name not in self.providers:
            declared = ", ".join(sorted(self.providers))
            self.problems.add(
                f'{what}: unknown provider "{name}"{suggestion(name, self.providers)} '
                f'(declared: {declared}; add a provider "{name}" block)', node.pos,
            )
            return None
        return name

    def dependencies(self, node: Node, what: str) -> list[tuple[str, Position]]:
        if not isinstance(node.value, tuple):
            self.values.wrong(f"{what}: depends_on", 'a list of job names like ["build"]', node)
            return []
        names = []
        for item in node.value:
            value = item.value
            if isinstance(value, Ref) and len(value.path) == 2 and value.path[0] == "job":
                names.append((value.path[1], item.pos))
            elif isinstance(value, str):
                names.append((value, item.pos))
            else:
                self.values.wrong(f"{what}: depends_on element", 'a job name like "build"', item)
        return names

    def inputs(self, node: Node, what: str) -> list[InputDraft]:
        entries: list[tuple[str, Node]] = []
        if isinstance(node.value, tuple):
            entries = [("", item) for item in node.value]
        elif isinstance(node.value, Mapping):
            entries = [(key, attribute.node) for key, attribute in node.value.items()]
        else:
            self.values.wrong(f"{what}: inputs", "an object { path = job.NAME.outputs.OUTPUT }", node)
        drafts = []
        for path, item in entries:
            ref = item.value
            if isinstance(ref, Template) and len(ref.parts) == 1 and isinstance(ref.parts[0], Ref):
                ref = ref.parts[0]
            if isinstance(ref, Ref) and len(ref.path) == 4 and ref.path[::2] == ("job", "outputs"):
                drafts.append(InputDraft(path, ref))
            else:
                self.values.wrong(f"{what}: input", "a reference like job.build.outputs.binary", item)
        return drafts

    def resources(self, section: Section) -> Resources:
        v, what = self.values, section.what
        section.check_names(self.problems, ("cpu", "memory", "gpu", "disk", "nodes", "arch"))
        resources = Resources()
        if (node := section.get("cpu")) is not None:
            resources = replace(resources, cpu=v.number(node, f"{what}: cpu") or resources.cpu)
        if (node := section.get("memory")) is not None:
            resources = replace(resources, memory_bytes=v.parsed(node, f"{what}: memory", parse_size) or 0)
        if (node := section.get("disk")) is not None:
            resources = replace(resources, disk_bytes=v.parsed(node, f"{what}: disk", parse_size) or 0)
        if (node := section.get("gpu")) is not None:
            resources = replace(resources, gpu=v.integer(node, f"{what}: gpu") or 0)
        if (node := section.get("nodes")) is not None:
            resources = replace(resources, nodes=v.integer(node, f"{what}: nodes", minimum=1) or 1)
        if (node := section.get("arch")) is not None:
            arch = v.choice(node, f"{what}: arch", tuple(ARCHES))
            resources = replace(resources, arch=ARCHES.get(arch or "", ""))
        return resources

    def source(self, section: Section) -> Source | None:
        section.check_names(self.problems, ("path", "ref"))
        path_node = section.get("path")
        if path_node is None:
            self.problems.add(f'{section.what}: "path" is required', section.pos)
            return None
        path = self.values.string(path_node, f"{section.what}: path")
        ref_node = section.get("ref")
        ref = self.values.string(ref_node, f"{section.what}: ref") if ref_node is not None else None
        return self.source_path(path, ref, path_node.pos) if path is not None else None

    def source_path(self, path: str, ref: str | None, pos: Position) -> Source:
        if not (self.base_dir / path).is_dir():
            self.problems.add(f'source path "{path}" is not a directory (relative to {self.base_dir})', pos)
        return Source(path, ref)

    def placement(self, section: Section) -> Placement:
        v, what = self.values, section.what
        section.check_names(self.problems, ("providers", "regions", "spot", "max_price"))
        placement = Placement()
        if (node := section.get("providers")) is not None:
            names = v.strings(node, f"{what}: providers") or []
            for name, pos in names:
                self.provider_name(Node(name, pos), f"{what}: providers")
            placement = replace(placement, providers=tuple(n for n, _ in names))
        if (node := section.get("regions")) is not None:
            regions = v.strings(node, f"{what}: regions") or []
            placement = replace(placement, regions=tuple(n for n, _ in regions))
        if (node := section.get("spot")) is not None:
            spot: Spot = None
            if isinstance(node.value, bool) or node.value == "prefer":
                spot = cast(Spot, node.value)
            else:
                v.wrong(f"{what}: spot", 'true, false or "prefer"', node)
            placement = replace(placement, spot=spot)
        if (node := section.get("max_price")) is not None:
            placement = replace(placement, max_price=v.number(node, f"{what}: max_price"))
        return placement

    def check_runnable(self, section: Section, framework: Block | None, what: str, pos: Position) -> None:
        has_command = section.get("command") is not None
        if has_command and framework is not None:
            self.problems.add(f"{what}: give either a command or a framework block, not both", framework.pos)
        if not (has_command or framework or section.get("image") is not None):
            self.problems.add(f"{what} has nothing to run: set command, image or a framework block", pos)

    # -- per-expansion parts ---------------------------------------------------------------------------

    def expand(
        self, section: Section, base: JobSpec, params: list[ParamDef], bindings: Bindings,
        framework: Block | None, ident: str,
    ) -> JobSpec:
        what = section.what
        changes: dict[str, Any] = {
            "id": ident,
            "params": tuple(Parameter(p.name, bindings[p.name], p.target, p.key) for p in params),
        }
        if (node := section.get("command")) is not None:
            changes["command"] = self.command(node, bindings, what)
        env = self.env(section, bindings)
        for p in params:
            if p.target == "env" and p.key:
                env.setdefault(p.key, format_value(bindings[p.name]))
        changes["env"] = env
        if (node := section.get("workdir")) is not None:
            changes["workdir"] = self.p.text(node, bindings, f"{what}: workdir") or ""
        if (node := section.get("image")) is not None:
            changes["image"] = self.p.text(node, bindings, f"{what}: image")
        outputs = section.section("outputs", self.problems, self.values)
        if outputs is not None:
            items = outputs.attributes.items()
            globs = {k: self.p.text(a.node, bindings, f"{what}: outputs.{k}") for k, a in items}
            changes["outputs"] = {k: g for k, g in globs.items() if g is not None}
        if framework is not None:
            changes["framework"] = self.framework(framework, bindings, what)
        return replace(base, **changes)

    def command(self, node: Node, bindings: Bindings, what: str) -> tuple[str, ...]:
        if isinstance(node.value, str | Template):
            return ("sh", "-c", self.p.text(node, bindings, f"{what}: command") or "")
        if isinstance(node.value, tuple) and node.value:
            argv = [self.p.text(i, bindings, f"{what}: command element", scalars=True) for i in node.value]
            return tuple(a for a in argv if a is not None)
        self.values.wrong(f"{what}: command", "a string or a non-empty list of strings", node)
        return ()

    def env(self, section: Section, bindings: Bindings) -> dict[str, str]:
        env = section.section("env", self.problems, self.values)
        out: dict[str, str] = {}
        for key, attribute in (env.attributes.items() if env else ()):
            if not ENV_NAME.match(key):
                message = f'{section.what}: env name "{key}" is not a valid variable name'
                self.problems.add(message, attribute.pos)
            value = self.p.text(attribute.node, bindings, f"{section.what}: env {key}", scalars=True)
            if value is not None:
                out[key] = value
        return out

    def framework(self, block: Block, bindings: Bindings, what: str) -> Framework | None:
        if len(block.labels) != 1:
            message = f'{what}: a framework block needs one label: framework "kind" {{ ... }}'
            self.problems.add(message, block.pos)
            return None
        kind = block.labels[0]
        for nested in block.blocks:
            self.problems.add(f'{what}: framework "{kind}": nested blocks are not supported', nested.pos)
        where = f'{what}: framework "{kind}"'
        attributes = {n: self.p.plain(a.node, bindings, f"{where}: {n}") for n, a in block.attributes.items()}
        if self.validate_framework is not None:
            for message in self.validate_framework(kind, attributes):
                if not message.startswith("framework"):
                    message = f'framework "{kind}": {message}'
                self.problems.add(f"{what}: {message}", _locate(message, block))
        return Framework(kind, attributes, block.pos)


def _locate(message: str, block: Block) -> Position:
    """The position of the framework attribute a validator's message names (in quotes), else the
    block's label."""
    named = re.sub(r"\(known:[^)]*\)", "", message).replace(f'framework "{block.labels[0]}"', "")
    for name, attribute in block.attributes.items():
        if f'"{name}"' in named:
            return attribute.pos
    return block.label_positions[0] if block.label_positions else block.pos
