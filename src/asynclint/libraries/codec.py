"""Module summaries as plain data, and back: the library cache holds data only.

A summary becomes nested tuples, lists and dicts of strings, numbers,
booleans, ``None`` and frozensets, following the model's field order: a
``FunctionSummary`` is the tuple of its fields with its call sites, decorators
and parameters as tuples of theirs, and so on. Expressions (``model.Expr``)
already are such tuples and are stored as they are, so reading a summary back
builds only the dataclass objects, never walks its expressions: that is what
makes reading a library's cached summaries cheaper than parsing it again.

The call sites of a function (the bulk of a summary) are rebuilt the first
time the list is read (``LazyCalls``): analysis reads the calls of the few
library functions it reaches, name resolution needs the rest of a module only.
"""

from __future__ import annotations

import dataclasses

from ..model import CallSite, ClassSummary, FunctionSummary, ModuleSummary, Param


def _names(cls) -> tuple:
    return tuple(f.name for f in dataclasses.fields(cls))


_SITE, _PARAM, _FUNC, _CLASS, _MODULE = (_names(c) for c in (CallSite, Param, FunctionSummary, ClassSummary,
                                                             ModuleSummary))
# part of the cache key: a changed model never reads old entries
SCHEMA = (_SITE, _PARAM, _FUNC, _CLASS, _MODULE)
_F_DECORATORS, _F_PARAMS, _F_CALLS = _FUNC.index("decorators"), _FUNC.index("params"), _FUNC.index("calls")
_C_DECORATORS = _CLASS.index("decorators")
_M_FUNCTIONS, _M_CLASSES, _M_CALLS = _MODULE.index("functions"), _MODULE.index("classes"), _MODULE.index("module_calls")


def _site(s: CallSite) -> tuple:
    return tuple([getattr(s, f) for f in _SITE])


def _function(fn: FunctionSummary) -> tuple:
    out = [getattr(fn, f) for f in _FUNC]
    out[_F_DECORATORS] = tuple(_site(s) for s in fn.decorators)
    out[_F_PARAMS] = tuple(tuple([getattr(p, f) for f in _PARAM]) for p in fn.params)
    out[_F_CALLS] = [_site(s) for s in fn.calls]
    return tuple(out)


def _class(cls: ClassSummary) -> tuple:
    out = [getattr(cls, f) for f in _CLASS]
    out[_C_DECORATORS] = tuple(_site(s) for s in cls.decorators)
    return tuple(out)


def to_data(summary: ModuleSummary) -> tuple:
    out = [getattr(summary, f) for f in _MODULE]
    out[_M_FUNCTIONS] = {q: _function(fn) for q, fn in summary.functions.items()}
    out[_M_CLASSES] = {q: _class(c) for q, c in summary.classes.items()}
    out[_M_CALLS] = [_site(s) for s in summary.module_calls]
    return tuple(out)


class LazyCalls(list):
    """A list of call sites rebuilt from their data when first read."""

    __slots__ = ("_raw",)

    def __init__(self, raw):
        super().__init__()
        self._raw = raw

    def _load(self) -> None:
        raw = self._raw
        if raw is not None:
            self._raw = None
            list.extend(self, [CallSite(*s) for s in raw])

    def __iter__(self):
        self._load()
        return list.__iter__(self)

    def __len__(self):
        self._load()
        return list.__len__(self)

    def __getitem__(self, index):
        self._load()
        return list.__getitem__(self, index)

    def __eq__(self, other):
        self._load()
        return list.__eq__(self, other)

    __hash__ = None


def from_data(data) -> ModuleSummary:
    """The summary ``to_data`` gave this data for; TypeError/ValueError on anything else."""
    if type(data) is not tuple or len(data) != len(_MODULE):
        raise ValueError("not a module summary")
    out = list(data)
    functions = {}
    for q, t in data[_M_FUNCTIONS].items():
        f = list(t)
        f[_F_DECORATORS] = tuple([CallSite(*s) for s in t[_F_DECORATORS]])
        f[_F_PARAMS] = tuple([Param(*p) for p in t[_F_PARAMS]])
        f[_F_CALLS] = LazyCalls(t[_F_CALLS])
        functions[q] = FunctionSummary(*f)
    classes = {}
    for q, t in data[_M_CLASSES].items():
        c = list(t)
        c[_C_DECORATORS] = tuple([CallSite(*s) for s in t[_C_DECORATORS]])
        classes[q] = ClassSummary(*c)
    out[_M_FUNCTIONS], out[_M_CLASSES] = functions, classes
    out[_M_CALLS] = LazyCalls(data[_M_CALLS])
    return ModuleSummary(*out)
