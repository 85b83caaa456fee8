"""What an object a method is called on holds, when it was built with known arguments.

A class that does its I/O only when it was given a file::

    class Logger:
        def __init__(self, log_file=None, verbose=True):
            self.log_file = log_file
        def info(self, msg):
            if self.log_file:
                with open(self.log_file, "a") as f: ...

blocks in ``info`` under the guard ``self.log_file`` (``conditions``). A call ``logger.info(...)``
on a module global ``logger = Logger(verbose=True)``, or on ``self.logger`` that every class it may
be stored in sets to ``Logger()`` and nothing else, runs on an object whose ``log_file`` is the
constructor's default: None, so the file is never opened. ``held(...)`` gives, for such a call, the
literal an attribute of the receiver holds, when all of these are known:

- the receiver is one object built at one place: a module global bound once, at the top of its
  module, to a call of a project class (no function rebinds it: ``global`` writes make it
  ``either``), or ``self.attr`` whose only store, in the class and in every class it may be an
  instance of (its bases and subclasses), is such a call;
- in that class (its MRO), the attribute is stored once, from the constructor's parameter of the
  same position, ``self.attr = param``, and no method of the class takes a parameter of that name
  (a setter ``def reopen(self, path): self.path = path`` may change it later);
- the call passes that parameter as a literal, or leaves it at a literal default, with nothing
  unpacked into the call (``*args``, ``**kw``) that could pass it.

Anything else is "not known", and the guard may hold. A store from outside the class
(``logger.log_file = path``) is not seen.
"""

from __future__ import annotations

from typing import Optional

from ..link import Project
from ..link.values import Sym
from .conditions import parameter_name

_LITERALS = ("s", "k")


def held(project: Project, site, mod, attr: str):
    """The literal expression (``("k", None)``, ``("s", "x")``) that ``attr`` of the receiver of the
    bound method call ``site`` (written in the module ``mod``) holds, or None when not known."""
    if "." in attr or site.callee[0] != "a":
        return None
    found = built(project, site.callee[1], mod)
    if found is None:
        return None
    call, where = found
    v = project.values.callee_value(call[1], where)
    if type(v) is not Sym:
        return None
    cls = project.classes.get(v.name)
    if cls is None or cls[0].library:
        return None
    return _argument(project, v.name, call, attr)


def built(project: Project, e, mod, depth: int = 0) -> Optional[tuple]:
    """The one constructor call expression the object ``e`` is, and the module it is written in."""
    if e is None or depth > 4:
        return None
    kind = e[0]
    if kind in ("g", "m", "r"):
        found = project.values.origin(e, mod)
        if found is None:
            return None
        info = project.modules.get(found[0])
        if info is None or info.library:
            return None
        g = info.summary.globals.get(found[1])
        if g is None or g[0] != "c":
            return None
        made = [s for s in info.summary.module_calls if s.target == found[1]]
        if len(made) > 1:
            return None  # bound at more than one place at the top of its module
        return g, info
    if kind == "a" and e[1][0] == "self":
        owner = f"{mod.name}.{e[1][1]}"
        if owner not in project.classes:
            return None
        h = project.hierarchy
        stores = []
        for q in dict.fromkeys((*h.mro(owner), *h.subclasses(owner))):
            entry = project.classes.get(q)
            if entry is not None:
                stores += [(x, entry[0]) for x in entry[1].attrs.get(e[2], ())]
        if len(stores) != 1 or stores[0][0][0] != "c":
            return None
        return stores[0]
    return None


def _argument(project: Project, cls_q: str, call, attr: str):
    """The literal ``attr`` holds in an instance of ``cls_q`` made by ``call`` (a "c" expression)."""
    h = project.hierarchy
    init = h.find_method(cls_q, "__init__")
    if init is None:
        return None
    stores = []
    for q in h.mro(cls_q):
        entry = project.classes.get(q)
        if entry is not None:
            stores += entry[1].attrs.get(attr, ())
    name = parameter_name(stores[0]) if len(stores) == 1 else None
    if name is None:
        return None
    owner = init.rpartition(".")[0]
    if owner not in project.classes or attr not in project.classes[owner][1].attrs:
        return None  # stored by another class of the MRO than the one whose __init__ runs
    fns = project.functions
    for q in h.mro(cls_q):
        entry = project.classes.get(q)
        if entry is None:
            continue
        for m in entry[1].methods:
            fq = f"{q}.{m}"
            if fq != init and fq in fns and any(p.name == name for p in fns[fq].summary.params):
                return None  # another method may store a new value from a parameter of that name
    params = fns[init].summary.params
    positional = [p for p in params if p.kind == "pos"][1:]
    param = next((p for p in params[1:] if p.name == name and p.kind in ("pos", "kwonly")), None)
    if param is None:
        return None
    passed = call[3] if len(call) > 3 else None
    if passed is None:
        value = param.default  # called with no arguments
    else:
        npos, keywords, rest, kwvalues = passed
        if "**" in keywords:
            return None
        if name in keywords:
            i = keywords.index(name)
            value = kwvalues[i] if i < len(kwvalues) else None
        else:
            index = next((i for i, p in enumerate(positional) if p is param), None)
            # what each positional argument is, when known (None: not a literal, or ``*args``)
            given = [call[2] if call[2] is not None and call[2][0] in _LITERALS else None, *rest]
            if index is not None and index < npos:
                value = given[index] if index < len(given) else None
            elif npos and (len(given) < npos or any(g is None for g in given[:npos])):
                return None  # an argument not known may be ``*args`` reaching the parameter
            else:
                value = param.default
    if value is None or value[0] not in _LITERALS:
        return None
    return value
