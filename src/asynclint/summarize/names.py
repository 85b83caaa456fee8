"""The names a call site mentions, as whole-project passes look for the uses of a function.

A function is used where a call site calls it or hands it on: its name occurs
in the site's callee or in an argument or keyword (``main``, ``worker.main``,
``self.run``). The callees of calls written inside an argument are sites of
their own; string literals name nothing.
"""

from __future__ import annotations


def names_in(exprs) -> set:
    """The names in summary expressions ``exprs``: each as written and, for a dotted one, its last part."""
    found: set = set()
    _collect(exprs, found, set())
    return found


def _collect(exprs, found: set, seen: set) -> None:
    """Adds the names in ``exprs`` to ``found``. A value merged across branches shares its parts: each
    part is gone through once (``seen``: the ids of those gone through; ``exprs`` keeps them alive)."""
    stack = list(exprs)
    pop, extend = stack.pop, stack.extend
    while stack:
        e = pop()
        t = type(e)
        if t is tuple:
            if not e or id(e) in seen:
                continue
            seen.add(id(e))
            head = e[0]
            if head == "c":
                extend(e[2:])  # a call written inside: its first argument and what it keeps of the others
            elif head != "s":
                extend(e[1:])
        elif t is str:
            found.add(e)
            if "." in e:
                found.add(e.rpartition(".")[2])


def handed(site) -> set:
    """The names in what a call site hands on: its arguments and keywords."""
    if not site.args and not site.kwargs:
        return set()
    return names_in((*site.args, *(v for _, v in site.kwargs)))


def called(site) -> set:
    return names_in((site.callee,))


def mentioned(summary) -> frozenset:
    """Every name the call sites of a module (its functions' and its top level's) mention: the union of
    their ``handed`` and ``called`` names."""
    exprs: list = []
    add, extend = exprs.append, exprs.extend
    for sites in (summary.module_calls, *(f.calls for f in summary.functions.values())):
        for site in sites:
            add(site.callee)
            extend(site.args)
            extend(v for _, v in site.kwargs)
    out: set = set()
    _collect(exprs, out, set())
    return frozenset(out)
