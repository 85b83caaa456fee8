"""Going through a syntax tree's nodes faster than ``ast.walk`` and ``ast.iter_child_nodes``.

The summarizer's own passes look for expressions and statements (names,
attributes, calls, comparisons), never for the marker nodes of a name's
context (``Load``, ``Store``), an operator (``Add``, ``And``, ``Eq``) or an
import's ``alias``; and the fields of a node that hold text or numbers
(``Name.id``, ``Attribute.attr``, ``Constant.value``) hold no nodes. Skipping
them, and going through each node type's remaining fields from a table
built once per type, halves the cost of the standard walk, which goes
through every field of every node through two generators.
"""

from __future__ import annotations

import ast

# fields that never hold a node the summarizer looks for
_SKIPPED = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "name", "names", "module", "level", "kind",
                      "type_comment", "is_async", "conversion", "lineno", "col_offset"})

_FIELDS: dict = {ast.Constant: ()}  # node type -> the fields that may hold nodes


def _fields(t) -> tuple:
    got = _FIELDS.get(t)
    if got is None:
        got = _FIELDS[t] = tuple(f for f in t._fields if f not in _SKIPPED)
    return got


def child_nodes(node: ast.AST) -> list:
    """The nodes directly below ``node`` (as ``ast.iter_child_nodes``, less the skipped ones)."""
    out = []
    fields = _FIELDS.get(type(node))
    for name in fields if fields is not None else _fields(type(node)):
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if item is not None and type(item) is not str:
                    out.append(item)
        elif value is not None and isinstance(value, ast.AST):
            out.append(value)
    return out


def walk(node: ast.AST):
    """``node`` and every node below it (as ``ast.walk``, less the skipped ones; in another order)."""
    stack = [node]
    pop, push = stack.pop, stack.append
    fields_of = _FIELDS.get
    while stack:
        node = pop()
        yield node
        fields = fields_of(type(node))
        if fields is None:
            fields = _fields(type(node))
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if item is not None and type(item) is not str:
                        push(item)
            elif value is not None and isinstance(value, ast.AST):
                push(value)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def in_scope(stmts):
    """Every node of these statements that runs in their own scope: nested functions, classes and
    lambdas are left out, their own nodes as well as their bodies (which run elsewhere, or later)."""
    todo = list(stmts)
    pop, extend = todo.pop, todo.extend
    while todo:
        node = pop()
        if type(node) in _SCOPES:
            continue
        yield node
        extend(child_nodes(node))
