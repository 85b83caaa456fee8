"""The depth bound on bound values (``summarizer._bounded``) is measured once per shared expression and
says what walking the whole value says, whatever order the parts are first measured in."""

import random

from asynclint.model import UNKNOWN
from asynclint.summarize import summarize_source
from asynclint.summarize import summarizer
from asynclint.summarize.summarizer import MAX_EXPR_DEPTH, _bounded, _within


def walked(value: tuple, levels: int) -> bool:
    """The bound by walking the value as a tree (every path, shared parts again each time)."""
    if levels <= 0:
        return False
    return all(walked(part, levels - 1) for part in value if type(part) is tuple and part)


def nested(levels: int, leaf=("g", "x")) -> tuple:
    value = leaf
    for i in range(levels - 1):
        value = ("a", value, f"y{i}")
    return value


def test_the_bound_is_the_depth():
    summarizer._HEIGHTS.clear()
    assert _bounded(nested(MAX_EXPR_DEPTH)) == nested(MAX_EXPR_DEPTH)
    assert _bounded(nested(MAX_EXPR_DEPTH + 1)) is UNKNOWN
    assert _within(("a", (), "y"), 1) and not _within(("a", ("g", "x"), "y"), 1)


def test_shared_parts_measured_with_little_room_then_more():
    summarizer._HEIGHTS.clear()
    deep = nested(40)
    inner = ("either", deep, ("s", "k"))
    # measured first where little room is left (the walk stops), then on its own with room enough
    assert not _within(("c", nested(30, inner)), MAX_EXPR_DEPTH)
    assert _within(inner, MAX_EXPR_DEPTH)
    assert not _within(inner, 40) and _within(inner, 41)  # (40 levels, and the "either" around them)
    assert walked(inner, 41) and not walked(inner, 40)
    summarizer._HEIGHTS.clear()


def test_random_shared_values_agree_with_walking_them():
    rng = random.Random(15)
    for _ in range(40):
        summarizer._HEIGHTS.clear()
        pool = [("g", f"n{i}") for i in range(5)] + [()]
        for _ in range(300):
            parts = [rng.choice(pool) for _ in range(rng.randint(1, 3))]
            pool.append(("either", *parts) if rng.random() < 0.5 else ("a", parts[0], "attr"))
        for value in rng.sample(pool, 60):
            levels = rng.randint(0, 80)
            assert _within(value, levels) == walked(value, levels)
    summarizer._HEIGHTS.clear()


def test_a_module_leaves_nothing_measured_behind():
    summarize_source("def f(k):\n" + "".join(f"    if k == {i}:\n        c = C{i}()\n" for i in range(50)) +
                     "    return c\n")
    assert summarizer._HEIGHTS == {}
