"""Summary expressions are exactly what model.EXPR_FORMS documents: every tag used is documented with
the right fields, and every documented tag is used by some fixture."""

import glob
import os

import pytest

from asynclint.model import EXPR_FORMS, SITE_KINDS
from asynclint.summarize import ParseFailure, summarize_source
from conftest import FIXTURES, ROOT


def _check(e, used: set, where: str) -> None:
    assert isinstance(e, tuple) and e and isinstance(e[0], str), f"{where}: not an expression: {e!r}"
    tag, fields = e[0], e[1:]
    assert tag in EXPR_FORMS, f"{where}: undocumented expression tag {tag!r} in {e!r}"
    used.add(tag)
    spec = EXPR_FORMS[tag][0]
    if spec == ("*expr?",):
        for x in fields:
            if x is not None:
                _check(x, used, where)
        return
    assert len(fields) == len(spec), f"{where}: {tag!r} has {len(fields)} fields, documented {len(spec)}: {e!r}"
    for kind, x in zip(spec, fields):
        if kind == "str":
            assert isinstance(x, str), f"{where}: {e!r}"
        elif kind == "int":
            assert isinstance(x, int), f"{where}: {e!r}"
        elif kind == "literal":
            assert x is None or isinstance(x, (bool, int, float)), f"{where}: {e!r}"
        elif kind == "passed?":
            assert x is None or (isinstance(x, tuple) and len(x) == 4 and isinstance(x[0], int)
                                 and all(isinstance(k, str) for k in x[1])), f"{where}: {e!r}"
            if x is not None:
                for y in x[2] + x[3]:
                    if y is not None:
                        _check(y, used, where)
        elif kind == "strs":
            assert isinstance(x, tuple) and all(isinstance(y, str) for y in x), f"{where}: {e!r}"
        elif kind == "expr" or kind == "expr?" and x is not None:
            _check(x, used, where)
        elif kind == "exprs?":
            for y in x:
                if y is not None:
                    _check(y, used, where)
        elif kind == "kwexprs?":
            for k, y in x:
                assert isinstance(k, str), f"{where}: {e!r}"
                if y is not None:
                    _check(y, used, where)


def _sites(summary):
    yield from summary.module_calls
    for fn in summary.functions.values():
        yield from fn.calls
        yield from fn.decorators


def _expressions(summary):
    yield from summary.globals.values()
    yield from summary.star_imports
    for site in _sites(summary):
        yield site.callee
        yield from (a for a in site.args if a is not None)
        yield from (v for _, v in site.kwargs if v is not None)
    for fn in summary.functions.values():
        yield from fn.returns
        for p in fn.params:
            yield from (e for e in (p.annotation, p.default) if e is not None)
        if fn.return_annotation is not None:
            yield fn.return_annotation
    for cls in summary.classes.values():
        yield from cls.bases
        for values in cls.attrs.values():
            yield from values


def test_every_expression_of_the_fixtures_has_a_documented_form():
    files = glob.glob(os.path.join(FIXTURES, "**", "*.py"), recursive=True)
    files += glob.glob(os.path.join(ROOT, "examples", "**", "*.py"), recursive=True)
    used, kinds = set(), set()
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        try:
            summary = summarize_source(text)
        except (ParseFailure, RecursionError):
            continue
        for e in _expressions(summary):
            _check(e, used, os.path.relpath(path, ROOT))
        kinds |= {s.kind for s in _sites(summary)}
    assert kinds == set(SITE_KINDS)
    assert used == set(EXPR_FORMS), f"documented but never produced: {set(EXPR_FORMS) - used}"


@pytest.mark.parametrize("source, tag", [
    ("import a.b as c\nx = c", "m"),
    ("from ..pkg import mod\n", "r"),
    ("class A:\n    def f(self):\n        return super().f()\n", "sup"),
    ("def f(x):\n    x = x.strip('/')\n    return x\n", "derive"),
    ("from typing import cast\ndef f(x):\n    return cast('Transport', x)\n", "cast"),
    ("import typing as t\ndef f(x):\n    return t.cast(Transport, x)\n", "cast"),
    ("def f(name):\n    label = f'{name}!'\n    return show(label)\n", "text"),
    ("def f(name):\n    return show(f'{name}!')\n", "text"),
])
def test_small_sources_produce_the_documented_tag(source, tag):
    summary = summarize_source(source)
    used = set()
    for e in _expressions(summary):
        _check(e, used, "snippet")
    assert tag in used


def test_only_typing_cast_is_read_as_a_cast():
    """``typing.cast(T, x)`` is an instance of ``T`` (else ``x``); a project function that happens to be
    named ``cast`` is called as any other."""
    typed = summarize_source("from typing import cast\ndef f(x):\n    return cast('Transport', x)\n")
    assert typed.functions["f"].returns == (("cast", ("i", ("g", "Transport")), ("p", "x")),)
    own = summarize_source("def cast(kind, v):\n    return v\ndef f(x):\n    return cast(int, x)\n")
    assert own.functions["f"].returns[0][0] == "c"
