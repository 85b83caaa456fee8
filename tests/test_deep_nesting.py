"""Every file the interpreter compiles is checked, however deep; the parser for newer syntax is bounded.

Long elif chains, method chains and sums nest the syntax tree thousands of
levels deep; they are valid Python and their blocking calls are found.  Files
too deep for the interpreter itself, or too costly for the LibCST fallback,
are reported with the reason, quickly.
"""

import os

import pytest
from click.testing import CliRunner

from asynclint.cache.summaries import decode_summary, encode_summary
from asynclint.cli import main
from asynclint.summarize import summarize_bytes, summarize_source
from asynclint.summarize.downgrade import MAX_NESTING


def elif_chain(n):
    branches = "".join(f"    elif kind == {i}:\n        time.sleep({i})\n" for i in range(1, n))
    return "import time\n\n\nasync def dispatch(kind):\n    if kind == 0:\n        time.sleep(0)\n" + branches


def method_chain(n):
    return ("import requests\n\n\nasync def fetch(url):\n"
            "    return requests.get(url)" + ".json()" * n + "\n")


def long_sum(n):
    return "import time\n\n\nasync def total(a):\n    time.sleep(1)\n    return " + " + ".join(["a"] * n) + "\n"


@pytest.mark.parametrize("name,make,n,findings", [
    ("elif330", elif_chain, 330, 330),
    ("elif2500", elif_chain, 2500, 2500),
    ("chain496", method_chain, 496, 1),
    ("chain1000", method_chain, 1000, 1),
    ("sum995", long_sum, 995, 1),
    ("sum1800", long_sum, 1800, 1),
], ids=lambda v: v if isinstance(v, str) else "")
def test_deep_but_valid_code_is_checked(project, name, make, n, findings):
    source = make(n)
    compile(source, name, "exec")  # the interpreter accepts it
    (project / f"{name}.py").write_text(source)
    for _ in range(2):  # parsed, then from the cache
        result = CliRunner().invoke(main, [f"{name}.py"], catch_exceptions=False)
        assert "could not be checked" not in result.output
        assert result.output.count(": ASL10") == findings, result.output[-500:]


def test_deep_summaries_are_shallow_and_cacheable():
    rebound = "import requests\n\n\ndef f(a):\n    x = requests.Session()\n" + "    x = x.y\n" * 600 + "    return x\n"
    either = "def f(k):\n" + "".join(f"    if k == {i}:\n        c = C{i}()\n" for i in range(700)) + "    return c\n"
    alternatives = "def f(a):\n    return " + " or ".join(f"a{i}" for i in range(1500)) + "\n"
    for source in (method_chain(1000), elif_chain(2500), rebound, either, alternatives):
        summary = summarize_source(source)
        assert decode_summary(encode_summary(summary)) == summary


def test_too_deep_for_the_interpreter_is_reported_quickly():
    nested = "x = " + "f(" * 1000 + ")" * 1000 + "\n"
    summary, err = summarize_bytes(nested.encode())
    assert summary is None and "too many nested parentheses" in err


def test_the_parser_for_newer_syntax_is_bounded_and_says_when_it_gives_up():
    pep695 = "import time\n\ntype Alias = int\n\n\nasync def f[T](x: T):\n    time.sleep(1)\n"
    summary, err = summarize_bytes(pep695.encode())
    assert err is None and summary.downgraded and summary.functions["f"].calls
    within = pep695 + "y = " + "g(" * (MAX_NESTING - 10) + ")" * (MAX_NESTING - 10) + "\n"
    summary, err = summarize_bytes(within.encode())
    assert err is None and summary.downgraded
    beyond = pep695 + "y = " + "g(" * (MAX_NESTING + 50) + ")" * (MAX_NESTING + 50) + "\n"
    summary, err = summarize_bytes(beyond.encode())
    assert summary is None and "gave up" in err
    big = pep695 + "z = 1\n" * 60_000
    summary, err = summarize_bytes(big.encode())
    assert summary is None and "not tried with the parser for newer syntax" in err


def test_a_file_given_up_on_is_reported_by_the_cli(project):
    (project / "deep.py").write_text("type A = int\nx = " + "g(" * 150 + ")" * 150 + "\n")
    result = CliRunner().invoke(main, ["deep.py", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 1 and "deep.py: error: cannot parse" in result.output
    assert os.path.exists(project / "deep.py")


def test_fix_works_on_deep_but_valid_code(project):
    (project / "chain.py").write_text("import time\n\n\nasync def f(db):\n    time.sleep(1)\n    return db" + ".f()" * 496 + "\n")
    (project / "elifs.py").write_text(elif_chain(330))
    result = CliRunner().invoke(main, ["chain.py", "elifs.py", "--fix", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 0, result.output[-800:]
    assert "Fixed 331 findings in 2 files; 0 remain." in result.stderr
    for name in ("chain.py", "elifs.py"):
        compile((project / name).read_text(), name, "exec")
