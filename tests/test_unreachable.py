"""Statements that never run are not summarised (tests/fixtures/direct/unreachable.py shows what
that changes in findings), but a yield among them still makes a generator."""

from asynclint.summarize import summarize_source


def test_statements_after_a_jump_or_in_a_branch_never_taken_have_no_call_sites():
    summary = summarize_source(
        "import time\n\n\ndef f(x):\n    if True:\n        return x\n    time.sleep(1)\n\n\n"
        "def g(x):\n    if 0:\n        time.sleep(1)\n    else:\n        x.close()\n    return x\n")
    assert [s.line for s in summary.functions["f"].calls] == []
    assert [s.line for s in summary.functions["g"].calls] == [14]


def test_a_yield_after_return_still_makes_a_generator():
    summary = summarize_source("def empty():\n    return\n    yield\n\n\ndef plain():\n    return 1\n")
    assert summary.functions["empty"].is_generator
    assert not summary.functions["plain"].is_generator
