"""The answer a ``check`` keeps for the same command (``cache.warm``): given again only while nothing
the report depends on changed; any change to a file, the project's layout, the configuration, the
options, asynclint itself or the cache file makes the command run again.

Each test runs the check as the ``asynclint`` process does (``cli.run_process``: a recorder), in
this process, and asks ``warm.lookup`` what the entry point would answer.
"""

from __future__ import annotations

import contextlib
import io
import os
import time

import pytest

from asynclint import cli
from asynclint.cache import results, warm
from asynclint.launch import named_paths

HELPERS = "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=5).json()\n"
ROUTES = ("from fastapi import APIRouter\n\nfrom ..helpers import fetch\n\nrouter = APIRouter()\n\n\n"
          "@router.get('/items')\nasync def items():\n    return fetch('http://x')\n")
JOBS = "import time\n\n\nasync def tick():\n    time.sleep(1)\n"


@pytest.fixture
def shop(tmp_path, monkeypatch):
    root = tmp_path / "shop"
    (root / "app" / "api").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\nversion = '0'\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "helpers.py").write_text(HELPERS)
    (root / "app" / "api" / "__init__.py").write_text("")
    (root / "app" / "api" / "routes.py").write_text(ROUTES)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "usercache"))
    monkeypatch.chdir(root)
    return root


@pytest.fixture(autouse=True)
def _no_tick(monkeypatch):
    """Paths changed just before a run are trusted here (the tests change them and run at once; see
    ``test_a_path_changed_just_before_the_run_keeps_no_answer``)."""
    monkeypatch.setattr(warm, "FINE_TICK", 0)
    monkeypatch.setattr(warm, "COARSE_TICK", 0)


def _check(*args):
    """``asynclint ARGS`` as its process runs it (the answer recorded), then what the entry point
    would answer now: ((output, status), answer or None)."""
    args = ["check", *args]
    out = io.StringIO()
    # each command is its own process: asynclint's own fingerprint (kept a process) is made again,
    # as the entry point's next process makes it (another test process may have written a
    # __pycache__ folder into the package since this one made it)
    results._FINGERPRINT.clear()
    cli._WARM[0] = warm.Recorder(args)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                cli.main(args)
            except SystemExit as exc:
                status = exc.code
            kept = warm.lookup(args)
    finally:
        cli._WARM[0] = None
    return (out.getvalue(), status), kept


def _answer(*args):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return warm.lookup(["check", *args])


def _ready(*args):
    """The report of ``asynclint ARGS``, its answer kept."""
    (report, status), kept = _check(*args)
    assert kept == (((1, report),), status)  # the same text, the same exit status
    return report


def test_the_answer_is_kept_and_any_changed_file_makes_the_check_run_again(shop):
    report = _ready("--python", "none")
    assert "ASL201" in report and "routes.py" in report
    # edited in place, same size
    helpers = shop / "app" / "helpers.py"
    helpers.write_text(HELPERS.replace("timeout=5", "timeout=6"))
    assert _answer("--python", "none") is None
    (again, _), kept = _check("--python", "none")
    assert again == report and kept is not None  # (same findings: answered again from the new run)
    # a file added in a folder
    (shop / "app" / "api" / "jobs.py").write_text(JOBS)
    assert _answer("--python", "none") is None
    (added, status), kept = _check("--python", "none")
    assert "jobs.py" in added and "ASL102" in added and kept == (((1, added),), status)
    # removed
    (shop / "app" / "api" / "jobs.py").unlink()
    assert _answer("--python", "none") is None
    assert _check("--python", "none")[0][0] == report
    # renamed (the same bytes under another name)
    os.rename(shop / "app" / "helpers.py", shop / "app" / "util.py")
    assert _answer("--python", "none") is None
    (renamed, _), _ = _check("--python", "none")
    assert "ASL201" not in renamed  # ..helpers no longer resolves


def test_a_file_edited_with_its_old_size_and_mtime_put_back_is_seen(shop):
    _ready("--python", "none")
    helpers = shop / "app" / "helpers.py"
    before = os.stat(helpers)
    helpers.write_text(HELPERS.replace("timeout=5", "timeout=7"))
    os.utime(helpers, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(helpers).st_size == before.st_size
    assert _answer("--python", "none") is None  # (its ctime changed)


def test_a_file_touched_or_written_again_unchanged_keeps_the_answer(shop):
    """A file of the run whose stamp changed and whose text did not (touched, saved unchanged, written
    again by ``git stash pop``) keeps the answer: the entry point compares its text with the digest kept
    beside the answer. A text that changed does not, nor a folder whose listing changed."""
    (report, status), kept = _check("--python", "none")
    assert kept == (((1, report),), status) and "ASL201" in report
    helpers = shop / "app" / "helpers.py"
    st = os.stat(helpers)
    os.utime(helpers, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched
    assert _answer("--python", "none") == kept
    helpers.write_text(HELPERS)  # written again, the same text
    assert os.stat(helpers).st_ctime_ns != st.st_ctime_ns
    assert _answer("--python", "none") == kept
    helpers.write_text(HELPERS.replace("timeout=5", "timeout=6"))  # the same size, another text
    assert _answer("--python", "none") is None
    helpers.write_text(HELPERS)  # back: the text the answer was made from
    assert _answer("--python", "none") == kept
    (shop / "app" / "notes.txt").write_text("x")  # the folder's listing changed
    assert _answer("--python", "none") is None


def test_an_answer_the_result_cache_gave_keeps_the_texts_it_rests_on(shop):
    """A run the result cache answers (a file touched: its stamp changed, not its text; a folder's
    listing changed too, so the kept answer does not hold) keeps its answer with the digests of the
    texts it rests on, as a run that analysed them does: the next touch is answered at once."""
    (report, status), kept = _check("--python", "none")
    helpers = shop / "app" / "helpers.py"
    for seconds in (50, 40):  # (stamps in the past: one after the run began keeps no answer)
        os.utime(helpers, ns=(0, time.time_ns() - seconds * 1_000_000_000))  # touched
        (shop / "app" / f"notes-{seconds}.txt").write_text("x")  # (the kept answer no longer holds)
        assert _answer("--python", "none") is None
        (again, _), kept = _check("--python", "none")
        assert again == report and kept == (((1, report),), status)
        os.utime(helpers, ns=(0, time.time_ns() - (seconds - 5) * 1_000_000_000))  # touched again
        assert _answer("--python", "none") == kept


def test_configuration_changes_are_seen(shop):
    report = _ready("--python", "none")
    assert "ASL201" in report and "ASL301" in report
    # a configuration above the project (its own pyproject.toml has no [tool.asynclint])
    (shop.parent / "pyproject.toml").write_text("[tool.asynclint]\nignore = ['ASL201']\n")
    assert _answer("--python", "none") is None
    (ignored, _), kept = _check("--python", "none")
    assert "ASL201" not in ignored and "ASL301" not in ignored and kept is not None
    # the project's own, edited
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.asynclint]\nselect = ['ASL201']\n")
    assert _answer("--python", "none") is None
    (selected, _), kept = _check("--python", "none")
    assert "ASL201" in selected and "ASL301" not in selected and kept is not None
    # --config names another file
    other = shop / "strict.toml"
    other.write_text("[tool.asynclint]\nselect = ['ASL1']\n")
    _ready("--python", "none", "--config", str(other))
    other.write_text("[tool.asynclint]\nselect = ['ASL2']\n")
    assert _answer("--python", "none", "--config", str(other)) is None
    assert "ASL201" in _check("--python", "none", "--config", str(other))[0][0]


def test_gitignore_and_layout_changes_are_seen(shop):
    _ready("--python", "none")
    (shop / ".gitignore").write_text("app/api/\n")
    assert _answer("--python", "none") is None
    (ignored, _), _ = _check("--python", "none")
    assert "routes.py" not in ignored
    _ready("--python", "none")
    (shop / ".gitignore").write_text("build/\n")  # edited in place
    assert _answer("--python", "none") is None
    assert "routes.py" in _check("--python", "none")[0][0]
    # a virtual environment appears in the project: its libraries may be read from now on
    _ready()
    (shop / ".venv").mkdir()
    assert _answer() is None


def test_other_options_and_arguments_are_other_commands(shop):
    report = _ready("--python", "none")
    assert _answer("--python", "none", "--select", "ASL1") is None
    assert _answer("--python", "none", "-q") is None
    assert _answer("--python", "none", ".") is None
    (selected, _), kept = _check("--python", "none", "--select", "ASL1")
    assert selected != report and kept is not None
    assert _answer("--python", "none")[0] == ((1, report),)  # each kept on its own


def test_a_changed_version_or_environment_variable_is_another_command(shop, monkeypatch):
    _ready("--python", "none")
    monkeypatch.setenv("NO_COLOR", "1")
    assert _answer("--python", "none") is None
    monkeypatch.delenv("NO_COLOR")
    assert _answer("--python", "none") is not None
    monkeypatch.setattr(warm, "__version__", "99.0")
    assert _answer("--python", "none") is None


def test_asynclint_own_files_and_the_runs_files_are_witnessed(shop):
    from asynclint.engine import Options, run

    got = run(["."], Options(result_cache=True, witness=True, python="none"))
    witness = got.witness
    assert str(shop / "app" / "api" / "routes.py") in witness and str(shop / "app" / "api") in witness
    assert str(shop / "pyproject.toml") in witness and witness[str(shop / ".venv")] is None
    package = os.path.dirname(os.path.abspath(cli.__file__))
    assert os.path.join(package, "engine.py") in witness and os.path.join(package, "catalog") in witness


def test_a_cache_file_not_written_with_this_installation_key_is_not_believed(shop, tmp_path, monkeypatch):
    report = _ready("--python", "none")
    # the same file, read with another user's secret: every entry rejected
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert _answer("--python", "none") is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "usercache"))
    # an entry planted with another secret, claiming a clean run for this very command
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        key = warm.context(["check", "--python", "none"])
    path = shop / ".asynclint_cache" / warm.file_name(key)
    path.unlink()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "attacker"))
    planted = warm.Store(str(shop / ".asynclint_cache"), warm.file_name(key), warm._NAMESPACE, builtin_sha=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "usercache"))
    planted.put(key, warm.codec.dumps(((), (), ((1, "All clear\n"),), 0)))
    planted.save()
    assert _answer("--python", "none") is None
    assert _check("--python", "none")[0] == (report, 1)
    # damaged bytes (in the kept report: each entry is authenticated on its own)
    data = bytearray(path.read_bytes())
    data[data.index(b"blocking calls (1 cause)")] ^= 0xFF
    path.write_bytes(bytes(data))
    assert _answer("--python", "none") is None


def test_runs_that_fix_write_or_skip_the_cache_keep_nothing(shop):
    for args in (["--no-cache"], ["--diff"], ["-o", "report.txt"], ["--fix"]):
        assert named_paths(["check", *args]) is None
    assert named_paths(["check", "-j", "2", "--select", "ASL1", "app"]) == ["app"]
    assert named_paths(["rules"]) is None and named_paths([]) == ["."]
    # and a check that does is recorded as a run that writes nothing else
    _check("--python", "none")
    assert _check("--python", "none", "--diff")[1] is None
    assert not (shop / "report.txt").exists()


def test_a_path_changed_just_before_the_run_keeps_no_answer(shop, monkeypatch):
    _ready("--python", "none")
    monkeypatch.setattr(warm, "FINE_TICK", 3600 * 10**9)  # (a clock ticking once an hour)
    (shop / "app" / "helpers.py").write_text(HELPERS.replace("timeout=5", "timeout=8"))
    assert _check("--python", "none")[1] is None  # a change after the stat could keep its stamp
    helpers = shop / "app" / "helpers.py"
    old = os.stat(helpers).st_mtime_ns - 7200 * 10**9
    os.utime(helpers, ns=(old, old))
    assert _check("--python", "none")[1] is None  # its ctime is still recent
    monkeypatch.setattr(warm, "FINE_TICK", 0)
    assert _check("--python", "none")[1] is not None
    # a file system whose times are whole seconds ticks coarsely
    monkeypatch.setattr(warm, "COARSE_TICK", 3600 * 10**9)
    whole = (os.stat(helpers).st_mtime_ns // 10**9) * 10**9
    os.utime(helpers, ns=(whole, whole))
    assert warm._racy(whole, whole + 10**9) and not warm._racy(whole + 1, whole + 10**9)


def test_the_answers_of_the_last_few_commands_are_kept(shop):
    for select in ("ASL1", "ASL2", "ASL3", "ASL4", "ASL"):
        _check("--python", "none", "--select", select)
    kept = [n for n in os.listdir(shop / ".asynclint_cache") if n.startswith(warm.PREFIX)]
    assert len(kept) == warm.KEEP
    assert _answer("--python", "none", "--select", "ASL") is not None


def test_the_built_in_hmac_is_hmac_sha256():
    import hmac

    from asynclint.cache.store import _BuiltinHMAC

    for key, data in ((b"k" * 32, b""), (os.urandom(32), os.urandom(100_000)), (os.urandom(70), b"abc")):
        mac = _BuiltinHMAC(key, data[:7])
        mac.update(memoryview(data)[7:])
        assert mac.digest() == hmac.digest(key, data, "sha256")


def test_an_environment_changing_is_seen(shop, monkeypatch):
    monkeypatch.delenv("ASYNCLINT_PYTHON", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    lib = shop / ".venv" / "lib" / "python3.11"
    lib.mkdir(parents=True)
    (shop / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    _ready()  # a .venv that is no environment yet: no site-packages
    site = lib / "site-packages"
    site.mkdir()
    assert _answer() is None
    _ready()  # now read from it
    (site / "requests-2.31.0.dist-info").mkdir()  # a distribution installed
    assert _answer() is None
    _ready()
    (site / "extra.pth").write_text("/opt/extra\n")
    assert _answer() is None
    _ready()
    (site / "extra.pth").write_text("/opt/other\n")  # edited in place
    assert _answer() is None


def test_the_first_run_of_a_project_keeps_its_answer(shop):
    assert not (shop / ".asynclint_cache").exists()
    (report, status), kept = _check("--python", "none")
    assert kept == (((1, report),), status)  # (its cache directory made before the project was walked)


# ---------------------------------------------------------------------------
# the discovery kept while the directories it walked stay the same (``cache.discovered``)


@pytest.fixture
def walks(monkeypatch):
    """The directory walks discovery makes (``discover.discover`` calls), counted."""
    from asynclint import discover

    made = []
    real = discover.discover

    def counted(paths, **kw):
        made.append(list(paths))
        return real(paths, **kw)

    monkeypatch.setattr(discover, "discover", counted)
    return made


def test_a_discovery_is_kept_while_no_directory_it_walked_changes(shop, walks):
    report = _ready("--python", "none")
    assert len(walks) == 1
    helpers = shop / "app" / "helpers.py"
    helpers.write_text("def fetch(url):\n    return url\n")  # edited in place
    (edited, _), _ = _check("--python", "none")
    assert len(walks) == 1 and "ASL" in report and "ASL" not in edited  # the files kept, their text read
    helpers.write_text(HELPERS)
    # a file added: its directory changed, the project is walked again and the new file checked
    (shop / "app" / "api" / "jobs.py").write_text(JOBS)
    (added, _), _ = _check("--python", "none")
    assert len(walks) == 2 and "jobs.py" in added
    _check("--python", "none")
    assert len(walks) == 2
    # a .gitignore edited in place (its directory's stamp stays): seen
    (shop / ".gitignore").write_text("build/\n")
    _check("--python", "none")
    walks.clear()
    (shop / ".gitignore").write_text("app/api/jobs.py\n")
    (ignored, _), _ = _check("--python", "none")
    assert len(walks) == 1 and "jobs.py" not in ignored
    # a file removed
    helpers.unlink()
    (removed, _), _ = _check("--python", "none")
    assert len(walks) == 2 and "helpers.py" not in removed


def test_a_kept_walk_is_one_of_these_directories_and_exclusions(shop, walks):
    (api, _), _ = _check("--python", "none", "app/api")  # a folder: linked against the whole project
    assert walks == [["app/api"], [str(shop)]] and "routes.py" in api
    _check("--python", "none")  # the project's walk, as the run on app/api kept it
    (again, _), _ = _check("--python", "none", "app/api", "-q")
    assert len(walks) == 2 and again.count("ASL") == api.count("ASL")
    (shop / "pyproject.toml").write_text("[project]\nname = 'shop'\nversion = '0'\n"
                                         "[tool.asynclint]\nextend-exclude = ['app/api']\n")
    (excluded, _), _ = _check("--python", "none")
    assert len(walks) == 3 and "routes.py" not in excluded
    # a file named (a pre-commit hook's run) is looked at each time, the project around it walked once
    (named, _), _ = _check("--python", "none", "app/helpers.py")
    _check("--python", "none", "app/helpers.py")
    assert walks[3:] == [["app/helpers.py"], ["app/helpers.py"]] and "(1 file checked)" in named


def test_a_discovery_resting_on_a_directory_changed_just_before_is_not_kept(shop, walks, monkeypatch):
    _ready("--python", "none")
    monkeypatch.setattr(warm, "FINE_TICK", 3600 * 10**9)  # (a clock ticking once an hour)
    (shop / "app" / "api" / "jobs.py").write_text(JOBS)
    _check("--python", "none")
    (twice, _), _ = _check("--python", "none")
    assert len(walks) == 3 and "jobs.py" in twice  # a file added after the stat could keep its stamp


def test_a_planted_discovery_is_not_believed(shop, walks, tmp_path, monkeypatch):
    _ready("--python", "none")
    kept = [n for n in os.listdir(shop / ".asynclint_cache") if n.startswith("discovery-")]
    assert len(kept) == 1
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-installation"))
    (shop / "app" / "helpers.py").write_text(HELPERS + "\n")
    (report, _), _ = _check("--python", "none")
    assert len(walks) == 2 and "4 files checked" in report  # (another secret: walked again)


def test_a_recalled_discovery_finds_the_results_the_walk_left(shop, walks, monkeypatch):
    """The result cache's key is made from the files' rows as values: the rows of a discovery
    recalled (decoded strings) and of one walked (fresh strings) find the same results."""
    from asynclint.cache.results import ResultCache

    report = _ready("--python", "none")
    monkeypatch.setattr(ResultCache, "_last_if", lambda *a, **k: pytest.fail("the exact results were not found"))
    (again, _), _ = _check("--python", "none")
    assert len(walks) == 1 and again == report


def test_the_results_key_is_the_same_for_equal_rows_however_they_were_made(shop):
    from asynclint.cache.results import ResultCache
    from asynclint.config import Config

    def key(rows):
        cache = ResultCache(str(shop), Config(), ["."], False)
        cache.signature = rows
        return cache._entry()

    path = str(shop / "app" / "helpers.py")
    shared = ((path, path, True, 10**18, 120),)  # one string object twice (as a decoded row may hold)
    made = (("".join([str(shop), "/app/helpers.py"]), "".join([str(shop), "/app/", "helpers.py"]), True, 10**18, 120),)
    assert key(shared) == key(made)
    assert key(made) != key(((made[0][0], made[0][1], True, 10**18, 121),))


def test_the_package_stamps_the_answer_rests_on_are_this_command_s(shop):
    """The answer rests on asynclint's own files as this command saw them: a folder of the package
    changed since an earlier command of this process (a __pycache__ written by another process)
    does not keep the next command from keeping its answer."""
    _ready("--python", "none")
    folder = os.path.join(results._PKG, "catalog", "__pycache__-written-meanwhile")
    os.makedirs(folder)
    try:
        _ready("--python", "none")
    finally:
        os.rmdir(folder)
