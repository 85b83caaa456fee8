"""Module summaries as JSON-compatible data, and back: the library cache holds data only.

Summaries are dataclasses holding strings, numbers, ``None``, tuples (the
expression forms), lists (call sites), dicts (some with int keys) and
frozensets (guards, noqa codes). JSON has only lists and string-keyed
objects, so everything but a tuple is tagged: a tuple is a JSON array; a
list is ``{"L": [...]}``, a frozenset ``{"S": [...]}``, a dict ``{"D": [[k, v], ...]}``
and a summary object ``{"C": "CallSite", "v": [field values in order]}``.

The call sites of a function (the bulk of a summary) are kept as a JSON text
of their own (``{"J": "..."}``) and decoded the first time the list is read:
analysis reads the calls of the few library functions it reaches, while
name resolution needs the rest of a module only.
"""

from __future__ import annotations

import dataclasses
import json

from ..model import CallSite, ClassSummary, FunctionSummary, ModuleSummary, Param

_CLASSES = {c.__name__: c for c in (CallSite, Param, FunctionSummary, ClassSummary, ModuleSummary)}
_FIELDS = {c: tuple(f.name for f in dataclasses.fields(c)) for c in _CLASSES.values()}
# part of the cache key: a changed model never reads old entries
SCHEMA = tuple((name, _FIELDS[c]) for name, c in sorted(_CLASSES.items()))


class NotEncodable(Exception):
    pass


def encode(obj):
    t = type(obj)
    if obj is None or t is str or t is int or t is bool or t is float:
        return obj
    if t is tuple:
        return [encode(x) for x in obj]
    if t is list:
        return {"L": [encode(x) for x in obj]}
    if t is dict:
        return {"D": [[encode(k), encode(v)] for k, v in obj.items()]}
    if t is frozenset:
        return {"S": sorted((encode(x) for x in obj), key=repr)}
    fields = _FIELDS.get(t)
    if fields is None:
        raise NotEncodable(t.__name__)
    return {"C": t.__name__, "v": [_calls(getattr(obj, f)) if f in _LAZY else encode(getattr(obj, f))
                                   for f in fields]}


_LAZY = ("calls", "module_calls")


def _calls(sites: list):
    return {"J": json.dumps(encode(list(sites)), separators=(",", ":"))}


class LazyCalls(list):
    """A list of call sites decoded from its JSON text when first read."""

    __slots__ = ("_raw",)

    def __init__(self, raw: str):
        super().__init__()
        self._raw = raw

    def _load(self) -> None:
        raw = self._raw
        if raw is not None:
            self._raw = None
            list.extend(self, decode(json.loads(raw)))

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


_LEAF = frozenset({str, int, float, bool, type(None)})


def decode(data):
    t = type(data)
    if t is list:
        return tuple([x if type(x) in _LEAF else decode(x) for x in data])
    if t is not dict:
        return data
    if "C" in data:
        cls = _CLASSES[data["C"]]
        return cls(*[x if type(x) in _LEAF else decode(x) for x in data["v"]])
    if "J" in data:
        return LazyCalls(data["J"])
    if "L" in data:
        return [decode(x) for x in data["L"]]
    if "D" in data:
        return {decode(k): decode(v) for k, v in data["D"]}
    if "S" in data:
        return frozenset(decode(x) for x in data["S"])
    raise ValueError("unknown tag")
