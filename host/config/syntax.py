"""HCL text -> located syntax nodes (`nodes`), using python-hcl2's parser (its Lark grammar).

python-hcl2's dict output drops positions and quotes strings, so the job file is read from the
parse tree, whose every token knows its line and column. Values are literals, lists, objects,
strings (with `${...}` interpolations kept as `Template` parts) and bare references such as
`job.build.outputs.binary` (`Ref`). Operators, function calls, conditionals and `for` expressions
are not part of the job-file language and are reported as errors where they appear.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping

import hcl2
from hcl2.utils import process_escape_sequences
from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from benchhub.host.config.errors import Position, Problems
from benchhub.host.config.nodes import Attribute, Block, Node, Ref, Template

_Tree = Tree[Token]


def parse(text: str, file: str, problems: Problems) -> Block | None:
    """The file as one label-less root block; None (with a syntax error added) when it does not parse."""
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as e:
        problems.add(_syntax_message(e), Position(file, e.line if e.line > 0 else 1, max(e.column, 1)))
        return None
    return _Reader(file, problems).body(tree.children[0], "", (), Position(file, 1, 1), ())


# -- syntax error messages -------------------------------------------------------------------------

_TERMINALS = {
    "RBRACE": "'}'", "LBRACE": "'{'", "RSQB": "']'", "LSQB": "'['", "RPAR": "')'", "LPAR": "'('",
    "EQ": "'='", "COLON": "':'", "COMMA": "','", "DBLQUOTE": "'\"'", "NAME": "a name",
    "NL_OR_COMMENT": "a new line", "INTERP_START": "'${'", "$END": "end of file",
}
_VALUE_STARTS = {"INT_LITERAL", "DBLQUOTE", "LSQB"}


def _syntax_message(error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedCharacters):
        return f"syntax error: unexpected character {error.char!r}"
    if isinstance(error, UnexpectedEOF):
        return "syntax error: unexpected end of file"
    assert isinstance(error, UnexpectedToken)
    token = error.token
    got = _describe_token(token)
    expected = set(error.expected)
    if expected >= _VALUE_STARTS:
        wanted = "a value"
    else:
        names = sorted({_TERMINALS.get(t, t.lower()) for t in expected})
        wanted = " or ".join(names[:4]) + (" ..." if len(names) > 4 else "")
    return f"syntax error: unexpected {got}; expected {wanted}"


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    text = str(token)
    if not text.strip() or text.startswith("\n"):
        return "end of line"
    first = text.strip().splitlines()[0]
    return repr(first[:20])


# -- tree reading ----------------------------------------------------------------------------------

_UNSUPPORTED = {
    "function_call": "function calls",
    "binary_op": "operators",
    "unary_op": "operators",
    "conditional": "conditional expressions",
    "for_tuple_expr": "for expressions",
    "for_object_expr": "for expressions",
    "index_expr_term": "index expressions",
    "attr_splat_expr_term": "splat expressions",
    "full_splat_expr_term": "splat expressions",
    "template_string": "escaped template strings",
}
_HEREDOC_REF = re.compile(r"(?<!\$)\$\{\s*([A-Za-z_][\w-]*(?:\s*\.\s*[A-Za-z_][\w-]*)*)\s*\}")


class _Reader:
    def __init__(self, file: str, problems: Problems) -> None:
        self.file = file
        self.problems = problems

    def pos(self, item: _Tree | Token) -> Position:
        if isinstance(item, Token):
            return Position(self.file, item.line or 1, item.column or 1)
        return Position(self.file, item.meta.line, item.meta.column)

    def body(
        self, body: _Tree, type_: str, labels: tuple[str, ...], pos: Position,
        label_positions: tuple[Position, ...],
    ) -> Block:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in body.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                attribute = self.attribute(child)
                if attribute.name in attributes:
                    first = attributes[attribute.name].pos
                    self.problems.add(f'attribute "{attribute.name}" is set twice (first at {first})',
                                      attribute.pos)
                attributes[attribute.name] = attribute
            elif child.data == "block":
                blocks.append(self.block(child))
        return Block(type_, labels, attributes, tuple(blocks), pos, label_positions)

    def block(self, tree: _Tree) -> Block:
        names: list[tuple[str, Position]] = []
        body = None
        for child in tree.children:
            if isinstance(child, Tree) and child.data == "body":
                body = child
            elif isinstance(child, Tree) and child.data == "string":
                names.append((self.plain_string(child), self.pos(child)))
            elif isinstance(child, Tree) and child.data in ("identifier", "keyword", "literal_value"):
                names.append((str(child.children[0]), self.pos(child)))
        assert body is not None
        (type_, pos), labels = names[0], names[1:]
        return self.body(body, type_, tuple(n for n, _ in labels), pos, tuple(p for _, p in labels))

    def attribute(self, tree: _Tree) -> Attribute:
        name_tree = tree.children[0]
        assert isinstance(name_tree, Tree)
        return Attribute(str(name_tree.children[0]), self.expression(tree.children[-1]), self.pos(name_tree))

    def expression(self, item: _Tree | Token) -> Node:
        pos = self.pos(item)
        if isinstance(item, Token):
            return Node(str(item), pos)
        kind = item.data
        children = [c for c in item.children if not (isinstance(c, Tree) and c.data == "new_line_or_comment")]
        if kind == "expr_term":
            inner = [c for c in children if isinstance(c, Tree)]
            return self.expression(inner[0])
        if kind == "int_lit":
            return Node(int(str(children[0])), pos)
        if kind == "float_lit":
            return Node(float(str(children[0])), pos)
        if kind == "literal_value":
            return Node({"true": True, "false": False, "null": None}[str(children[0])], pos)
        if kind == "string":
            return Node(self.template(item), pos)
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return Node(self.heredoc(children[0], trim=kind.endswith("trim")), pos)
        if kind == "tuple":
            return Node(tuple(self.expression(c) for c in children if isinstance(c, Tree)), pos)
        if kind == "object":
            return Node(self.object(children), pos)
        if kind in ("identifier", "get_attr_expr_term"):
            return Node(self.reference(item), pos)
        if kind == "unary_op" and str(children[0]) == "-":
            operand = self.expression(children[1])
            if isinstance(operand.value, int | float) and not isinstance(operand.value, bool):
                return Node(-operand.value, pos)
        what = _UNSUPPORTED.get(kind, f"'{kind}' expressions")
        self.problems.add(f"{what} are not supported in job files; write a literal value", pos)
        return Node(None, pos)

    def object(self, children: list[_Tree | Token]) -> Mapping[str, Attribute]:
        items: dict[str, Attribute] = {}
        for elem in children:
            if not (isinstance(elem, Tree) and elem.data == "object_elem"):
                continue
            key_tree, value_tree = elem.children[0], elem.children[-1]
            assert isinstance(key_tree, Tree)
            key_pos = self.pos(key_tree)
            key = self.object_key(key_tree)
            if key is None:
                self.problems.add("an object key must be a name or a plain string", key_pos)
                continue
            if key in items:
                self.problems.add(f'key "{key}" is set twice (first at {items[key].pos})', key_pos)
            items[key] = Attribute(key, self.expression(value_tree), key_pos)
        return items

    def object_key(self, key_tree: _Tree) -> str | None:
        node = self.expression(key_tree.children[0])
        value = node.value
        if isinstance(value, Ref) and len(value.path) == 1:
            return value.path[0]
        if isinstance(value, Template) and not value.refs:
            return "".join(str(p) for p in value.parts)
        if isinstance(value, str):  # a keyword used as a key
            return value
        return None

    def reference(self, tree: _Tree) -> Ref:
        path: list[str] = []
        node: _Tree | Token = tree
        while isinstance(node, Tree) and node.data in ("get_attr_expr_term", "expr_term"):
            if node.data == "expr_term":
                node = node.children[0]
                continue
            get_attr = node.children[1]
            assert isinstance(get_attr, Tree)
            name = get_attr.children[-1]
            assert isinstance(name, Tree)
            path.append(str(name.children[0]))
            node = node.children[0]
        if isinstance(node, Tree) and node.data == "identifier":
            path.append(str(node.children[0]))
            return Ref(tuple(reversed(path)), self.pos(tree))
        self.problems.add("only references like job.NAME.outputs.OUTPUT are supported here", self.pos(tree))
        return Ref(tuple(reversed(path)), self.pos(tree))

    def template(self, string: _Tree) -> Template | str:
        parts: list[str | Ref] = []
        for part in string.children:
            if not (isinstance(part, Tree) and part.data == "string_part"):
                continue
            content = part.children[0]
            if isinstance(content, Token):
                text = str(content)
                if content.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    parts.append(text[1:])
                else:
                    parts.append(process_escape_sequences(text))
            elif content.data == "interpolation":
                parts.append(self.interpolation(content))
            else:
                self.problems.add("template directives (%{...}) are not supported in job files",
                                  self.pos(content))
        return _template(parts)

    def interpolation(self, tree: _Tree) -> Ref | str:
        inner = self.expression(tree.children[1])
        if isinstance(inner.value, Ref):
            return Ref(inner.value.path, self.pos(tree))
        if isinstance(inner.value, Template | tuple | dict) or inner.value is None:
            self.problems.add("an interpolation must be a reference such as ${param.size}", self.pos(tree))
            return ""
        return str(inner.value).lower() if isinstance(inner.value, bool) else str(inner.value)

    def plain_string(self, string: _Tree) -> str:
        value = self.template(string)
        if isinstance(value, Template):
            self.problems.add("a block label cannot contain interpolations", self.pos(string))
            return "".join(p for p in value.parts if isinstance(p, str))
        return value

    def heredoc(self, token: _Tree | Token, *, trim: bool) -> Template | str:
        assert isinstance(token, Token)
        raw = str(token)
        first_newline = raw.index("\n")
        body = raw[first_newline + 1:].rstrip("\n")
        body = body[: body.rfind("\n") + 1] if "\n" in body else ""
        if trim:
            body = textwrap.dedent(body)
        parts: list[str | Ref] = []
        start = 0
        line0 = (token.line or 1) + 1
        for match in _HEREDOC_REF.finditer(body):
            parts.append(body[start:match.start()].replace("$${", "${"))
            before = body[:match.start()]
            line = line0 + before.count("\n")
            column = match.start() - (before.rfind("\n") + 1) + 1
            path = tuple(p.strip() for p in match.group(1).split("."))
            parts.append(Ref(path, Position(self.file, line, column)))
            start = match.end()
        parts.append(body[start:].replace("$${", "${"))
        return _template(parts)


def _template(parts: list[str | Ref]) -> Template | str:
    merged: list[str | Ref] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    if all(isinstance(p, str) for p in merged):
        return "".join(p for p in merged if isinstance(p, str))
    return Template(tuple(merged))
