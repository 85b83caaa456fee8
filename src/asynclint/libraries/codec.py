"""Module summaries as JSON-compatible data, and back: the library cache holds data only.

Summaries are dataclasses holding strings, numbers, ``None``, tuples (the
expression forms), lists (call sites), dicts (some with int keys) and
frozensets (guards, noqa codes). JSON has only lists and string-keyed
objects, so everything but a tuple is tagged: a tuple is a JSON array; a
list is ``{"L": [...]}``, a frozenset ``{"S": [...]}``, a dict ``{"D": [[k, v], ...]}``
and a summary object ``{"C": "CallSite", "v": [field values in order]}``.
"""

from __future__ import annotations

import dataclasses

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
    return {"C": t.__name__, "v": [encode(getattr(obj, f)) for f in fields]}


def decode(data):
    t = type(data)
    if t is list:
        return tuple([decode(x) for x in data])
    if t is not dict:
        return data
    if "C" in data:
        cls = _CLASSES[data["C"]]
        return cls(*[decode(x) for x in data["v"]])
    if "L" in data:
        return [decode(x) for x in data["L"]]
    if "D" in data:
        return {decode(k): decode(v) for k, v in data["D"]}
    if "S" in data:
        return frozenset(decode(x) for x in data["S"])
    raise ValueError("unknown tag")
