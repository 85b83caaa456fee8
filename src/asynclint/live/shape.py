"""How far an edit of one module reaches: what of its summary the rest of the analysis reads.

Linking (``link.evaluate``: values of names, return types, class hierarchy,
routes) reads a module's names, signatures, global and class values, return
expressions and module-level calls, never what a function body calls. So
when an edit leaves ``linked_shape`` equal (the common case while typing in a
function body), every value the evaluator computed elsewhere still holds,
and only the edited module's own functions need classifying again, unless
the edit changed which functions hand a parameter to an offloader
(``offloader_sites``) or where routers are included (``route_sites``).
Positions are left out: a line inserted above shifts them all and changes
no value.
"""

from __future__ import annotations

from ..cache.lazy import is_set
from ..model import CallSite, ClassSummary, FunctionSummary, ModuleSummary, Param

# methods whose calls, anywhere in a body, declare routes or include routers (frameworks.fastapi)
ROUTE_METHODS = frozenset({"include_router", "add_api_route", "add_api_websocket_route", "add_route",
                           "add_websocket_route"})


def _site(s: CallSite) -> tuple:
    return (s.kind, s.callee, s.text, s.awaited, s.args, s.kwargs, s.target, s.guards, s.once, s.facts,
            s.body_awaits, s.in_handler, s.before_await, s.filled)


def _function(f: FunctionSummary) -> tuple:
    return (f.qualname, f.name, f.is_async, f.class_name, f.parent, tuple(_site(d) for d in f.decorators),
            f.params, f.returns, f.return_annotation, f.is_generator, f.kind, f.is_stub, f.predicate)


def _class(c: ClassSummary) -> tuple:
    return (c.qualname, c.name, c.bases, tuple(_site(d) for d in c.decorators),
            tuple(sorted(c.attrs.items())), c.methods)


def linked_shape(summary: ModuleSummary) -> tuple:
    """Everything of a summary that linking and classifying other modules can read."""
    return (tuple(summary.globals.items()), summary.star_imports,
            tuple(_function(f) for f in summary.functions.values()),
            tuple(_class(c) for c in summary.classes.values()),
            tuple(_site(s) for s in summary.module_calls))


def _passes_a_name(site: CallSite, names: frozenset) -> bool:
    for a in list(site.args) + [v for _, v in site.kwargs]:
        if a is None:
            continue
        if a[0] == "p" or a[0] == "alt" and a[2][0] == "p" or a[0] == "g" and a[1] in names:
            return True
    return False


def offloader_sites(summary: ModuleSummary) -> tuple:
    """The call sites that could make a function of this module an offloader (one that hands one of
    its parameters on to be run in a thread: ``analyze.classify._is_offloader``): those passing a
    parameter, or a name that is a parameter of some function here (a closure's outer parameter)."""
    names = frozenset(p.name for f in summary.functions.values() for p in f.params)
    return tuple((lq, tuple(_site(s) for s in f.calls if _passes_a_name(s, names)))
                 for lq, f in summary.functions.items())


def route_sites(summary: ModuleSummary) -> tuple:
    """Calls in function bodies that declare routes or include routers."""
    return tuple((lq, _site(s)) for lq, f in summary.functions.items() for s in f.calls
                 if s.kind == "call" and s.callee[0] == "a" and s.callee[2] in ROUTE_METHODS)


def expressions(summary: ModuleSummary):
    """Every expression tuple of a summary, nested ones included (what the evaluator may have memoized)."""
    stack: list = [summary]
    seen: set = set()
    while stack:
        x = stack.pop()
        if isinstance(x, tuple):
            if id(x) in seen:
                continue
            seen.add(id(x))
            yield x
            stack.extend(y for y in x if isinstance(y, (tuple, list, dict)) or hasattr(y, "__slots__"))
        elif isinstance(x, (list,)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, _SUMMARY_CLASSES):
            # by the dataclass's own fields: one a summary read from the cache still holds encoded
            # (``cache.summaries``) was never evaluated either
            base = next(c for c in _SUMMARY_CLASSES if isinstance(x, c))
            stack.extend(getattr(x, f) for f in base.__slots__ if is_set(x, f))


_SUMMARY_CLASSES = (ModuleSummary, FunctionSummary, ClassSummary, CallSite, Param)
