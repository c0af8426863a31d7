"""Job parameters: reading `params { }` and `param "name" { }`, and substituting `${param.NAME}`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from benchhub.host.config.errors import Position, Problems
from benchhub.host.config.model import ParamValue, Target
from benchhub.host.config.nodes import Block, Node, Ref, Template
from benchhub.host.config.values import NAME, Section, Values, suggestion

TARGETS: tuple[Target, ...] = ("argument", "env", "config_file", "system")
Bindings = Mapping[str, ParamValue]


@dataclass(frozen=True)
class ParamDef:
    """A parameter as written: one value, or a list (`matrix`) to expand over."""

    name: str
    values: tuple[ParamValue, ...]
    matrix: bool
    pos: Position
    target: Target = ""
    key: str = ""


def format_value(value: ParamValue) -> str:
    """A parameter value as text: in job ids, commands and env (true/false for bools)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def job_id(name: str, matrix: list[tuple[str, ParamValue]]) -> str:
    if not matrix:
        return name
    return f"{name}[{','.join(f'{k}={format_value(v)}' for k, v in matrix)}]"


class ParamReader:
    """Reads a job's parameters and renders strings with them."""

    def __init__(self, problems: Problems, values: Values) -> None:
        self.problems = problems
        self.values = values

    def read(self, section: Section) -> list[ParamDef]:
        """A job's parameters in written order: `params { name = value or [values] }` entries, then
        `param "name" { value(s), target, key }` blocks."""
        defs: list[ParamDef] = []
        params = section.section("params", self.problems, self.values)
        if params is not None:
            for name, attribute in params.attributes.items():
                found = self.param_values(attribute.node, f"{section.what}: param {name}")
                if found is not None:
                    defs.append(ParamDef(name, found[0], found[1], attribute.pos))
        for block in section.blocks_of("param"):
            defs.extend(self.param_block(block, section.what))
        seen: dict[str, Position] = {}
        for d in defs:
            if not NAME.match(d.name):
                self.problems.add(f'parameter name "{d.name}": use letters, digits, "_" and "-"', d.pos)
            if d.name in seen:
                self.problems.add(f'parameter "{d.name}" is defined twice (first at {seen[d.name]})', d.pos)
            seen.setdefault(d.name, d.pos)
        return defs

    def param_block(self, block: Block, job: str) -> list[ParamDef]:
        if len(block.labels) != 1:
            self.problems.add('a param block needs one label: param "name" { ... }', block.pos)
            return []
        name = block.labels[0]
        section = Section.of_block(block, f'param "{name}" of {job}')
        section.check_names(self.problems, ("value", "values", "target", "key"))
        value_node, values_node = section.get("value"), section.get("values")
        if (value_node is None) == (values_node is None):
            self.problems.add(f'{section.what}: set exactly one of "value" and "values"', block.pos)
            return []
        node = cast(Node, value_node or values_node)
        found = self.param_values(node, f"{section.what}: {'value' if value_node else 'values'}")
        if found is None:
            return []
        if values_node is not None and not found[1]:
            self.values.wrong(f"{section.what}: values", "a list", node)
            return []
        target_node, key_node = section.get("target"), section.get("key")
        target = self.values.choice(target_node, f"{section.what}: target", TARGETS) if target_node else ""
        key = self.values.string(key_node, f"{section.what}: key") if key_node else ""
        if target == "env" and not key:
            self.problems.add(f'{section.what}: target "env" needs a key (the variable name)', block.pos)
        return [ParamDef(name, found[0], found[1], block.pos, cast(Target, target or ""), key or "")]

    def param_values(self, node: Node, what: str) -> tuple[tuple[ParamValue, ...], bool] | None:
        items = node.value if isinstance(node.value, tuple) else (node,)
        values: list[ParamValue] = []
        for item in items:
            if isinstance(item.value, str | int | float):
                values.append(item.value)
            else:
                self.values.wrong(what, "a string, number or bool (or a list of them)", item)
                return None
        if not values:
            self.problems.add(f"{what}: an empty list gives no jobs", node.pos)
            return None
        return tuple(values), isinstance(node.value, tuple)

    def infer_targets(self, section: Section, params: list[ParamDef]) -> None:
        """A parameter without an explicit target used in env gets target "env" (key = the variable);
        one used in the command gets "argument"."""
        targets: dict[str, tuple[Target, str]] = {}
        env = section.section("env", self.problems, self.values)
        for key, attribute in (env.attributes.items() if env else ()):
            for ref in _param_refs(attribute.node):
                targets.setdefault(ref, ("env", key))
        command = section.get("command")
        for ref in _param_refs(command) if command else ():
            targets.setdefault(ref, ("argument", ""))
        for i, d in enumerate(params):
            if not d.target and d.name in targets:
                params[i] = replace(d, target=targets[d.name][0], key=targets[d.name][1])

    # -- substitution --------------------------------------------------------------------------------

    def text(self, node: Node, bindings: Bindings, what: str, *, scalars: bool = False) -> str | None:
        """A string with `${param.x}` substituted; with `scalars`, numbers and bools become text."""
        value = node.value
        if scalars and isinstance(value, int | float | bool):
            return format_value(value)
        if isinstance(value, str):
            return value
        if isinstance(value, Template):
            return "".join(
                p if isinstance(p, str) else format_value(self.lookup(p, bindings, what)) for p in value.parts
            )
        self.values.wrong(what, "a string", node)
        return None

    def lookup(self, ref: Ref, bindings: Bindings, what: str) -> ParamValue:
        if len(ref.path) == 2 and ref.path[0] == "param":
            if ref.path[1] in bindings:
                return bindings[ref.path[1]]
            known = ", ".join(sorted(bindings)) or "none"
            self.problems.add(
                f'{what}: unknown parameter "{ref.path[1]}" in ${{{ref}}}{suggestion(ref.path[1], bindings)} '
                f"(this job's parameters: {known})", ref.pos,
            )
        else:
            message = f"{what}: unsupported reference ${{{ref}}}: only ${{param.NAME}} can be used here"
            self.problems.add(message, ref.pos)
        return ""

    def plain(self, node: Node, bindings: Bindings, what: str) -> Any:
        """A node as plain Python with parameters substituted; exactly "${param.x}" keeps x's type."""
        value = node.value
        if isinstance(value, Template):
            if len(value.parts) == 1 and isinstance(value.parts[0], Ref):
                return self.lookup(value.parts[0], bindings, what)
            return self.text(node, bindings, what)
        if isinstance(value, Ref):
            self.values.wrong(what, "a value", node)
            return None
        if isinstance(value, tuple):
            return [self.plain(item, bindings, what) for item in value]
        if isinstance(value, Mapping):
            return {k: self.plain(a.node, bindings, f"{what}.{k}") for k, a in value.items()}
        return value


def _param_refs(node: Node) -> list[str]:
    value = node.value
    if isinstance(value, Template):
        return [r.path[1] for r in value.refs if len(r.path) == 2 and r.path[0] == "param"]
    if isinstance(value, tuple):
        return [name for item in value for name in _param_refs(item)]
    return []
