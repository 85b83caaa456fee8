"""``open()`` read or written at once -> ``await anyio.Path(p).read_text()`` & co (unsafe).

Two shapes: ``open(p).read()`` / ``open(p, "w").write(x)``, and a ``with
open(p) as f:`` block whose only statement reads or writes ``f`` once (the
block becomes that statement).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..nodes import join_args, kwarg, name_uses, string_literal, unparenthesised
from ...categories import is_direct
from .base import Rewrite

OPEN_APIS = {"builtins.open", "io.open"}
READ_MODES = {"r": "text", "rt": "text", "tr": "text", "rb": "bytes", "br": "bytes"}
WRITE_MODES = {"w": "text", "wt": "text", "tw": "text", "wb": "bytes", "bw": "bytes"}


class OpenToAnyio(Rewrite):
    name = "open-anyio"

    def matches(self, d) -> bool:
        return is_direct(d.code) and d.api in OPEN_APIS

    def plan(self, planner, d, node, fn) -> None:
        spec = _open_spec(node)
        if spec is None:
            return
        parent = planner.parent(node)
        if isinstance(parent, cst.WithItem) and parent.item is node:
            self._plan_with(planner, d, node, fn, parent, spec)
        elif isinstance(parent, cst.Attribute) and parent.value is node:
            self._plan_expression(planner, d, node, parent, spec)

    def _plan_with(self, planner, d, node, fn, item, spec) -> None:
        """with open(p) as f: <one statement using f.read() / f.write(x)>"""
        path, mode, kwargs = spec
        with_node = planner.parent(item)
        if not isinstance(with_node, cst.With) or len(with_node.items) != 1 or with_node.asynchronous is not None:
            return
        if item.asname is None or not isinstance(item.asname.name, cst.Name):
            return
        fname = item.asname.name.value
        body = with_node.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
            return
        line = body.body[0]
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return
        small = line.body[0]
        call = _file_call(small, fname)
        if call is None:
            return
        method = _file_method(call, mode, kwargs)
        if method is None:
            return
        if isinstance(small, cst.Expr) and small.value is call and method.startswith("read"):
            return  # a read whose value is dropped
        if sum(1 for n in name_uses(fn) if n == fname) != 2:
            return
        if planner.imports.ref("anyio", "Path") is None:
            return
        planner.claim_statement(with_node, d, self, {"method": method})
        planner.consumed.add(id(node))
        planner.consumed.add(id(call))
        for other in planner.diags:
            if other is not d and planner.locate(other) is call:
                planner.mark_fixed(other)

    def _plan_expression(self, planner, d, node, attribute, spec) -> None:
        """open(p).read() / open(p, "w").write(x)"""
        _, mode, kwargs = spec
        outer = planner.parent(attribute)
        if not isinstance(outer, cst.Call) or outer.func is not attribute:
            return
        method = _file_method(outer, mode, kwargs)
        if method is None:
            return
        if planner.imports.ref("anyio", "Path") is None:
            return
        claim = planner.claim(d, outer, self, method=method)
        planner.consumed.add(id(node))
        for other in planner.diags:
            if other is not d and planner.locate(other) is outer:
                claim.diags.append(other)
                planner.mark_fixed(other)

    # -- transforms
    def call(self, transformer, claim, node):
        path, _, kwargs = _open_spec(node.func.value)  # open(...)
        return _anyio_call(transformer.imports, path, claim.data["method"], kwargs, list(node.args))

    def statement(self, transformer, stmt_plan, node):
        line = node.body.body[0]
        small = line.body[0]
        item = node.items[0]
        path, _, kwargs = _open_spec(item.item)
        call = _file_call(small, item.asname.name.value)
        value = _anyio_call(transformer.imports, path, stmt_plan.data["method"], kwargs, list(call.args))
        leading = list(node.leading_lines)
        header = node.body.header
        if header.comment is not None:
            leading.append(cst.EmptyLine(comment=header.comment))
        leading.extend(line.leading_lines)
        return line.with_changes(body=[small.deep_replace(call, value)], leading_lines=leading)


def _anyio_call(imports, path, method: str, kwargs: dict, args: list) -> cst.Await:
    anyio_path = imports.ref("anyio", "Path")
    call_args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
    for key in ("encoding", "errors", "newline"):
        if key in kwargs and (key != "newline" or method == "write_text"):
            call_args.append(kwarg(key, kwargs[key]))
    call_args = join_args(call_args) if call_args else []
    base = cst.Call(func=cst.parse_expression(anyio_path), args=[cst.Arg(unparenthesised(path))])
    return cst.Await(expression=cst.Call(func=cst.Attribute(value=base, attr=cst.Name(method)), args=call_args))


def _file_call(small, fname: str):
    """The one ``f.read()`` / ``f.write(x)`` call on the file ``fname`` in a simple statement, where an
    ``await`` may replace it (not inside a lambda or a comprehension); None otherwise."""
    found = []

    class _Find(cst.CSTVisitor):
        def visit_Call(self, n) -> None:
            f = n.func
            if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == fname:
                found.append(n)

        def visit_Lambda(self, n) -> bool:
            return False

        def visit_ListComp(self, n) -> bool:
            return False

        def visit_SetComp(self, n) -> bool:
            return False

        def visit_DictComp(self, n) -> bool:
            return False

        def visit_GeneratorExp(self, n) -> bool:
            return False

    small.visit(_Find())
    return found[0] if len(found) == 1 else None


def _open_spec(node: cst.Call):
    """(path, mode, text options) of an ``open(...)`` call this rewrite handles, or None."""
    path = None
    mode = "r"
    kwargs = {}
    pos = 0
    for a in node.args:
        if a.star:
            return None
        if a.keyword is None:
            if pos == 0:
                path = a.value
            elif pos == 1:
                mode = string_literal(a.value)
            else:
                return None
            pos += 1
            continue
        key = a.keyword.value
        if key == "file":
            path = a.value
        elif key == "mode":
            mode = string_literal(a.value)
        elif key in ("encoding", "errors", "newline"):
            kwargs[key] = a.value
        else:
            return None
    if path is None or mode is None:
        return None
    if mode not in READ_MODES and mode not in WRITE_MODES:
        return None
    if "b" in mode and kwargs:
        return None
    return path, mode, kwargs


def _file_method(call: cst.Call, mode: str, kwargs: dict) -> Optional[str]:
    name = call.func.attr.value
    if name == "read" and mode in READ_MODES:
        if call.args or "newline" in kwargs:
            return None
        return "read_text" if READ_MODES[mode] == "text" else "read_bytes"
    if name == "write" and mode in WRITE_MODES:
        if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return None
        return "write_text" if WRITE_MODES[mode] == "text" else "write_bytes"
    return None
