"""The methods ``dataclasses`` generates for asynclint's classes are compiled once and kept
(``asynclint.codecache``): a later process makes the same classes from the kept code, classes of
other packages are never kept, and a file that is damaged or was written by another interpreter
is ignored. Each case runs in a fresh interpreter (the classes are made when modules are
imported), with the kept file in a temporary directory."""

import json
import os
import subprocess
import sys

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

# imports asynclint's model and config with the cache at argv[1], uses their classes, says what happened
SCRIPT = r'''
import dataclasses, json, sys
from asynclint import codecache
codecache._PATH = sys.argv[1]
codecache.install()
loaded = len(codecache._codes)

from asynclint.model import CallSite
from asynclint.catalog import Entry
from asynclint.config import Config

import types
other = types.ModuleType("someone_elses")
sys.modules["someone_elses"] = other
exec("from dataclasses import dataclass\n@dataclass\nclass Point:\n    x: int\n    y: int = 0\n", other.__dict__)

a = CallSite(3, 4, 3, 9, "call", ("g", "time.sleep"), "time.sleep(1)")
b = CallSite(3, 4, 3, 9, "call", ("g", "time.sleep"), "time.sleep(1)")
d = Entry("time.sleep", "sleep", "asyncio.sleep", "time")
try:
    d.api = "x"
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
ours = [s for s in codecache._codes if "someone_elses" in s or "Point" in s]
new = codecache._state["new"]
codecache.save()
print(json.dumps({"loaded": loaded, "new": new, "equal": a == b, "repr": repr(a)[:9],
                  "frozen": frozen, "diag_equal": d == Entry("time.sleep", "sleep", "asyncio.sleep", "time") and hash(d) == hash(Entry("time.sleep", "sleep", "asyncio.sleep", "time")),
                  "point": repr(other.Point(1)), "foreign_kept": len(ours), "config": Config().__class__.__name__}))
'''


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # (the -B case is its own test)
    return env


def _run(path: str) -> dict:
    env = _env()
    out = subprocess.run([sys.executable, "-c", SCRIPT, path], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_later_process_makes_the_classes_from_the_kept_code(tmp_path):
    path = str(tmp_path / "methods.bin")
    first = _run(path)
    assert first["loaded"] == 0 and first["new"] is True
    assert os.path.getsize(path) > 1000
    second = _run(path)
    assert second["loaded"] > 0
    assert second["new"] is False  # every class of theirs came from the kept code
    for got in (first, second):
        assert got["equal"] is True and got["diag_equal"] is True
        assert got["repr"] == "CallSite("
        assert got["frozen"] is True
        assert got["point"] == "Point(x=1, y=0)"
        assert got["foreign_kept"] == 0  # a class of another package went through unchanged


def test_a_damaged_file_or_one_of_another_interpreter_is_ignored_and_written_again(tmp_path):
    path = tmp_path / "methods.bin"
    _run(str(path))
    good = path.read_bytes()
    header = good[:good.index(b"\n") + 1]
    for bad in (b"not a cache at all",
                header + b"\x00\x01garbage",
                header.replace(b"cpython", b"pypy") + good[len(header):]):
        path.write_bytes(bad)
        got = _run(str(path))
        assert got["loaded"] == 0 and got["new"] is True and got["equal"] is True
        assert path.read_bytes().startswith(header)  # made again, whole
    assert _run(str(path))["new"] is False


def test_a_directory_that_cannot_be_written_keeps_nothing_and_costs_nothing(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    got = _run(str(blocker / "methods.bin"))  # (its directory is a file: nothing can be written there)
    assert got["equal"] is True and got["new"] is True
    assert list(tmp_path.iterdir()) == [blocker]


def test_nothing_is_written_when_python_writes_no_bytecode(tmp_path):
    path = tmp_path / "methods.bin"
    env = _env()
    out = subprocess.run([sys.executable, "-B", "-c", SCRIPT, str(path)], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["equal"] is True
    assert not path.exists()


def test_the_kept_code_follows_the_bytecode_to_a_prefix_tree(tmp_path):
    code = "import sys; from asynclint import codecache; print(codecache._PATH)"
    env = dict(os.environ, PYTHONPATH=SRC, PYTHONPYCACHEPREFIX=str(tmp_path / "pyc"))
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60).stdout.strip()
    package = os.path.join(SRC, "asynclint")
    assert got.startswith(str(tmp_path / "pyc") + os.sep) and got.endswith(".bin")
    assert package.lstrip(os.sep) in got


def test_a_file_grown_past_its_bound_keeps_only_what_the_process_used(tmp_path):
    import marshal

    path = tmp_path / "methods.bin"
    _run(str(path))
    good = path.read_bytes()
    header = good[:good.index(b"\n") + 1]
    codes = marshal.loads(good[len(header):])
    used = len(codes)
    stale = {f"def __create_fn__():\n def x{i}(self): return {i}\n return x{i}": compile("pass", "<string>", "exec")
             for i in range(1200)}
    path.write_bytes(header + marshal.dumps({**codes, **stale}))
    env = _env()
    script = SCRIPT.replace("codecache.save()", "codecache._state['new'] = True\ncodecache.save()")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["loaded"] == used + 1200
    assert len(marshal.loads(path.read_bytes()[len(header):])) == used
