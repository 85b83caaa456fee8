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
  ``either``), ``self.attr`` (or ``Registry.attr``, an attribute of a project class itself) whose
  only store, in the class and in every class it may be an instance of (its bases and
  subclasses), is such a call, or the call itself (``Dependency(pkg).has()``);
- in that class (its MRO), the attribute is stored once, from the constructor's parameter of the
  same position, ``self.attr = param``, and no method of the class takes a parameter of that name
  (a setter ``def reopen(self, path): self.path = path`` may change it later); or the class is a
  ``@dataclass`` of no base class whose ``__init__`` the decorator writes, and the attribute is a
  field of it with a literal default (``min_version: str | None = None``), stored nowhere else,
  in a class none of whose methods stores attributes by name (``setattr``);
- the call passes that parameter as a literal, or leaves it at a literal default, with nothing
  unpacked into the call (``*args``, ``**kw``) that could pass it. (A dataclass's fields take the
  positional arguments in the order the class body annotates them; the summary writes
  ``x: ClassVar[T]`` as it writes a field ``x: T``, so that order is counted on only in a module
  that cannot name ``ClassVar``, and a ``field(init=False)`` before it makes it not known.)

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
    if project.hierarchy.find_method(v.name, "__init__") is None:
        return _field(project, v.name, call, attr)
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
    if kind == "c":
        return e, mod  # built right there: ``Client(timeout=5).fetch()``
    if kind == "a" and e[1][0] in ("self", "cls", "g", "m", "r", "a"):
        if e[1][0] in ("self", "cls"):
            owner = f"{mod.name}.{e[1][1]}"
        else:
            # ``Registry.client``: an attribute of a project class itself, bound in its body
            v = project.values.ev(e[1], mod)
            owner = v.name if type(v) is Sym else None
        if owner not in project.classes or project.classes[owner][0].library:
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


# what the ``@dataclass`` decorator is, by the names code imports it under
_DATACLASS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass"})
# an annotation that may be ``ClassVar[...]``, which the summary writes as the class it wraps
_CLASSVAR_SPELLINGS = frozenset({"typing", "typing_extensions", "typing.ClassVar", "typing_extensions.ClassVar"})


def _field(project: Project, cls_q: str, call, attr: str):
    """The literal ``attr`` holds in an instance of the dataclass ``cls_q`` made by ``call``, whose
    ``__init__`` the decorator writes: one parameter per field, in the order the class body annotates
    them. The attribute must be a field of the class's own body with a literal default (``x: str |
    None = None``) stored nowhere else, and the call must pass it by keyword or leave it out: its
    positional arguments, none of them unpacked, no more than the fields annotated before it (each of
    them takes one, unless it is a ``ClassVar``, which the summary does not tell from a field: a
    module that can name ``ClassVar`` is not counted on)."""
    entry = project.classes[cls_q]
    info, summary = entry
    if summary.bases or not any(_is_dataclass(project, d, info) for d in summary.decorators):
        return None  # fields a base class adds come first
    stores = summary.attrs.get(attr, ())
    if len(stores) != 1 or stores[0][0] != "alt" or stores[0][1][0] not in ("i", "opt") \
            or stores[0][2][0] not in _LITERALS:
        return None
    fns = project.functions
    for m in summary.methods:
        fq = f"{cls_q}.{m}"
        if fq in fns and any(_stores_by_name(site.callee) for site in fns[fq].summary.calls):
            return None  # ``setattr(self, name, value)``: a store the attributes do not list
    passed = call[3] if len(call) > 3 else None
    if passed is None:
        return stores[0][2]  # called with no arguments
    npos, keywords, rest, _ = passed
    if "**" in keywords:
        return None
    if attr in keywords:
        value = _keyword(passed, attr)
        return value if value is not None and value[0] in _LITERALS else None
    if npos:
        # (the first argument is written out unless it is ``*args``; another is when a literal or a
        # named constant)
        given = [call[2], *rest]
        if len(given) < npos or any(g is None for g in given[:npos]):
            return None  # an argument not known may be ``*args``
        globals_ = info.summary.globals
        if info.summary.star_imports or any(
                type(g) is tuple and g[0] == "m" and g[1] in _CLASSVAR_SPELLINGS for g in globals_.values()):
            return None
        before = 0
        for name, exprs in summary.attrs.items():
            if name == attr:
                break
            first = exprs[0]
            if first[0] == "alt" and first[1][0] in ("i", "opt"):
                if first[2][0] == "c" and "init" in ((first[2][3] or (0, ()))[1] if len(first[2]) > 3 else ()):
                    return None  # field(init=False) takes no argument
                before += 1
            elif first[0] in ("i", "opt"):
                before += 1
        if npos > before:
            return None
    return stores[0][2]


def _keyword(passed, name: str):
    """The expression a call (``passed``: what the summary keeps of its arguments) passes as keyword
    ``name``, which it passes; None when it is not a simple one."""
    keywords, values = passed[1], passed[3]
    i = keywords.index(name)
    return values[i] if i < len(values) else None


def _stores_by_name(callee) -> bool:
    """Does a call to ``callee`` store an attribute named at run time (``setattr(self, k, v)``,
    ``object.__setattr__(self, k, v)`` in a frozen dataclass, ``self.__dict__.update(...)``)?"""
    if callee[0] == "g":
        return callee[1] == "setattr"
    if callee[0] == "a":
        return callee[2] == "__setattr__" or callee[1][0] == "a" and callee[1][2] == "__dict__"
    return False


def _is_dataclass(project: Project, site, info) -> bool:
    """Is the class decorator ``site`` ``@dataclass`` (or ``@dataclass(...)``) writing an ``__init__``?"""
    v = project.values.callee_value(site.callee, info)
    if type(v) is not Sym or v.name not in _DATACLASS:
        return False
    return site.kind == "decorator-ref" or all(k != "init" and k != "**" for k, _ in site.kwargs)


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
        npos, keywords, rest, _ = passed
        if "**" in keywords:
            return None
        if name in keywords:
            value = _keyword(passed, name)
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
