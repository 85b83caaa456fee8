"""Properties over generated programs (hypothesmith), bounded to run in seconds.

- No generated program crashes the analyzer: the summary is built or the file
  is reported (never an internal error), the summary survives the cache
  codec unchanged, and linking and analysis finish.
- Fixes always compile and are fixed points: a program made of generated
  code and blocking calls in coroutines is fixed, the result compiles, and
  fixing it again changes nothing.
"""

import warnings

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from asynclint.cache.summaries import decode_summary, encode_summary  # noqa: E402
from asynclint.engine import lint_sources  # noqa: E402
from asynclint.fix import fix_source  # noqa: E402
from asynclint.model import INTERNAL_ERROR  # noqa: E402
from asynclint.summarize.collect import summarize_bytes  # noqa: E402

BOUNDED = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                   suppress_health_check=list(HealthCheck))

PRELUDE = '''\
import os
import subprocess
import time

import requests


def fetch(url):
    return requests.get(url).json()


'''

# statements that block inside a coroutine, each with a fix (safe or unsafe)
BLOCKING = [
    "time.sleep(delay)",
    "data = requests.get(url).json()",
    "fetch(url)",
    "subprocess.run(['ls'], check=True)",
    "text = open(path).read()",
    "exists = os.path.exists(path)",
    "for line in open(path):\n        print(line)",
    "with open(path) as fh:\n        fh.read()",
    "result = [requests.get(u) for u in (url,)]",
]


def _quiet():
    warnings.simplefilter("ignore")


@BOUNDED
@given(hypothesmith.from_grammar())
def test_generated_programs_never_crash_the_analyzer(source):
    _quiet()
    for text in (source, PRELUDE + source):
        summary, err = summarize_bytes(text.encode("utf-8", "surrogatepass"))
        if summary is None:
            assert not err.startswith(INTERNAL_ERROR), err
            continue
        assert decode_summary(encode_summary(summary)) == summary
        try:
            compile(text, "generated.py", "exec")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the grammar allows what the compiler refuses: summarizing it was enough
        lint_sources({"generated.py": text, "helpers.py": PRELUDE}, select_all=True)


@BOUNDED
@given(generated=hypothesmith.from_grammar(), statements=st.lists(st.sampled_from(BLOCKING), min_size=1, max_size=5),
       unsafe=st.booleans())
def test_fixes_compile_and_are_fixed_points(generated, statements, unsafe):
    _quiet()
    try:
        compile(generated, "generated.py", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)
    body = "".join(f"    {s}\n" for s in statements)
    source = f"{PRELUDE}{generated.rstrip()}\n\n\nasync def handler(url, path, delay):\n{body}"
    try:
        compile(source, "app.py", "exec")
    except SyntaxError:  # the generated code left an open block or a continuation line
        assume(False)
    diagnostics = lint_sources({"app.py": source}, select_all=True)
    fixed_text = fix_source(source, diagnostics, unsafe).text
    compile(fixed_text, "app.py", "exec")
    again = lint_sources({"app.py": fixed_text}, select_all=True)
    second = fix_source(fixed_text, again, unsafe)
    assert second.text == fixed_text and not second.fixed
