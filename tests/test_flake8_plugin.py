"""The flake8 plugin reports, file by file, exactly what the engine reports."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES

from asynclint import flake8_plugin
from asynclint.engine import Options, run

FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<msg>.*)$")


def _flake8_available() -> bool:
    try:
        import flake8  # noqa: F401
    except ImportError:
        return False
    return True


needs_flake8 = pytest.mark.skipif(not _flake8_available(), reason="flake8 is not installed (pip install -e '.[flake8]')")


def make_project(tmp_path, name="fastapi_app"):
    root = tmp_path / "proj"
    shutil.copytree(os.path.join(FIXTURES, "projects", name), root)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    return str(root)


def py_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x != "__pycache__"]
        out.extend(os.path.join(d, f) for f in files if f.endswith(".py"))
    return sorted(out)


def engine_tuples(path, **kw):
    result = run([path], Options(**kw))
    return sorted(
        (d.line, d.column - 1, f"{d.code} {d.message}" + (f" [{d.route}]" if d.route else ""))
        for d in result.diagnostics
    )


def flake8(args, cwd, stdin=None):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode in (0, 1), proc.stderr
    found = set()
    for line in proc.stdout.splitlines():
        m = FLAKE8_LINE.match(line)
        if m:
            path = m["path"][2:] if m["path"].startswith("./") else m["path"]
            found.add((path, int(m["line"]), int(m["col"]), m["code"]))
    return found, proc


def cli_findings(root, *paths):
    old = os.getcwd()
    os.chdir(root)
    try:
        result = run(list(paths) or ["."], Options())
    finally:
        os.chdir(old)
    return {(d.path, d.line, d.column, d.code) for d in result.diagnostics}


def _forget():
    flake8_plugin._MEMO.clear()
    flake8_plugin._SEEN.clear()
    flake8_plugin._ROOTS.clear()
    flake8_plugin._GIVEN[:] = []
    flake8_plugin._ACTIVE[0] = True


@pytest.fixture(autouse=True)
def _fresh_memo():
    _forget()
    yield
    _forget()


def test_plugin_import_is_cheap():
    code = "import sys, asynclint.flake8_plugin; print('asynclint.engine' in sys.modules, 'libcst' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


@pytest.mark.parametrize("name", ["fastapi_app", "chains_flat", "once_init"])
def test_plugin_equals_engine_for_each_file(tmp_path, name):
    root = make_project(tmp_path, name)
    total = 0
    for path in py_files(root):
        expected = engine_tuples(path)
        plugin = flake8_plugin.AsyncLintPlugin(None, path, None)
        got = sorted((line, col, text) for line, col, text, _ in plugin.run())
        assert got == expected, path
        total += len(got)
    assert total > 0
    # every file was answered from one linked project
    assert len(flake8_plugin._MEMO) == 1


def _flake8_options(paths, **kw):
    from types import SimpleNamespace

    return SimpleNamespace(filenames=list(paths), **kw)


def _spy_engine(monkeypatch):
    """The engine runs of the plugin: [Result]."""
    runs = []
    real = flake8_plugin._run_engine

    def spy(*args, **kw):
        got = real(*args, **kw)
        runs.append(got)
        return got

    monkeypatch.setattr(flake8_plugin, "_run_engine", spy)
    return runs


def _plugin_rows(path):
    return sorted((line, col, text) for line, col, text, _ in flake8_plugin.AsyncLintPlugin(None, path, None).run())


def test_a_flake8_run_analyses_the_project_once_before_its_workers(tmp_path, monkeypatch):
    """``flake8 .``: the project is analysed in ``parse_options`` (flake8's main process, before its
    workers fork); every file is then answered from it, and a worker started afresh (a new process:
    nothing in memory) reads the same findings from the result cache instead of analysing again."""
    monkeypatch.setattr(flake8_plugin, "_FORK", [False])  # analysed in this process (see the next test)
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    files = py_files(root)
    expected = {path: engine_tuples(path) for path in files}
    runs = _spy_engine(monkeypatch)
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    assert len(runs) == 1 and runs[0].project is not None  # analysed (nothing cached for the whole project yet)
    assert {path: _plugin_rows(path) for path in files} == expected
    assert len(runs) == 1
    # a fresh worker: the same options, nothing in memory
    _forget()
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    assert len(runs) == 1  # answered by the result cache, without the engine
    assert {path: _plugin_rows(path) for path in files} == expected
    assert len(runs) == 1
    assert sum(len(rows) for rows in expected.values()) > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the project is analysed apart on Linux only")
def test_the_project_is_analysed_in_a_child_process(tmp_path, monkeypatch):
    """On Linux the analysis runs in a child process that sends the findings back and exits (its objects
    are never collected in flake8's process nor inherited by its workers): the same findings, no engine
    run in this process, and the result cache written for the workers and the next run."""
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    files = py_files(root)
    expected = {path: engine_tuples(path) for path in files}
    shutil.rmtree(os.path.join(root, ".asynclint_cache"), ignore_errors=True)
    runs = _spy_engine(monkeypatch)
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    assert runs == []  # (the child's run)
    assert {path: _plugin_rows(path) for path in files} == expected
    assert runs == []
    assert flake8_plugin._cached_project_run(os.path.realpath(root)) is not None
    assert sum(len(rows) for rows in expected.values()) > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the project is analysed apart on Linux only")
def test_a_child_that_fails_leaves_the_analysis_to_this_process(tmp_path, monkeypatch):
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    files = py_files(root)
    expected = {path: engine_tuples(path) for path in files}
    shutil.rmtree(os.path.join(root, ".asynclint_cache"), ignore_errors=True)

    def broken(result):
        raise RuntimeError("a bug")

    monkeypatch.setattr(flake8_plugin, "_encode_run", broken)  # (inherited by the child)
    runs = _spy_engine(monkeypatch)
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    assert len(runs) == 1 and runs[0] is not None  # the child's findings never came: analysed here
    assert {path: _plugin_rows(path) for path in files} == expected


def test_within_a_flake8_run_the_files_are_looked_at_every_few_seconds(tmp_path, monkeypatch):
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    main_py = os.path.join(root, "app", "main.py")
    assert _plugin_rows(main_py)
    looked = []
    real = flake8_plugin._stat_key
    monkeypatch.setattr(flake8_plugin, "_stat_key", lambda p: looked.append(p) or real(p))
    for path in py_files(root):
        _plugin_rows(path)
    assert looked == []  # one look at the start of the run served every file
    monkeypatch.setattr(flake8_plugin._ProjectRun, "STAT_INTERVAL", 0.0)
    _plugin_rows(main_py)
    assert main_py in looked


def test_an_edit_between_flake8_runs_is_seen(tmp_path, monkeypatch):
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    main_py = os.path.join(root, "app", "main.py")
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    assert [t for t in _plugin_rows(main_py) if t[2].startswith("ASL204")]
    errors_py = os.path.join(root, "app", "errors.py")
    with open(errors_py, encoding="utf-8") as fh:
        text = fh.read()
    with open(errors_py, "w", encoding="utf-8") as fh:
        fh.write(text.replace("open(", "print(") + "\n# edited\n")
    _forget()  # the next flake8 run
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    assert _plugin_rows(main_py) == engine_tuples(main_py)
    assert not [t for t in _plugin_rows(main_py) if t[2].startswith("ASL204")]


def test_an_editor_check_after_a_project_run_reads_its_findings(tmp_path, monkeypatch):
    """``flake8 one.py`` (an editor, one process per check) after ``flake8 .``: nothing changed, so the
    project run's findings answer without analysing; after an edit the file is analysed again."""
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    main_py = os.path.join(root, "app", "main.py")
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    expected = engine_tuples(main_py)
    assert expected
    runs = _spy_engine(monkeypatch)
    _forget()
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options([main_py]), [])
    assert sorted(flake8_plugin.check_file(main_py)) == expected
    assert runs == []
    errors_py = os.path.join(root, "app", "errors.py")
    with open(errors_py, encoding="utf-8") as fh:
        text = fh.read()
    with open(errors_py, "w", encoding="utf-8") as fh:
        fh.write(text.replace("open(", "print(") + "\n# edited\n")
    _forget()
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options([main_py]), [])
    assert sorted(flake8_plugin.check_file(main_py)) == engine_tuples(main_py) != expected
    assert len(runs) == 1 and runs[0].project is not None


@pytest.mark.parametrize("select, extend, active", [
    (None, None, True), (["E9", "F"], None, False), (["E9"], ["ASL1"], True), (["A"], None, True),
    (["ASL204"], None, True), ("E,W", None, False)])
def test_a_selection_without_asl_codes_costs_nothing(tmp_path, monkeypatch, select, extend, active):
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.setattr(flake8_plugin, "_FORK", [False])  # (engine runs in this process, where the spy sees them)
    runs = _spy_engine(monkeypatch)
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."], select=select, extend_select=extend), [])
    main_py = os.path.join(root, "app", "main.py")
    assert bool(_plugin_rows(main_py)) is active
    assert bool(runs) is active


def test_plugin_reports_chains(tmp_path):
    root = make_project(tmp_path)
    found = flake8_plugin.check_file(os.path.join(root, "app", "main.py"))
    assert any(text.startswith("ASL204 calls log_incident()") for _, _, text in found)


def test_memo_sees_edits(tmp_path):
    root = make_project(tmp_path)
    errors_py = os.path.join(root, "app", "errors.py")
    main_py = os.path.join(root, "app", "main.py")
    before = [t for t in flake8_plugin.check_file(main_py) if t[2].startswith("ASL204")]
    assert before
    # the helper stops blocking: the chain in main.py must go away
    with open(errors_py, encoding="utf-8") as fh:
        text = fh.read()
    with open(errors_py, "w", encoding="utf-8") as fh:
        fh.write(text.replace("open(", "print(") + "\n# edited\n")
    assert engine_tuples(main_py) == sorted(flake8_plugin.check_file(main_py))
    assert not [t for t in flake8_plugin.check_file(main_py) if t[2].startswith("ASL204")]


@needs_flake8
def test_flake8_select_asl_matches_cli(tmp_path):
    root = make_project(tmp_path)
    expected = cli_findings(root)
    got, _ = flake8(["--select", "ASL", "."], cwd=root)
    assert got == expected
    assert any(code.startswith("ASL2") for *_, code in got)
    # --extend-select keeps flake8's own checks and adds ours
    got2, _ = flake8(["--extend-select", "ASL", "."], cwd=root)
    assert {f for f in got2 if f[3].startswith("ASL")} == expected


@needs_flake8
def test_flake8_select_naming_an_off_by_default_rule_reports_it(tmp_path):
    # the lifespan's sleep is ASL402, off by default (tests/test_grouping.py): naming it turns it on
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = demo\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "main.py").write_text(
        "import time\nfrom contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n\n"
        "@asynccontextmanager\nasync def lifespan(app):\n    time.sleep(1)\n    yield\n\n\n"
        "app = FastAPI(lifespan=lifespan)\n\n\n@app.get('/')\nasync def root():\n    time.sleep(1)\n"
        "    return {}\n")
    named, _ = flake8(["--select", "ASL402", "."], cwd=str(tmp_path))
    assert {(path, line, code) for path, line, _, code in named} == {("app/main.py", 9, "ASL402")}
    added, _ = flake8(["--select", "ASL", "--extend-select", "ASL402", "."], cwd=str(tmp_path))
    assert {(line, code) for _, line, _, code in added} == {(9, "ASL402"), (18, "ASL102"), (17, "ASL301")}


@needs_flake8
def test_flake8_one_file_follows_chains(tmp_path):
    root = make_project(tmp_path)
    got, _ = flake8(["--select", "ASL", "app/main.py"], cwd=root)
    assert got == cli_findings(root, "app/main.py")
    assert ("app/main.py", 63, 5, "ASL204") in got


@needs_flake8
def test_flake8_stdin_unsaved_buffer(tmp_path):
    root = make_project(tmp_path)
    rel = os.path.join("app", "routers", "chat.py")
    path = os.path.join(root, rel)
    with open(path, encoding="utf-8") as fh:
        on_disk = fh.read()
    # the unsaved buffer adds a blocking sleep and a call into another module's blocking helper
    buffer = on_disk + (
        "\n\nimport time as _t\nfrom app.errors import log_incident as _log\n\n\n"
        "async def unsaved_handler():\n    _t.sleep(1)\n    _log('x', 'y')\n"
    )
    n = buffer.count("\n")
    got, proc = flake8(["--select", "ASL", "--stdin-display-name", rel, "-"], cwd=root, stdin=buffer)
    assert (rel, n - 1, 5, "ASL102") in got, proc.stdout
    assert (rel, n, 5, "ASL204") in got, proc.stdout
    # what is on disk is unchanged and still reported the same way
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == on_disk
    disk, _ = flake8(["--select", "ASL", rel], cwd=root)
    assert disk == cli_findings(root, rel)
    assert disk == {f for f in got if f[1] < n - 1}
    # the same text as on disk through stdin gives the same as the file
    same, _ = flake8(["--select", "ASL", "--stdin-display-name", rel, "-"], cwd=root, stdin=on_disk)
    assert same == disk


def test_stdin_buffer_in_process(tmp_path):
    root = make_project(tmp_path)
    path = os.path.join(root, "app", "routers", "chat.py")
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines(True)
    lines += ["\n", "import time as _t\n", "async def added():\n", "    _t.sleep(1)\n"]
    plugin = flake8_plugin.AsyncLintPlugin(None, path, lines)
    got = {(line, col, text.split()[0]) for line, col, text, _ in plugin.run()}
    assert (len(lines), 4, "ASL102") in got
    assert got >= {(line, col, text.split()[0]) for line, col, text in engine_tuples(path)}


def test_text_without_a_file():
    got = flake8_plugin.check_file("stdin", ["import time\n", "async def f():\n", "    time.sleep(1)\n"])
    assert [(line, col, text.split()[0]) for line, col, text in got] == [(3, 4, "ASL102")]


@needs_flake8
def test_noqa_extend_ignore_per_file_ignores(tmp_path):
    root = make_project(tmp_path)
    main_py = os.path.join(root, "app", "main.py")
    with open(main_py, encoding="utf-8") as fh:
        lines = fh.read().splitlines(True)
    # line 57: requests.get (ASL101), line 63: log_incident (ASL204), line 77: time.sleep (ASL102)
    lines[56] = lines[56].rstrip("\n").replace("# ASL101", "# noqa: ASL101") + "\n"
    lines[62] = lines[62].rstrip("\n").replace("# ASL204", "# noqa: E501") + "\n"
    with open(main_py, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
    base, _ = flake8(["--select", "ASL", "."], cwd=root)
    main = {f for f in base if f[0] == "app/main.py"}
    assert not any(f[1] == 57 for f in main)  # noqa with our code
    assert ("app/main.py", 63, 5, "ASL204") in main  # noqa for another code keeps ours
    assert ("app/main.py", 77, 9, "ASL102") in main

    ignored, _ = flake8(["--select", "ASL", "--extend-ignore", "ASL1", "."], cwd=root)
    assert ignored == {f for f in base if not f[3].startswith("ASL1")}

    per_file, _ = flake8(["--select", "ASL", "--per-file-ignores", "app/main.py:ASL", "."], cwd=root)
    assert per_file == {f for f in base if f[0] != "app/main.py"}


@needs_flake8
def test_flake8_parallel_cold_cache(tmp_path):
    root = make_project(tmp_path, "chains_flat")
    shutil.rmtree(os.path.join(root, ".asynclint_cache"), ignore_errors=True)
    got, _ = flake8(["--select", "ASL", "-j", "2", "."], cwd=root)
    assert got == cli_findings(root)
    again, _ = flake8(["--select", "ASL", "-j", "2", "."], cwd=root)
    assert again == got


@needs_flake8
@pytest.mark.parametrize("args", [["--select", "ASL9"], ["--extend-select", "ASL1O1"], ["--extend-ignore", "ASL999"]])
def test_an_asl_selector_naming_no_rule_stops_flake8(tmp_path, args):
    (tmp_path / "a.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
    proc = subprocess.run([sys.executable, "-m", "flake8", *args, "a.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert "unknown rule selector" in proc.stdout and "did you mean ASL" in proc.stdout
    assert "ASL102" not in proc.stdout.split("(did you mean")[0].replace(args[1], "")


@needs_flake8
def test_an_unknown_selector_in_pyproject_reaches_flake8_as_asl000(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nselect = ["ASL1O2"]\n')
    (tmp_path / "a.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
    found, proc = flake8(["--select", "ASL", "a.py"], cwd=tmp_path)
    assert found == {("a.py", 1, 1, "ASL000")}
    assert "'ASL1O2'" in proc.stdout and "did you mean ASL102?" in proc.stdout


@pytest.mark.skipif(not _flake8_available(), reason="flake8 not installed")
def test_a_test_module_named_is_reported_whatever_ran_before(tmp_path):
    """A test module found in a folder is linked, not reported (``flake8 .``, ``asynclint .``); named on
    its own it is reported (``asynclint tests/test_a.py``), also after a run over the project kept its
    findings, and also two of them at once (flake8 gave nothing for these before)."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "m.py").write_text("import time\n\n\nasync def a():\n    time.sleep(1)\n")
    (tmp_path / "tests").mkdir()
    for name in ("test_a.py", "test_b.py"):
        (tmp_path / "tests" / name).write_text("import time\n\n\nasync def test_x():\n    time.sleep(1)\n")
    assert {f[0] for f in flake8(["--select", "ASL", "."], tmp_path)[0]} == {"app/m.py"}
    assert {f[0] for f in flake8(["--select", "ASL", "tests/test_a.py"], tmp_path)[0]} == {"tests/test_a.py"}
    named = flake8(["--select", "ASL", "tests/test_a.py", "tests/test_b.py"], tmp_path)[0]
    assert {f[0] for f in named} == {"tests/test_a.py", "tests/test_b.py"}
    assert flake8(["--select", "ASL", "tests"], tmp_path)[0] == set()


def test_the_flake8_command_leaves_what_one_file_s_check_built_out_of_the_collector_s_sight(tmp_path, monkeypatch):
    """``flake8 one.py`` ends soon after the check: the objects the analysis left (many in reference
    cycles) are frozen (``gc.freeze``) rather than walked by the collection Python makes as it exits.
    Only in the flake8 command: a process that checks file after file through flake8's API would keep
    every check's garbage."""
    import gc
    import types

    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    main_py = os.path.join(root, "app", "main.py")
    gc.unfreeze()
    for main_spec, argv0, one_shot in ((None, "/usr/local/bin/flake8", True), ("flake8.__main__", "x", True),
                                       ("pytest", "/usr/bin/pytest", False), (None, "/srv/host.py", False)):
        monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(
            __spec__=types.SimpleNamespace(name=main_spec) if main_spec else None))
        monkeypatch.setattr(sys, "argv", [argv0])
        assert flake8_plugin._one_shot() is one_shot
        with open(main_py, "a", encoding="utf-8") as fh:
            fh.write("\n# edited\n")
        expected = engine_tuples(main_py)
        _forget()
        flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options([main_py]), [])
        assert sorted(flake8_plugin.check_file(main_py)) == expected
        assert (gc.get_freeze_count() > 0) is one_shot
        gc.unfreeze()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the analysis is kept apart on Linux only")
def test_a_run_over_the_project_answered_by_its_results_keeps_the_analysis_for_the_editor(tmp_path, monkeypatch):
    """``flake8 .`` with nothing changed is answered by the last run's results, and a child process
    makes the analysis the editor's first check after an edit starts from (flake8 waits for it before
    exiting): that check then resumes from it instead of analysing the whole project."""
    import atexit
    import glob

    import asynclint.live.run as live_run

    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    kept = lambda: glob.glob(os.path.join(root, ".asynclint_cache", "analysis-*.cache"))  # noqa: E731
    shutil.rmtree(os.path.join(root, ".asynclint_cache"), ignore_errors=True)
    waits = []
    monkeypatch.setattr(atexit, "register", lambda fn, *args: waits.append((fn, args)))
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])  # cold: analysed, nothing kept
    assert waits == [] and kept() == []
    _forget()
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])  # warm: the results answer
    assert len(waits) == 1
    fn, args = waits[0]
    fn(*args)  # (what flake8's process does as it exits: wait for the child)
    assert kept()
    errors_py = os.path.join(root, "app", "errors.py")
    with open(errors_py, "a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    resumed = []
    real = live_run._resume
    monkeypatch.setattr(live_run, "_resume", lambda *a, **k: resumed.append(real(*a, **k)) or resumed[-1])
    expected = engine_tuples(errors_py, use_cache=False)  # (a run with the cache would drop the summary of then)
    _forget()
    resumed.clear()
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options([errors_py]), [])
    assert sorted(flake8_plugin.check_file(errors_py)) == expected
    assert resumed and resumed[0] is not None  # (started from the kept analysis)
    _forget()
    waits.clear()
    flake8_plugin.AsyncLintPlugin.parse_options(None, _flake8_options(["."]), [])
    for fn, args in waits:
        fn(*args)
