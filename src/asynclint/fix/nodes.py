"""Small LibCST helpers the rewrites share: reading literals and names, building arguments."""

from __future__ import annotations

from typing import Optional

import libcst as cst

_EMPTY = cst.Module(body=[])


def code_of(node) -> str:
    return _EMPTY.code_for_node(node)


def dotted(node) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def bool_literal(node) -> Optional[bool]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def string_literal(node) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - defensive
            return None
        return value if isinstance(value, str) else None
    return None


def is_simple(node) -> bool:
    """An expression that can be evaluated twice without side effects."""
    if isinstance(node, (cst.Name, cst.SimpleString, cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.Attribute):
        return is_simple(node.value)
    if isinstance(node, cst.FormattedString):
        return all(
            not isinstance(p, cst.FormattedStringExpression) or is_simple(p.expression) for p in node.parts
        )
    if isinstance(node, cst.ConcatenatedString):
        return is_simple(node.left) and is_simple(node.right)
    if isinstance(node, cst.BinaryOperation):
        return is_simple(node.left) and is_simple(node.right)
    return False


def names_in(node) -> set:
    """Every name a node mentions (not attribute names, not keyword names)."""
    out: set = set()

    class _V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

    node.visit(_V())
    return out


def name_uses(node) -> list:
    """Every ``Name`` in a node, attribute and keyword names included, in order."""
    out: list = []

    class _V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.append(n.value)

    node.visit(_V())
    return out


def unique(base: str, taken: set) -> str:
    """``base``, or ``base_1``, ``base_2``... whichever is free; it is then taken."""
    if base not in taken:
        taken.add(base)
        return base
    i = 1
    while f"{base}_{i}" in taken:
        i += 1
    taken.add(f"{base}_{i}")
    return f"{base}_{i}"


def comma_like(args, default=" ") -> cst.Comma:
    """A comma spaced like the ones already in ``args``."""
    for a in args:
        if isinstance(a.comma, cst.Comma):
            return cst.Comma(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=a.comma.whitespace_after)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(default))


def has_newline(comma: cst.Comma) -> bool:
    return isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)


def kwarg(name: str, value, comma=cst.MaybeSentinel.DEFAULT) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        comma=comma,
    )


def join_args(args: list) -> list:
    """Make sure every argument but the last has a comma."""
    out = []
    sep = comma_like(args)
    for i, a in enumerate(args):
        last = i == len(args) - 1
        if not last and not isinstance(a.comma, cst.Comma):
            a = a.with_changes(comma=sep)
        out.append(a)
    return out



# expressions that need their own parentheses as a call's argument
_KEEP_PARENS = (cst.Tuple, cst.GeneratorExp, cst.Yield, cst.NamedExpr)


def unparenthesised(node):
    """``node`` without parentheses that an argument position makes redundant: ``anyio.Path(a / b)``,
    never ``anyio.Path((a / b))``."""
    if getattr(node, "lpar", None) and not isinstance(node, _KEEP_PARENS):
        return node.with_changes(lpar=[], rpar=[])
    return node
