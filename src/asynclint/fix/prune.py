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
import re
from typing import Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .layout import parse_quietly

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def names_made_unused(before: str, after: str, old_tree: Optional[ast.Module] = None) -> dict:
    """{line of an import statement in ``after``: names of it to drop}. ``old_tree``: ``before``
    parsed with ``ast.parse``, when the caller has it.

    What a module's code reads is the union of what each of its statements reads (and each class
    body's: a class is no scope of its own here), and a fix rewrites a few functions of a file: so
    the statements alike in both texts are looked into only for a name that the changed ones read
    before and no longer do, and only those whose text holds the name."""
    old = _Survey(before, (old_tree, False) if old_tree is not None else _parse(before))
    new = _Survey(after, _parse(after))
    if old.tree is None or new.tree is None:
        return {}
    common = []  # the statements alike in both (the new text's)
    if old.plain and new.plain:
        for key, unit in new.units.items():
            twin = old.units.get(key)
            if twin is not None:
                twin.common = unit.common = True
                common.append(unit)
    last_old: dict = {}
    count_old: dict = {}
    for entry in old.entries:
        last_old[entry[0]] = entry
        count_old[entry[0]] = count_old.get(entry[0], 0) + 1
    read_by_common: dict = {}

    def module_reads(survey: _Survey, name: str) -> bool:
        if name in survey.changed_reads():
            return True
        if name not in read_by_common:
            written = _written(name)
            read_by_common[name] = any(u.reads(name, written) for u in common)
        return read_by_common[name]

    out: dict = {}
    for key, line, fn, unit in new.entries:
        o = last_old.get(key)
        if o is None:
            continue
        name = key[1]
        if fn is None and o[2] is None:  # both read in the module's scope
            if name not in old.changed_reads() or name in new.changed_reads() or module_reads(new, name):
                continue
        else:
            if fn is not None and unit.common and count_old[key] == 1:
                continue  # a statement alike in both texts, and its import the one of that key: as used as before
            used_now = name in new.loads(fn) if fn is not None else module_reads(new, name)
            if used_now or not (name in old.loads(o[2]) if o[2] is not None else module_reads(old, name)):
                continue
        out.setdefault(line, set()).add(name)
    return out


def prune_chunk(code: str, drop: dict, config) -> str:
    """``code`` (a module) without the names ``drop`` ({line in ``code``: names}) in its imports."""
    if not drop:
        return code
    wrapper = MetadataWrapper(cst.parse_module(code, config=config), unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    return wrapper.module.visit(_Prune(drop, positions)).code


def _parse(text: str) -> Optional[tuple]:
    """(the tree, whether it was lowered from syntax newer than this interpreter) or None."""
    try:
        return parse_quietly(text), False
    except SyntaxError as exc:  # syntax newer than this interpreter: lowered, as the summarizer does
        from ..summarize.downgrade import lower_to_ast

        try:
            return lower_to_ast(text, exc), True
        except Exception:
            return None
    except (ValueError, RecursionError, MemoryError):
        return None


class _Unit:
    """One statement of the module or of a class body (or a class's decorators and bases)."""

    __slots__ = ("nodes", "text", "top", "common", "_reads")

    def __init__(self, nodes: list, text: str, top: bool):
        self.nodes = nodes
        self.text = text  # its lines ("" for a class's header, never alike)
        self.top = top  # a statement of the module itself (where ``__all__`` counts)
        self.common = False  # alike in both texts
        self._reads: Optional[set] = None

    def all_reads(self) -> set:
        """The names it reads in the module's scope (see ``_reads_in``)."""
        if self._reads is None:
            self._reads = _reads_in(self.nodes, self.top)
        return self._reads

    def reads(self, name: str, written) -> bool:
        """Does it read ``name``? ``written``: ``_written(name)``."""
        if self._reads is None and self.text and self.text.isascii() and "\\" not in self.text \
                and not written.search(self.text):
            return False  # the name is nowhere in its text
        return name in self.all_reads()


# what ends a string literal and starts the next one (implicit concatenation: "ti" "me" is "time")
_GAP = r"""(?:['"](?:\s|#[^\r\n]*)*[rRbBuUfF]{0,2}['"])*"""


def _written(name: str):
    """A pattern found in a statement's text wherever the statement may read ``name``: the name, also
    spread over adjacent string literals (a string annotation's value). Escapes and non-ASCII
    names (normalized) are not looked for: a text with either is always looked into."""
    return re.compile(_GAP.join(map(re.escape, name)))


class _Survey:
    """One text's statements (``units``, by what makes them alike: where they are and their text) and
    import names (``entries``: (key, line, innermost function or None, unit))."""

    def __init__(self, text: str, parsed):
        self.tree, lowered = parsed if parsed is not None else (None, False)
        self.plain = not lowered  # positions are the text's own
        self.units: dict = {}
        self.entries: list = []
        self._loads: dict = {}
        self._changed: Optional[set] = None
        if self.tree is not None:
            self._lines = _LINE.findall(text)  # as ``ast`` counts lines
            self._body(self.tree.body, (), True)

    def _body(self, stmts, scope: tuple, top: bool) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.ClassDef):
                header = [*stmt.decorator_list, *stmt.bases, *stmt.keywords, *getattr(stmt, "type_params", ())]
                self.units[object()] = _Unit(header, "", top)  # (never alike: its text is not kept)
                self._body(stmt.body, scope + (stmt.name,), False)
                continue
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())])
            text = "".join(self._lines[first - 1:stmt.end_lineno])
            key = (scope, top, stmt.col_offset, stmt.end_col_offset, text)
            unit = self.units.get(key)
            if unit is None:
                unit = self.units[key] = _Unit([stmt], text, top)
            else:  # the same statement twice at one place (``x = 1; x = 1``): one unit, both read
                unit.nodes.append(stmt)
            self._imports(stmt, scope, None, unit)

    def _imports(self, node, scope: tuple, fn, unit: _Unit) -> None:
        """The import names of statement ``node`` and the statements inside it."""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*" or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                    continue
                name = alias.asname or (alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name)
                what = f"{'.' * getattr(node, 'level', 0)}{getattr(node, 'module', '') or ''}:{alias.name}"
                self.entries.append(((scope, name, what), node.lineno, fn, unit))
            return
        if isinstance(node, _FUNCTIONS):
            scope, fn = scope + (node.name,), node
        elif isinstance(node, ast.ClassDef):
            scope = scope + (node.name,)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.stmt, ast.excepthandler)):
                self._imports(child, scope, fn, unit)
            elif isinstance(child, ast.match_case):
                for stmt in child.body:
                    self._imports(stmt, scope, fn, unit)

    def loads(self, fn) -> set:
        got = self._loads.get(id(fn))
        if got is None:
            got = self._loads[id(fn)] = _loads(fn)
        return got

    def changed_reads(self) -> set:
        """What the statements not alike in the other text read in the module's scope."""
        if self._changed is None:
            self._changed = set()
            for unit in self.units.values():
                if not unit.common:
                    self._changed |= unit.all_reads()
        return self._changed


def _loads(node) -> set:
    """Every name read in ``node`` (nested scopes included: they may read the function's names)."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store):
            out.add(n.id)
    _annotation_names(node, out)
    return out


def _reads_in(nodes: list, top: bool) -> set:
    """Names read that refer to the module's globals: a name a function binds locally (a parameter,
    an assignment, a loop variable) and reads there is not a use of the module's. ``nodes``: statements
    of the module (``top``) or of a class body, or a class's header; string annotations and the
    module's ``__all__`` count."""
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

    for node in nodes:
        visit(node, frozenset())
        _annotation_names(node, out)
        if top and isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                        for t in node.targets):
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
