"""``--fix``: before/after pairs, guarantees, the whole fixture tree, the CLI.

tests/fixtures/fixes/<name>/before.py is fixed (safe fixes only for names
starting with ``safe_``, safe + unsafe otherwise) and must equal after.py;
the result must compile, re-linting must not find what was fixed, and a
second run must change nothing.
"""

import collections
import os
import shutil
import stat

import pytest
from click.testing import CliRunner

from conftest import FIXTURES

from asynclint.cli import main
from asynclint.engine import Options, run
from asynclint.fix import apply_fixes
from asynclint import categories
from asynclint.fix.kinds import fix_kind
from asynclint.fix.wrap import file_line_length
from asynclint.model import Diagnostic

PAIRS = os.path.join(FIXTURES, "fixes")
REGENERATE = os.environ.get("ASYNCLINT_REGENERATE_FIXES") == "1"


def _pairs():
    if not os.path.isdir(PAIRS):
        return []
    return sorted(n for n in os.listdir(PAIRS) if os.path.isfile(os.path.join(PAIRS, n, "before.py")))


def _opts():
    return Options(select=["ASL"], use_cache=False)


def _key(d):
    return (d.code, d.api, d.function)


def _fix_once(path, unsafe):
    result = run([path], _opts())
    assert not result.errors, result.errors
    fixed = apply_fixes(result, unsafe=unsafe)
    assert not fixed.errors, fixed.errors
    return result, fixed


@pytest.mark.parametrize("name", _pairs())
def test_fix_pair(name, tmp_path):
    unsafe = not name.startswith("safe_")
    before = os.path.join(PAIRS, name, "before.py")
    after = os.path.join(PAIRS, name, "after.py")
    work = tmp_path / "app.py"
    shutil.copyfile(before, work)
    result, fixed = _fix_once(str(work), unsafe)
    got = work.read_text(encoding="utf-8")
    if REGENERATE:
        with open(after, "w", encoding="utf-8") as fh:
            fh.write(got)
    with open(after, encoding="utf-8") as fh:
        assert got == fh.read()
    compile(got, str(work), "exec", dont_inherit=True)
    assert fixed.fixed, "the pair should exercise at least one fix"
    # the file's line length is kept: a longer line is one the file already had
    with open(before, encoding="utf-8") as fh:
        original = fh.read()
    limit = file_line_length(original)
    assert [line for line in got.splitlines() if len(line) > limit and line not in original.splitlines()] == []
    assert not _unused_imports(got) - _unused_imports(original)
    # re-linting finds none of the fixed findings
    again = run([str(work)], _opts())
    left = collections.Counter(_key(d) for d in again.diagnostics)
    expected_left = collections.Counter(_key(d) for d in result.diagnostics) - collections.Counter(
        _key(d) for d in fixed.fixed
    )
    assert left == expected_left
    # a fixed point
    second = apply_fixes(again, unsafe=unsafe)
    assert not second.changed_files, second.diff_text
    assert work.read_text(encoding="utf-8") == got


def test_pairs_cover_every_rewrite():
    names = set(_pairs())
    for needed in ("safe_sleep", "safe_route_to_def", "unsafe_to_thread", "unsafe_requests_httpx",
                   "unsafe_open_anyio", "unsafe_subprocess", "unsafe_no_await_contexts"):
        assert needed in names


# ---------------------------------------------------------------------------- fix kinds


def _diag(code, api="x.y"):
    return Diagnostic("a.py", 1, 1, 1, 2, code, None, "m", "a.f", api=api)


@pytest.mark.parametrize("code", categories.ALL_CODES)
def test_a_finding_offers_its_codes_fix(code):
    assert fix_kind(_diag(code)) == categories.fix_kind_for_code(code, "x.y")
    if code != "ASL102":
        assert categories.fix_kind_for_code(code, "x.y") == categories.fix_kind_for_code(code)


def test_only_time_sleep_gets_the_safe_sleep_rewrite():
    # another call that sleeps (pyautogui's, a configured one) is offloaded to a thread: unsafe
    assert fix_kind(_diag("ASL102", "time.sleep")) == "safe" == categories.fix_kind_for_code("ASL102")
    assert fix_kind(_diag("ASL102", "pyautogui.sleep")) == "unsafe"
    assert fix_kind(_diag("ASL102", "pyautogui.click")) == "unsafe"
    assert fix_kind(_diag("ASL202", "time.sleep")) == "unsafe"


def test_no_fix_for_iteration_and_with():
    assert fix_kind(_diag("ASL106", "iteration over sqlite3.Cursor")) is None
    assert fix_kind(_diag("ASL108", "with threading.Lock")) is None


def test_json_marks_fix(tmp_path):
    src = tmp_path / "app.py"
    src.write_text("import time\nimport redis\n\nr = redis.Redis()\n\n\nasync def f():\n    time.sleep(1)\n"
                   "    r.get('k')\n", encoding="utf-8")
    result = run([str(src)], _opts())
    kinds = {d.code: d.fix for d in result.diagnostics}
    assert kinds == {"ASL102": "safe", "ASL107": "unsafe"}
    assert {d.to_json()["fix"] for d in result.diagnostics} == {"safe", "unsafe"}


# ---------------------------------------------------------------------------- guarantees


BLOCKING = (
    '"""Doc."""\n'
    "import time\n"
    "\n"
    "\n"
    "async def handler(x):\n"
    "    # wait a bit\n"
    "    time.sleep(x)  # sleeps\n"
    "    return 'é'\n"
)


def _check_file(path):
    result = run([str(path)], _opts())
    return apply_fixes(result, unsafe=True)


def test_crlf_bom_and_permissions_kept(tmp_path):
    path = tmp_path / "app.py"
    path.write_bytes(b"\xef\xbb\xbf" + BLOCKING.replace("\n", "\r\n").encode("utf-8"))
    os.chmod(path, 0o750)
    fixed = _check_file(path)
    assert fixed.changed_files
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"await asyncio.sleep(x)  # sleeps\r\n" in data
    assert b'"""Doc."""\r\nimport asyncio\r\n\r\n' in data  # time: no longer used, gone
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o750
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_coding_cookie_kept(tmp_path):
    path = tmp_path / "app.py"
    text = "# -*- coding: latin-1 -*-\n" + BLOCKING
    path.write_bytes(text.encode("latin-1"))
    _check_file(path)
    data = path.read_bytes()
    assert "'é'".encode("latin-1") in data
    assert b"await asyncio.sleep(x)" in data


def test_unparsable_file_untouched_and_others_fixed(tmp_path, monkeypatch):
    good = tmp_path / "good.py"
    good.write_text(BLOCKING, encoding="utf-8")
    bad = tmp_path / "bad.py"
    bad.write_text("async def f(:\n    pass\n", encoding="utf-8")
    boom = tmp_path / "boom.py"
    boom.write_text(BLOCKING, encoding="utf-8")
    result = run([str(tmp_path)], _opts())
    from asynclint.fix import source

    real = source.fix_source

    def failing(text, diagnostics, unsafe, *rest):
        if any(d.path.endswith("boom.py") for d in diagnostics):
            raise RuntimeError("simulated failure")
        return real(text, diagnostics, unsafe, *rest)

    monkeypatch.setattr(source, "fix_source", failing)
    fixed = apply_fixes(result, unsafe=True)
    assert "await asyncio.sleep(x)" in good.read_text(encoding="utf-8")
    assert boom.read_text(encoding="utf-8") == BLOCKING
    assert bad.read_text(encoding="utf-8") == "async def f(:\n    pass\n"
    assert any("simulated failure" in e for _, e in fixed.errors)
    assert "not fixed" in fixed.summary()


def test_rewrite_that_would_not_compile_is_not_written(tmp_path, monkeypatch):
    path = tmp_path / "app.py"
    path.write_text(BLOCKING, encoding="utf-8")
    result = run([str(path)], _opts())
    import libcst as cst

    from asynclint.fix.rewrites.sleep import Sleep

    # a rewrite gone wrong: `time.sleep(x)` -> `x := 1`, a statement Python rejects
    monkeypatch.setattr(Sleep, "call", lambda self, t, claim, node: cst.NamedExpr(cst.Name("x"), cst.Integer("1")))
    fixed = apply_fixes(result, unsafe=True)
    assert path.read_text(encoding="utf-8") == BLOCKING
    assert fixed.errors and "would not compile" in fixed.errors[0][1]


def test_safe_only_leaves_unsafe_alone(tmp_path):
    path = tmp_path / "app.py"
    path.write_text(BLOCKING + "\n\nasync def g(p):\n    return open(p).read()\n", encoding="utf-8")
    result = run([str(path)], _opts())
    fixed = apply_fixes(result)
    text = path.read_text(encoding="utf-8")
    assert "await asyncio.sleep(x)" in text and "open(p).read()" in text
    # open(p) and .read() are two findings
    assert "Fixed 1 finding in 1 file; 2 remain (2 fixable with --unsafe-fixes)." in fixed.summary()


# ---------------------------------------------------------------------------- one module's text


def _module_with_one_finding(helpers=40):
    head = '"""Reports."""\n\nimport time\n\nimport requests\n'
    sync = "".join(f"\n\ndef helper_{i}(x):\n    # keep {i}\n    return x + {i}\n" for i in range(helpers))
    coro = "\n\nasync def poll(url):\n    time.sleep(1)  # back off\n    return url\n"
    return head + sync + coro


def test_fix_source_edits_only_what_it_fixes():
    """A language server gets edits for the import block and the coroutine, nothing in between."""
    from asynclint.engine import lint_snippet
    from asynclint.fix import fix_source
    from asynclint.fix.source import apply_edits

    text = _module_with_one_finding()
    diagnostics = lint_snippet(text)
    assert [(d.code, d.fix) for d in diagnostics] == [("ASL102", "safe")]
    outcome = fix_source(text, diagnostics)
    assert outcome.fixed == diagnostics and not outcome.skipped
    lines = text.splitlines(keepends=True)
    poll = next(i for i, line in enumerate(lines, 1) if line.startswith("async def poll"))
    assert [(e.start_line, e.end_line) for e in outcome.edits] == [(1, 5), (poll, poll + 2)]
    assert outcome.edits[0].text == '"""Reports."""\n\nimport asyncio\n\nimport requests\n'
    assert outcome.edits[1].text == "async def poll(url):\n    await asyncio.sleep(1)  # back off\n    return url\n"
    assert apply_edits(lines, outcome.edits) == outcome.text
    # the import of time the fix made unused goes (requests was unused before: not the fix's business)
    assert outcome.text == text.replace("import time\n", "import asyncio\n").replace(
        "    time.sleep(1)", "    await asyncio.sleep(1)")
    # unsafe findings need unsafe=True; nothing to do is no edit
    assert fix_source("x = 1\n", []).edits == []


def test_fix_source_method_of_a_large_class():
    """A method is fixed on its own lines (its class is not rewritten), with the class's indentation."""
    from asynclint.engine import lint_snippet
    from asynclint.fix import fix_source

    methods = "".join(f"\n  def get_{i}(self):\n    return self.rows[{i}]\n" for i in range(30))
    text = ("import requests\n\n\nclass Client:\n  rows = []\n" + methods
            + "\n  async def refresh(self, url):\n    if url:\n      self.rows = requests.get(url, timeout=5).json()\n")
    diagnostics = lint_snippet(text)
    assert [d.code for d in diagnostics] == ["ASL101"]
    outcome = fix_source(text, diagnostics, unsafe=True)
    refresh = text.splitlines().index("  async def refresh(self, url):") + 1
    assert [(e.start_line, e.end_line) for e in outcome.edits] == [(1, 1), (refresh, refresh + 2)]
    assert outcome.edits[1].text == (
        "  async def refresh(self, url):\n"
        "    if url:\n"
        "      async with httpx.AsyncClient(follow_redirects=True) as client:\n"
        "        self.rows = (await client.get(url, timeout=5)).json()\n"
    )


def test_fix_source_new_syntax_elsewhere_in_the_file():
    """A statement newer than this interpreter (PEP 695) does not stop a fix in another one."""
    from asynclint.engine import lint_snippet
    from asynclint.fix import fix_source

    text = "import time\n\ntype Seconds = float\n\n\nasync def wait(s: Seconds):\n    time.sleep(s)\n"
    outcome = fix_source(text, lint_snippet(text))
    assert outcome.text == text.replace("import time\n", "import asyncio\n").replace(
        "    time.sleep(s)", "    await asyncio.sleep(s)")


# ---------------------------------------------------------------------------- all fixtures


def _units(root):
    units = []
    for sub in ("catalog", "direct"):
        d = os.path.join(root, sub)
        if os.path.isdir(d):
            units += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".py")]
    d = os.path.join(root, "projects")
    if os.path.isdir(d):
        units += [os.path.join(d, n) for n in sorted(os.listdir(d)) if os.path.isdir(os.path.join(d, n))]
    return units


def _unused_imports(text):
    """The names pyflakes reports as imported but unused (F401)."""
    import pyflakes.checker

    try:
        tree = compile(text, "<fixed>", "exec", flags=0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
    except SyntaxError:
        return set()
    checker = pyflakes.checker.Checker(tree, filename="<fixed>")
    return {m.message_args[0] for m in checker.messages if type(m).__name__ == "UnusedImport"}


def _compiles(text, path):
    try:
        compile(text, path, "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def test_fix_every_fixture(tmp_path):
    """Every fixture, fixed with unsafe fixes: nothing breaks, most findings go, a second run changes nothing.

    Each unit is checked as the fixture tests check it (a single file alone, a project whole); a unit
    with nothing to fix is not fixed."""
    root = tmp_path / "fx"
    for sub in ("catalog", "direct", "projects"):
        src = os.path.join(FIXTURES, sub)
        if os.path.isdir(src):
            shutil.copytree(src, root / sub, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    originals = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.endswith(".py"):
                with open(os.path.join(dirpath, n), encoding="utf-8") as fh:
                    originals[os.path.join(dirpath, n)] = fh.read()
    before = after = fixed_units = 0
    problems = []
    for unit in _units(str(root)):
        options = Options(select=["ASL"], use_cache=False, whole_project=os.path.isdir(unit))
        result = run([unit], options)
        before += len(result.diagnostics)
        if not any(d.fix is not None for d in result.diagnostics):
            after += len(result.diagnostics)
            continue
        fixed = apply_fixes(result, unsafe=True)
        fixed_units += 1
        problems += [f"{p}: {e}" for p, e in fixed.errors]
        again = run([unit], options)
        after += len(again.diagnostics)
        second = apply_fixes(again, unsafe=True, diff_only=True)
        if second.changed_files:
            problems.append(f"{unit}: not a fixed point:\n{second.diff_text}")
    for path, old in originals.items():
        with open(path, encoding="utf-8") as fh:
            new = fh.read()
        if _compiles(old, path) and not _compiles(new, path):
            problems.append(f"{path}: the fixed file does not compile")
        elif new != old and _unused_imports(new) - _unused_imports(old):
            problems.append(f"{path}: the fix left unused imports {_unused_imports(new) - _unused_imports(old)}")
    assert not problems, "\n".join(problems)
    assert fixed_units > 20
    drop = 1 - after / before
    assert drop >= 0.80, f"findings {before} -> {after}: only {drop:.0%} fixed"


# ---------------------------------------------------------------------------- CLI


def test_cli_diff_writes_nothing(tmp_path):
    path = tmp_path / "app.py"
    path.write_text(BLOCKING, encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(path), "--diff", "--no-cache"])
    assert res.exit_code == 1
    assert "+    await asyncio.sleep(x)  # sleeps" in res.stdout
    assert "-    time.sleep(x)  # sleeps" in res.stdout
    assert "Would fix 1 finding in 1 file" in res.stderr
    assert path.read_text(encoding="utf-8") == BLOCKING


def test_cli_diff_nothing_to_fix(tmp_path):
    path = tmp_path / "app.py"
    path.write_text("import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(path), "--diff", "--no-cache"])
    assert res.exit_code == 0
    assert res.stdout == ""


def test_cli_fix_summary(tmp_path):
    path = tmp_path / "app.py"
    path.write_text(BLOCKING + "\n\nasync def g(p):\n    return open(p).read()\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(path), "--fix", "--no-cache"])
    assert "Fixed 1 finding in 1 file; 2 remain (2 fixable with --unsafe-fixes)." in res.stderr
    assert res.exit_code == 1  # the unsafe one is still reported
    res = CliRunner().invoke(main, ["check", str(path), "--fix", "--unsafe-fixes", "--no-cache"])
    assert "Fixed 2 findings in 1 file; 0 remain." in res.stderr
    assert res.exit_code == 0
    assert "await anyio.Path(p).read_text()" in path.read_text(encoding="utf-8")
