"""Imports a fix made unused: ``import time`` once ``time.sleep(1)`` became ``await asyncio.sleep(1)``.

A name bound by a top-level import is dropped when the original text used it
and the fixed text no longer does (counted as pyflakes counts: names read
anywhere, string annotations, ``__all__``). An import that was unused before
the fix is not the fix's business and stays; so does one still used, in any
way, after it.
"""

from __future__ import annotations

import ast
from typing import Optional

import libcst as cst


def names_made_unused(before: str, after: str) -> set:
    """Names of top-level imports of ``after`` that ``before`` used and ``after`` does not."""
    old, new = _parse(before), _parse(after)
    if old is None or new is None:
        return set()
    used_before, used_after = _uses(old), _uses(new)
    bound = set()
    for stmt in new.body:
        if isinstance(stmt, ast.Import):
            bound |= {a.asname or a.name.split(".")[0] for a in stmt.names}
        elif isinstance(stmt, ast.ImportFrom) and stmt.module != "__future__":
            bound |= {a.asname or a.name for a in stmt.names if a.name != "*"}
    return {n for n in bound if n in used_before and n not in used_after}


def prune_chunk(code: str, drop: set, config) -> str:
    """``code`` (top-level statements) without the imports of the names ``drop``."""
    if not drop:
        return code
    module = cst.parse_module(code, config=config)
    new = module.visit(_Prune(drop))
    return new.code


def _parse(text: str) -> Optional[ast.Module]:
    try:
        return ast.parse(text)
    except SyntaxError as exc:  # syntax newer than this interpreter: lowered, as the summarizer does
        from ..summarize.downgrade import lower_to_ast

        try:
            return lower_to_ast(text, exc)
        except Exception:
            return None
    except (ValueError, RecursionError, MemoryError):
        return None


def _uses(tree: ast.Module) -> set:
    out: set = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation is not None:
            _string_annotation(node.annotation, out)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            _string_annotation(node.returns, out)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                out |= {e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return out


def _string_annotation(annotation, out: set) -> None:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                inner = ast.parse(node.value, mode="eval")
            except (SyntaxError, ValueError):
                continue
            out |= {n.id for n in ast.walk(inner) if isinstance(n, ast.Name)}


def _bound_name(alias: cst.ImportAlias, plain: bool) -> Optional[str]:
    if alias.asname is not None:
        return alias.asname.name.value if isinstance(alias.asname.name, cst.Name) else None
    node = alias.name
    if plain:  # import a.b binds a
        while isinstance(node, cst.Attribute):
            node = node.value
    return node.value if isinstance(node, cst.Name) else None


class _Prune(cst.CSTTransformer):
    """Top-level import statements only; a statement left without names goes, its comments stay."""

    def __init__(self, drop: set):
        super().__init__()
        self.drop = drop

    def visit_Module(self, node) -> bool:
        return False

    def leave_Module(self, original, updated):
        body, carried = [], None
        for stmt in updated.body:
            new = self._statement(stmt) if isinstance(stmt, cst.SimpleStatementLine) else stmt
            if new is None:
                lines = list(stmt.leading_lines)
                carried = (carried or []) + lines
                continue
            if carried:
                comments = [ln for ln in carried if ln.comment is not None]
                own = list(new.leading_lines)
                blank = [] if own or not carried or carried[0].comment is not None else [carried[0]]
                new = new.with_changes(leading_lines=blank + comments + own if comments else (own or blank))
                carried = None
            body.append(new)
        return updated.with_changes(body=body)

    def _statement(self, line: cst.SimpleStatementLine):
        """The line without the dropped names; None when nothing is left of it."""
        body, changed = [], False
        for small in line.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                kept = [a for a in small.names if _bound_name(a, isinstance(small, cst.Import)) not in self.drop]
                if len(kept) != len(small.names):
                    changed = True
                    if not kept:
                        continue
                    last = small.names[-1]
                    if kept[-1] is not last:  # the new last name ends the list as the old last did
                        kept[-1] = kept[-1].with_changes(comma=last.comma)
                    small = small.with_changes(names=kept)
            body.append(small)
        if not changed:
            return line
        if not body:
            return None
        last = body[-1]
        if isinstance(getattr(last, "semicolon", None), cst.Semicolon):
            body[-1] = last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return line.with_changes(body=body)
