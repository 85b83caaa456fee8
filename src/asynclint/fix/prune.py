"""Imports a fix made unused: ``import time`` once ``time.sleep(1)`` became ``await asyncio.sleep(1)``.

An import is dropped when the original text used the name it binds and the
fixed text no longer does, in the scope it binds it in: the module for a
top-level import (a parameter or a local named ``time`` elsewhere is not a
use of the module), the function for one inside a function. Uses are counted
as pyflakes counts them: names read, string annotations, ``__all__``. An
import that was unused before the fix is not the fix's business and stays;
so does one still used, in any way, after it.
"""

from __future__ import annotations

import ast
from typing import Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def names_made_unused(before: str, after: str) -> dict:
    """{line of an import statement in ``after``: names of it to drop}."""
    old, new = _parse(before), _parse(after)
    if old is None or new is None:
        return {}
    used_before = {key: used for key, _, used in _imports(old)}
    out: dict = {}
    for key, line, used in _imports(new):
        if not used and used_before.get(key):
            out.setdefault(line, set()).add(key[1])
    return out


def prune_chunk(code: str, drop: dict, config) -> str:
    """``code`` (a module) without the names ``drop`` ({line in ``code``: names}) in its imports."""
    if not drop:
        return code
    wrapper = MetadataWrapper(cst.parse_module(code, config=config), unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    return wrapper.module.visit(_Prune(drop, positions)).code


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


def _imports(tree: ast.Module) -> list:
    """[((scope, name, what it imports), line, used in its scope)] for every import's every name."""
    out = []
    module_uses = _module_uses(tree)

    def walk(node, scope: tuple, uses: Optional[set]):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for alias in child.names:
                    if alias.name == "*" or (isinstance(child, ast.ImportFrom) and child.module == "__future__"):
                        continue
                    name = alias.asname or (alias.name.split(".")[0] if isinstance(child, ast.Import) else alias.name)
                    what = f"{'.' * getattr(child, 'level', 0)}{getattr(child, 'module', '') or ''}:{alias.name}"
                    used = (name in module_uses) if uses is None else (name in uses)
                    out.append(((scope, name, what), child.lineno, used))
            elif isinstance(child, _FUNCTIONS):
                walk(child, scope + (child.name,), _loads(child))
            elif isinstance(child, ast.ClassDef):
                walk(child, scope + (child.name,), uses)
            else:
                walk(child, scope, uses)

    walk(tree, (), None)
    return out


def _loads(node) -> set:
    """Every name read in ``node`` (nested scopes included: they may read the function's names)."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store):
            out.add(n.id)
    _annotation_names(node, out)
    return out


def _module_uses(tree: ast.Module) -> set:
    """Names read that refer to the module's globals: a name a function binds locally (a parameter,
    an assignment, a loop variable) and reads there is not a use of the module's."""
    out: set = set()

    def visit(node, local: frozenset):
        if isinstance(node, (*_FUNCTIONS, ast.Lambda)):
            for expr in _outer_parts(node):
                if expr is not None:
                    visit(expr, local)
            inner = local | _bound_in(node)
            for stmt in node.body if isinstance(node.body, list) else [node.body]:
                visit(stmt, inner)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            local = local | {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store) and node.id not in local:
            out.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, local)

    visit(tree, frozenset())
    _annotation_names(tree, out)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                out |= {e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return out


def _outer_parts(fn) -> list:
    """What a function's definition evaluates in the enclosing scope: decorators, defaults, annotations."""
    args = fn.args
    parts = list(args.defaults) + [d for d in args.kw_defaults if d is not None]
    if isinstance(fn, _FUNCTIONS):
        parts += list(fn.decorator_list) + [fn.returns]
        parts += [a.annotation for a in args.posonlyargs + args.args + args.kwonlyargs if a.annotation is not None]
        parts += [a.annotation for a in (args.vararg, args.kwarg) if a is not None and a.annotation is not None]
    return parts


def _bound_in(fn) -> frozenset:
    """Names a function binds locally (not declared global)."""
    args = fn.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    declared = set()
    stack = list(fn.body) if isinstance(fn.body, list) else [fn.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            declared |= set(node.names)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            names.add(node.name)
            continue  # its body is its own scope
        elif isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(names - declared)


def _annotation_names(tree, out: set) -> None:
    """Names in string annotations (``x: "time.struct_time"``)."""
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, _FUNCTIONS) and node.returns is not None:
            annotations.append(node.returns)
        for annotation in annotations:
            for n in ast.walk(annotation):
                if isinstance(n, ast.Constant) and isinstance(n.value, str):
                    try:
                        inner = ast.parse(n.value, mode="eval")
                    except (SyntaxError, ValueError):
                        continue
                    out |= {x.id for x in ast.walk(inner) if isinstance(x, ast.Name)}


def _bound_name(alias: cst.ImportAlias, plain: bool) -> Optional[str]:
    if alias.asname is not None:
        return alias.asname.name.value if isinstance(alias.asname.name, cst.Name) else None
    node = alias.name
    if plain:  # import a.b binds a
        while isinstance(node, cst.Attribute):
            node = node.value
    return node.value if isinstance(node, cst.Name) else None


class _Prune(cst.CSTTransformer):
    """Drops names from the import statements on the lines given; a statement left without names goes
    (its comments stay with the next one), a block left empty gets a ``pass``."""

    def __init__(self, drop: dict, positions):
        super().__init__()
        self.drop = drop
        self.positions = positions

    def leave_Module(self, original, updated):
        return updated.with_changes(body=self._body(original.body, updated.body))

    def leave_IndentedBlock(self, original, updated):
        body = self._body(original.body, updated.body)
        if not body:
            body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return updated.with_changes(body=body)

    def _body(self, originals, statements) -> list:
        body, carried = [], None
        for original, stmt in zip(originals, statements):
            new = self._statement(original, stmt) if isinstance(stmt, cst.SimpleStatementLine) else stmt
            if new is None:
                carried = (carried or []) + list(stmt.leading_lines)
                continue
            if carried:
                comments = [ln for ln in carried if ln.comment is not None]
                own = list(new.leading_lines)
                blank = [] if own or carried[0].comment is not None else [carried[0]]
                new = new.with_changes(leading_lines=blank + comments + own if comments else (own or blank))
                carried = None
            body.append(new)
        return body

    def _statement(self, original: cst.SimpleStatementLine, line: cst.SimpleStatementLine):
        """The line without the dropped names; None when nothing is left of it."""
        body, changed = [], False
        for small_original, small in zip(original.body, line.body):
            drop = set()
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                drop = self.drop.get(self.positions[small_original].start.line, set())
            if drop:
                kept = [a for a in small.names if _bound_name(a, isinstance(small, cst.Import)) not in drop]
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
