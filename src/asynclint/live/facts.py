"""What an edit of one module changed, said as the facts other code reads (``link.deps``).

Comparing a module's summary before and after an edit gives the *base*
facts that changed: global bindings, star imports, the linked shape of each
function (what callers read: signature, decorators, return values, kind;
not its call sites, not positions), its call sites (read by others only to
tell an offloader), and each class. The class hierarchy's own facts
(``mro``, ``meth``, ``attr``, ``sub``, ``ovr``) follow from those and from
the hierarchy before and after (``hierarchy_changes``).

Positions are never facts: a line inserted above shifts every position in
the file and changes no value; the edited module's own functions are
classified again anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..link.build import is_test_support
from ..model import CallSite, ClassSummary, FunctionSummary, ModuleSummary


# facts that no value reads: a function's call sites, a module's imports (``analyze.serving``)
NOT_VALUES = frozenset({"body", "imports"})


def site_shape(s: CallSite) -> tuple:
    """A call site without its position."""
    return (s.kind, s.callee, s.text, s.awaited, s.args, s.kwargs, s.target, s.guards, s.once, s.once_of, s.facts,
            s.body_awaits, s.in_handler)


def function_shape(f: FunctionSummary) -> tuple:
    """What the rest of the project reads of a function (callers, values, classes): not its call sites
    (``calls_shape``), not positions, not whether its own body awaits."""
    return (f.qualname, f.name, f.is_async, f.class_name, f.parent, tuple(site_shape(d) for d in f.decorators),
            f.params, f.returns, f.return_annotation, f.is_generator, f.kind, f.is_stub, f.predicate)


def calls_shape(f: FunctionSummary) -> tuple:
    return tuple(site_shape(s) for s in f.calls)


def class_shape(c: ClassSummary) -> tuple:
    """What is read of a class: its bases, decorators and attributes (its methods are functions)."""
    return (c.qualname, c.name, c.bases, tuple(site_shape(d) for d in c.decorators), tuple(sorted(c.attrs.items())))


@dataclass
class ModuleChanges:
    """The base facts an edit of one module changed, and the functions and classes behind them."""

    facts: set = field(default_factory=set)
    functions: dict = field(default_factory=dict)  # qualname -> (before, after): FunctionSummary or None
    classes: dict = field(default_factory=dict)  # qualname -> (before, after): ClassSummary or None
    names: bool = False  # functions or classes were added or removed
    top: bool = False  # the module-level code's call sites changed (beyond positions)
    calls: bool = False  # a function's call sites changed (beyond positions), or one with calls came or went

    @property
    def values(self) -> bool:
        """Did any value change (anything but call sites)?"""
        return any(f[0] not in NOT_VALUES for f in self.facts)


_EMPTY = ModuleSummary()


def module_changes(path: str, name: str, before, after) -> ModuleChanges:
    """The facts that differ between two summaries of the module at ``path`` named ``name`` (either
    may be None: a module added or removed)."""
    out = ModuleChanges()
    old, new = before or _EMPTY, after or _EMPTY
    get = dict.get
    for n in set(old.globals) | set(new.globals):
        if get(old.globals, n) != get(new.globals, n):
            out.facts.add(("g", path, n))
    if old.imports != new.imports:
        out.facts.add(("imports", path))  # (no value reads it: ``analyze.serving.program_modules`` does)
    if is_test_support(old) != is_test_support(new):
        out.facts.add(("test", path))  # (it imports pytest now, or no longer: ``Project.is_test``)
    if old.star_imports != new.star_imports:
        out.facts.add(("star", path))
    for lq in set(old.functions) | set(new.functions):
        a, b = old.functions.get(lq), new.functions.get(lq)
        q = f"{name}.{lq}"
        if a is None or b is None:
            out.names = True
            out.calls = out.calls or bool((a or b).calls)
            out.facts.add(("fn", q))
            out.facts.add(("body", q))
            out.functions[q] = (a, b)
            continue
        if function_shape(a) != function_shape(b):
            out.facts.add(("fn", q))
            out.functions[q] = (a, b)
        if calls_shape(a) != calls_shape(b):
            out.calls = True
            out.facts.add(("body", q))
    if len(old.module_calls) != len(new.module_calls) or any(
            site_shape(a) != site_shape(b) for a, b in zip(old.module_calls, new.module_calls)):
        out.top = True
    for lq in set(old.classes) | set(new.classes):
        a, b = old.classes.get(lq), new.classes.get(lq)
        if a is None or b is None or class_shape(a) != class_shape(b):
            out.names = out.names or a is None or b is None
            q = f"{name}.{lq}"
            out.facts.add(("cls", q))
            out.classes[q] = (a, b)
    return out


def hierarchy_changes(changes: ModuleChanges, name: str, subclasses_before: dict, subclasses_after: dict,
                      mro_before: dict, mro_after) -> set:
    """The hierarchy facts that follow from ``changes`` in module ``name``: which function a method
    name resolves to (``meth``) for the class and every subclass, which class assigns an attribute
    (``attr``), which subclasses define a method (``ovr``) for every base, and the subclass lists
    that differ (``sub``). ``mro_before``: class -> its MRO before the edit; ``mro_after(class)``."""
    out: set = set()

    def family(cls_q: str) -> set:
        return {cls_q} | set(subclasses_before.get(cls_q, ())) | set(subclasses_after.get(cls_q, ()))

    for q, (a, b) in changes.functions.items():
        fn = a or b
        if fn.class_name is None:
            continue
        cls_q = f"{name}.{fn.class_name}"
        method = fn.qualname[len(fn.class_name) + 1:]
        for d in family(cls_q):
            out.add(("meth", d, method))
        for base in set(mro_before.get(cls_q, ())[1:]) | set(mro_after(cls_q)[1:]):
            out.add(("ovr", base, method))
    for q, (a, b) in changes.classes.items():
        before = a.attrs if a is not None else {}
        after = b.attrs if b is not None else {}
        names = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
        if names:
            for d in family(q):
                for n in names:
                    out.add(("attr", d, n))
    for base in set(subclasses_before) | set(subclasses_after):
        if subclasses_before.get(base) != subclasses_after.get(base):
            out.add(("sub", base))
    return out
