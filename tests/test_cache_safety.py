"""The caches can neither run code, nor crash a run, nor vouch for results asynclint did not compute.

Every cache file is built-in data only (marshal, never pickle) with an HMAC per entry made with a
per-user secret; a planted, damaged, copied or crafted cache is dropped and
rebuilt.  The project cache directory is used only when it is a real
directory inside the project.
"""

import glob
import hashlib
import os
import pickle
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from asynclint import __version__
from asynclint.cache import store as store_mod
from asynclint.cache.store import MAGIC, Store
from asynclint.cache.summaries import decode_summary, encode_summary
from asynclint.cli import main
from asynclint.model import CallSite, FunctionSummary, ModuleSummary
from asynclint.summarize import summarize_source

ROUTE = textwrap.dedent(
    """\
    import time

    import requests
    from fastapi import APIRouter

    from app.services import fetch_profile

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int):
        time.sleep(0.1)
        return fetch_profile(user_id)
    """
)

SERVICES = textwrap.dedent(
    """\
    import requests


    def fetch_profile(user_id):
        return requests.get(f"https://api.example.com/users/{user_id}").json()
    """
)


class _Payload:
    """Unpickling this creates the file ``path``: the proof that a cache ran code."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "users.py").write_text(ROUTE)
    (root / "app" / "services.py").write_text(SERVICES)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "usercache"))
    monkeypatch.chdir(root)
    return root


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _cache_files(root):
    return sorted(glob.glob(os.path.join(root, ".asynclint_cache", "*.cache")))


def test_a_planted_pickle_never_runs_in_check_fix_or_flake8(project, tmp_path):
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(_Payload(str(marker)))
    # the payload is live: unpickling it is exactly what an unsafe cache would do
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Payload(str(probe))))
    assert probe.exists()
    cache_dir = project / ".asynclint_cache"
    cache_dir.mkdir()
    for kind in ("summaries", "results"):
        (cache_dir / f"{kind}-{__version__}.pickle").write_bytes(payload)
        (cache_dir / f"{kind}-{__version__}.cache").write_bytes(payload)
        # a file with the store's header whose entry is the pickle
        (cache_dir / f"{kind}-{__version__}.cache").write_bytes(
            MAGIC + (1).to_bytes(2, "little") + (1).to_bytes(4, "little")
            + (5).to_bytes(2, "little") + len(payload).to_bytes(4, "little") + bytes(32) + b"index" + payload)
    user = tmp_path / "usercache" / "asynclint"
    user.mkdir(parents=True)
    import asynclint.catalog as catalog

    old_tag = hashlib.sha1(os.path.abspath(catalog.CATALOG_DIR).encode()).hexdigest()[:12]
    (user / f"catalog-{old_tag}.pickle").write_bytes(payload)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "usercache"))
    runs = [
        [sys.executable, "-m", "asynclint", "app"],
        [sys.executable, "-m", "asynclint", "app", "--fix", "--unsafe-fixes"],
        [sys.executable, "-m", "flake8", "--select", "ASL", "app/users.py"],
    ]
    outputs = []
    for cmd in runs:
        proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=120)
        outputs.append(proc)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert not marker.exists(), f"{cmd} ran code from the cache"
    assert outputs[0].returncode == 1 and "ASL102" in outputs[0].stdout and "ASL201" in outputs[0].stdout
    assert outputs[1].returncode in (0, 1) and "Fixed" in outputs[1].stderr
    # the planted pickles were replaced by authenticated caches, and the old ones are gone
    assert not glob.glob(str(cache_dir / "*.pickle"))
    for path in _cache_files(project):
        assert open(path, "rb").read(len(MAGIC)) == MAGIC


def test_damaged_bytes_are_dropped_and_rebuilt_never_a_crash(project, monkeypatch):
    first = invoke("app")
    assert first.exit_code == 1
    (summaries,) = [p for p in _cache_files(project) if "summaries-" in p]
    clean = open(summaries, "rb").read()
    import asynclint.summarize.collect as collect

    calls = []
    original = collect.summarize_bytes
    monkeypatch.setattr(collect, "summarize_bytes", lambda data: calls.append(1) or original(data))
    step = max(1, len(clean) // 40)
    for offset in list(range(0, len(clean), step)) + [len(clean) - 1]:
        damaged = bytearray(clean)
        damaged[offset] ^= 0x5A
        open(summaries, "wb").write(bytes(damaged))
        os.remove([p for p in _cache_files(project) if "results-" in p][0])
        again = invoke("app")
        assert again.exit_code == 1 and again.output == first.output
    # truncated at every tenth of its length
    for cut in range(0, len(clean), max(1, len(clean) // 10)):
        open(summaries, "wb").write(clean[:cut])
        os.remove([p for p in _cache_files(project) if "results-" in p][0])
        assert invoke("app").output == first.output
    assert calls, "damaged entries were parsed again"


def test_a_copied_or_committed_cache_is_foreign(project, tmp_path, monkeypatch):
    first = invoke("app")
    import asynclint.summarize.collect as collect

    calls = []
    original = collect.summarize_bytes
    monkeypatch.setattr(collect, "summarize_bytes", lambda data: calls.append(1) or original(data))
    assert invoke("app", "--select", "ASL1").exit_code == 1 and calls == []  # our own cache: nothing parsed
    # the same cache files, read by another user or machine (another secret)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    second = invoke("app")
    assert second.output == first.output
    assert len(calls) == 3  # every file parsed again


def test_a_crafted_results_cache_cannot_say_all_clear(project, tmp_path, monkeypatch):
    import asynclint.cache.results as results

    real_encode = results._encode
    # the attacker's cache: a valid store, signed with the attacker's own secret, saying "nothing found"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "attacker"))
    monkeypatch.setattr(results, "_encode", lambda d, e, n, s, c, w: real_encode([], [], n, 0, c, w))
    invoke("app")
    monkeypatch.setattr(results, "_encode", real_encode)
    crafted = invoke("app")
    assert crafted.exit_code == 0 and "All clear" in crafted.output  # under the key that signed it, it is trusted
    # the victim's run: another secret, so the crafted entry is foreign
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "usercache"))
    honest = invoke("app")
    assert honest.exit_code == 1 and "ASL102" in honest.output and "ASL201" in honest.output


def test_a_symlinked_cache_directory_is_not_used(project, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".gitignore").write_text("keep me\n")
    os.symlink(outside, project / ".asynclint_cache")
    result = CliRunner().invoke(main, ["app"], catch_exceptions=False)
    assert result.exit_code == 1 and "ASL102" in result.stdout
    assert result.stderr.count("not using the cache") == 1 and "symbolic link" in result.stderr
    assert sorted(os.listdir(outside)) == [".gitignore"]
    assert (outside / ".gitignore").read_text() == "keep me\n"


def test_a_cache_directory_linked_to_the_project_itself_changes_nothing(project):
    (project / ".gitignore").write_text("*.log\n")
    os.symlink(".", project / ".asynclint_cache")
    for _ in range(2):
        result = invoke("app")
        assert result.exit_code == 1 and "(3 files checked)" in result.output
    assert (project / ".gitignore").read_text() == "*.log\n"
    assert not glob.glob(str(project / "*.cache")) and not (project / "CACHEDIR.TAG").exists()


def test_gitignore_is_written_only_in_a_directory_asynclint_creates(project):
    invoke("app")
    assert (project / ".asynclint_cache" / ".gitignore").read_text().endswith("*\n")
    assert (project / ".asynclint_cache" / "CACHEDIR.TAG").exists()
    shutil.rmtree(project / ".asynclint_cache")
    (project / ".asynclint_cache").mkdir()
    (project / ".asynclint_cache" / ".gitignore").write_text("mine\n")
    invoke("app")
    assert (project / ".asynclint_cache" / ".gitignore").read_text() == "mine\n"
    assert not (project / ".asynclint_cache" / "CACHEDIR.TAG").exists()
    assert _cache_files(project)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_key_readable_by_others_turns_caches_off(project, tmp_path):
    invoke("app")
    key = tmp_path / "usercache" / "asynclint" / "cache-key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    shutil.rmtree(project / ".asynclint_cache")
    os.chmod(key, 0o644)
    store_mod._KEYS.clear()
    result = CliRunner().invoke(main, ["app"], catch_exceptions=False)
    assert result.exit_code == 1 and "caches disabled" in result.stderr
    assert not (project / ".asynclint_cache").exists()


@pytest.fixture(params=["whole", "at offsets"])
def store_reads(request, monkeypatch):
    """A store file read whole at load, and one read at offsets (each value when first asked for):
    the same answers."""
    if request.param == "at offsets":
        if not hasattr(os, "pread"):
            pytest.skip("no os.pread here: store files are read whole")
        monkeypatch.setattr(store_mod, "_WHOLE_UP_TO", 0)
        monkeypatch.setattr(store_mod, "_WINDOW", 64)  # (many windows, heads across their edges)
    return request.param



def test_store_keeps_good_entries_and_drops_tampered_or_foreign_ones(tmp_path, monkeypatch, store_reads):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "u"))
    d = str(tmp_path / "c")
    s = Store(d, "x.cache", "ns-1", project=False)
    s.put(b"a", b"alpha")
    s.put(b"b", b"beta" * 100)
    assert s.save()
    assert bytes(Store(d, "x.cache", "ns-1", project=False).get(b"b")) == b"beta" * 100
    assert Store(d, "x.cache", "ns-2", project=False).get(b"a") is None  # another namespace
    path = os.path.join(d, "x.cache")
    raw = bytearray(open(path, "rb").read())
    raw[raw.index(b"alpha")] ^= 1  # damage the first entry's value only
    open(path, "wb").write(bytes(raw))
    again = Store(d, "x.cache", "ns-1", project=False)
    assert again.get(b"a") is None and bytes(again.get(b"b")) == b"beta" * 100 and again.rejected == 1
    for junk in (b"", b"asynclint-cache", b"\x00" * 100, bytes(raw[:30])):
        open(path, "wb").write(junk)
        assert list(Store(d, "x.cache", "ns-1", project=False).keys()) == []


def test_summaries_round_trip_exactly(fixtures_dir):
    paths = sorted(glob.glob(os.path.join(fixtures_dir, "**", "*.py"), recursive=True))
    assert len(paths) > 50
    for path in paths:
        summary = summarize_source(open(path, encoding="utf-8").read())
        assert decode_summary(encode_summary(summary)) == summary, path
    # the odd values of a summary: frozensets, integers beyond 64 bits, lone surrogates
    odd = ModuleSummary(globals={"big": ("k", 10 ** 40), "s": ("s", "\ud800x")}, noqa={3: frozenset({"ASL101"}), 4: None})
    fn = FunctionSummary("f", "f", True, 1, 0, 2)
    fn.calls.append(CallSite(2, 4, 2, 9, "call", ("g", "x"), "x", guards=(("p", "in", ("a",), True, frozenset({()})),)))
    odd.functions["f"] = fn
    back = decode_summary(encode_summary(odd))
    assert back == odd and isinstance(back.noqa[3], frozenset) and isinstance(back.functions["f"].calls, list)
    assert isinstance(back.functions["f"].calls[0].guards[0][4], frozenset)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifos_planted_as_cache_files_or_key_do_not_hang(project, tmp_path):
    cache_dir = project / ".asynclint_cache"
    cache_dir.mkdir()
    for kind in ("summaries", "results"):
        os.mkfifo(cache_dir / f"{kind}-{__version__}.cache")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "usercache"))
    proc = subprocess.run([sys.executable, "-m", "asynclint", "app"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1 and "ASL102" in proc.stdout and "Traceback" not in proc.stderr
    assert stat.S_ISREG(os.lstat(cache_dir / f"summaries-{__version__}.cache").st_mode)  # replaced, not written into
    key = tmp_path / "usercache" / "asynclint" / "cache-key"
    os.remove(key)
    os.mkfifo(key)
    proc = subprocess.run([sys.executable, "-m", "asynclint", "app"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1 and "caches disabled" in proc.stderr and "not a regular file" in proc.stderr


def test_a_cache_file_that_is_a_symlink_is_neither_read_nor_written_through(project, tmp_path):
    invoke("app")
    outside = tmp_path / "victim.txt"
    outside.write_text("precious\n")
    for path in _cache_files(project):
        os.remove(path)
        os.symlink(outside, path)
    result = invoke("app")
    assert result.exit_code == 1 and "ASL102" in result.output
    assert outside.read_text() == "precious\n"
    for path in _cache_files(project):
        assert not os.path.islink(path) and open(path, "rb").read(len(MAGIC)) == MAGIC


def test_a_save_that_changes_few_entries_appends_them_and_the_file_is_compacted_in_time(tmp_path, monkeypatch, store_reads):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "u"))
    d = str(tmp_path / "c")
    path = os.path.join(d, "x.cache")
    s = Store(d, "x.cache", "ns", project=False)
    for i in range(50):
        s.put(b"k%d" % i, bytes([i]) * 1000)
    assert s.save()
    whole = os.path.getsize(path)
    s = Store(d, "x.cache", "ns", project=False)
    s.put(b"k1", b"new one")
    s.discard(b"k2")
    s.retain({b"k%d" % i for i in range(50) if i != 3})
    assert s.save()
    grown = os.path.getsize(path) - whole
    assert 0 < grown < 400  # three small records appended, not 50 KB written again
    again = Store(d, "x.cache", "ns", project=False)
    assert bytes(again.get(b"k1")) == b"new one" and again.get(b"k2") is None and again.get(b"k3") is None
    assert bytes(again.get(b"k49")) == bytes([49]) * 1000 and len(again.keys()) == 48 and again.rejected == 0
    for n in range(200):  # one entry rewritten over and over: the file stays about the live entries' size
        again.put(b"k4", bytes([n % 256]) * 1000)
        assert again.save()
    assert os.path.getsize(path) < 2 * whole + (1 << 16) + 2000
    last = Store(d, "x.cache", "ns", project=False)
    assert bytes(last.get(b"k4")) == bytes([199]) * 1000 and len(last.keys()) == 48


def test_an_append_cut_short_or_a_forged_removal_loses_only_those_entries(tmp_path, monkeypatch, store_reads):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "u"))
    d = str(tmp_path / "c")
    path = os.path.join(d, "x.cache")
    s = Store(d, "x.cache", "ns", project=False)
    s.put(b"a", b"alpha" * 100)
    s.put(b"b", b"beta" * 100)
    assert s.save()
    size = os.path.getsize(path)
    s.put(b"a", b"changed" * 100)
    assert s.save() and os.path.getsize(path) > size
    with open(path, "r+b") as fh:  # the process writing the append was killed half-way
        fh.truncate(size + 40)
    torn = Store(d, "x.cache", "ns", project=False)
    assert bytes(torn.get(b"a")) == b"alpha" * 100 and bytes(torn.get(b"b")) == b"beta" * 100
    torn.put(b"c", b"gamma")
    assert torn.save()  # not appended after the torn bytes: written whole
    assert os.path.getsize(path) < 2 * size
    with open(path, "ab") as fh:  # a removal record of someone without the secret
        fh.write(store_mod._REC.pack(1, store_mod._REMOVED, b"\x00" * 32) + b"b")
    forged = Store(d, "x.cache", "ns", project=False)
    assert bytes(forged.get(b"b")) == b"beta" * 100 and forged.rejected == 1


def test_a_value_is_authenticated_when_first_read_and_a_damaged_one_is_never_given_nor_written_again(
        tmp_path, monkeypatch, store_reads):
    d, path = _filled_store(tmp_path, monkeypatch, 20, 500, 65)
    raw = bytearray(open(path, "rb").read())
    raw[raw.index(bytes([65 + 7]) * 500) + 100] ^= 1  # one value damaged
    open(path, "wb").write(bytes(raw))
    checked = []
    real = store_mod.Store._check
    heads = []  # (the record of the heads a whole write puts first, authenticated at load)

    def check(self, tag, record):
        is_heads = bytes(record[store_mod._REC.size:store_mod._REC.size + len(store_mod._HEADS)]) == store_mod._HEADS
        (heads if is_heads else checked).append(tag)
        return real(self, tag, record)

    monkeypatch.setattr(store_mod.Store, "_check", check)
    lazy = Store(d, "x.cache", "ns", project=False)
    # no value authenticated before it is asked for
    assert checked == [] and lazy.rejected == 0 and len(heads) == 1
    assert bytes(lazy.get(b"k3")) == bytes([68]) * 500 and len(checked) == 1
    assert bytes(lazy.get(b"k3")) == bytes([68]) * 500 and len(checked) == 1  # (once)
    assert lazy.get(b"k7") is None and lazy.rejected == 1 and b"k7" not in lazy
    assert b"k8" in lazy and len(lazy.keys()) == 19  # keys() authenticates every entry left
    lazy.put(b"new", b"x" * 100)
    monkeypatch.setattr(store_mod, "_SLACK", -(1 << 20))  # (written whole, as a compaction is)
    assert lazy.save()
    again = Store(d, "x.cache", "ns", project=False)
    assert len(again.keys()) == 20 and again.rejected == 0 and again.get(b"k7") is None


def _filled_store(tmp_path, monkeypatch, entries: int, size: int, first: int) -> tuple:
    """(directory, path) of a saved store of ``entries`` values ``k<i>``: ``size`` bytes ``first + i``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "u"))
    d = str(tmp_path / "c")
    s = Store(d, "x.cache", "ns", project=False)
    for i in range(entries):
        s.put(b"k%d" % i, bytes([first + i]) * size)
    assert s.save()
    return d, os.path.join(d, "x.cache")


@pytest.mark.skipif(not hasattr(os, "pread"), reason="store files are read whole here")
def test_a_large_store_reads_each_value_when_asked_from_the_file_as_it_was_opened(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "u"))
    monkeypatch.setattr(store_mod, "_WHOLE_UP_TO", 1000)
    monkeypatch.setattr(store_mod, "_WINDOW", 100)
    d, path = _filled_store(tmp_path, monkeypatch, 30, 3000, 48)
    size = os.path.getsize(path)
    reads = []
    real = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, pos: reads.append(n) or real(fd, n, pos))
    opened = Store(d, "x.cache", "ns", project=False)
    assert sum(reads) < size // 2  # the records' heads, not their values
    reads.clear()
    assert bytes(opened.get(b"k4")) == bytes([52]) * 3000 and 3000 < sum(reads) < 3100
    # replaced by another process's save: this store still answers from the file it opened
    other = Store(d, "x.cache", "ns", project=False)
    other.put(b"k5", b"changed")
    monkeypatch.setattr(store_mod, "_SLACK", -(1 << 20))
    assert other.save()
    assert bytes(opened.get(b"k5")) == bytes([53]) * 3000
    # cut short (by someone else: asynclint never truncates one): what is gone is not given, nothing fails
    later = Store(d, "x.cache", "ns", project=False)
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) // 2)
    assert later.get(b"k29") is None and later.rejected == 1 and bytes(later.get(b"k0")) == bytes([48]) * 3000


SUMMARIZED = '''import requests


async def handler(user_id):
    return fetch(user_id)


def fetch(user_id):
    return requests.get(f"https://example.com/{user_id}").json()
'''


def _damage_rest(root, path: str) -> None:
    """Flip a byte of the stored rest of ``path``'s summary (its names left as they are)."""
    from asynclint.cache.summaries import SummaryCache

    digest = SummaryCache.digest(open(path, "rb").read())
    cache_file = os.path.join(root, ".asynclint_cache", f"summaries-{__version__}.cache")
    raw = bytearray(open(cache_file, "rb").read())
    at = raw.rindex(digest + b"+") + 33 + 20
    raw[at] = (raw[at] + 1) % 256
    open(cache_file, "wb").write(bytes(raw))


def _summarized_project(tmp_path, monkeypatch) -> tuple:
    """(root, path of its ``app/main.py``) of a project of two modules, ``SUMMARIZED`` and a constant."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "u"))
    root = tmp_path / "p"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(SUMMARIZED)
    (root / "app" / "other.py").write_text("X = 1\n")
    path = str(root / "app" / "main.py")
    return root, path


def test_a_summary_whose_rest_is_damaged_is_made_again_from_its_file_or_the_run_reads_afresh(
        tmp_path, monkeypatch, store_reads):
    from asynclint.cache.summaries import StaleSummary, SummaryCache
    from asynclint.engine import Options, run

    root, path = _summarized_project(tmp_path, monkeypatch)
    fresh = summarize_source(SUMMARIZED)
    rows = lambda result: sorted((d.path, d.line, d.code) for d in result.diagnostics)  # noqa: E731
    expected = rows(run([str(root)], Options(use_cache=False, jobs=1)))
    assert expected and rows(run([str(root)], Options(jobs=1))) == expected

    _damage_rest(str(root), path)
    cache = SummaryCache(str(root))
    got = cache.lookup_stat(path, os.stat(path))
    assert list(got.functions) == ["handler", "fetch"] and cache.store.rejected == 0  # (its names only)
    assert got == fresh and cache.store.rejected == 1  # the rest, made again from the file
    cache.save()
    assert SummaryCache(str(root)).lookup_stat(path, os.stat(path)) == fresh  # and stored again

    _damage_rest(str(root), path)
    for name in os.listdir(root / ".asynclint_cache"):  # a run that reads every summary
        if name.startswith(("results-", "analysis-", "warm-")):
            os.remove(root / ".asynclint_cache" / name)
    assert rows(run([str(root)], Options(jobs=1))) == expected

    _damage_rest(str(root), path)
    cache = SummaryCache(str(root))
    got = cache.lookup_stat(path, os.stat(path))
    (root / "app" / "main.py").write_text(SUMMARIZED + "\n\ndef more():\n    pass\n")  # that text is gone
    with pytest.raises(StaleSummary):
        got.globals
    # (a run whose file changes while it reads that summary: run again, reading no cache)
    now = rows(run([str(root)], Options(use_cache=False, jobs=1)))
    assert now == expected and rows(run([str(root)], Options(jobs=1))) == now
    _damage_rest(str(root), path)
    for name in os.listdir(root / ".asynclint_cache"):
        if name.startswith(("results-", "analysis-", "warm-")):
            os.remove(root / ".asynclint_cache" / name)
    stale = []
    monkeypatch.setattr(SummaryCache, "rest_again", lambda self, digest: stale.append(digest) or [][0])
    with pytest.raises(IndexError):
        run([str(root)], Options(jobs=1))
    monkeypatch.setattr(SummaryCache, "rest_again",
                        lambda self, digest: stale.append(digest) or (_ for _ in ()).throw(StaleSummary()))
    assert rows(run([str(root)], Options(jobs=1))) == now and len(stale) == 2


def test_a_summary_damaged_that_a_run_reads_late_is_made_again_from_its_file(tmp_path, monkeypatch, store_reads):
    """A run that may be answered by the results kept (``collect_summaries(equivalence=True)``) reads the
    summaries of the files that did not change only when it needs them (``Collected.fill``): one
    whose entry is damaged is then made again from its file, reported as before and stored again."""
    from asynclint.cache.summaries import SummaryCache
    from asynclint.engine import Options, run

    root, path = _summarized_project(tmp_path, monkeypatch)
    rows = lambda result: sorted((d.path, d.line, d.code) for d in result.diagnostics)  # noqa: E731
    expected = rows(run([str(root)], Options(use_cache=False, jobs=1)))
    assert expected and rows(run([str(root)], Options(jobs=1, result_cache=True))) == expected

    digest = SummaryCache.digest(open(path, "rb").read())
    cache_file = os.path.join(root, ".asynclint_cache", f"summaries-{__version__}.cache")
    raw = bytearray(open(cache_file, "rb").read())
    # (the entry whose key is the digest, its names: a record is its key's length, 2 bytes, the value's,
    # 4, a tag of 32, then the key and the value; the last such: the record that counts, not its head
    # among those a whole write puts first)
    at = max(i for i in range(38, len(raw)) if raw.startswith(digest, i) and raw[i - 38:i - 36] == b"\x20\x00")
    raw[at + 34] = (raw[at + 34] + 1) % 256  # (a byte of its value: the entry no longer authenticates)
    open(cache_file, "wb").write(bytes(raw))
    (root / "app" / "other.py").write_text("X = 2\n")  # (an edit that changes a summary: every one is read)
    assert rows(run([str(root)], Options(jobs=1, result_cache=True))) == expected
    fresh = summarize_source(SUMMARIZED)
    cache = SummaryCache(str(root))
    assert cache.lookup_stat(path, os.stat(path)) == fresh and cache.store.rejected == 0  # stored again


@pytest.mark.skipif(not hasattr(os, "pread"), reason="store files are read whole here")
def test_a_large_store_is_opened_from_the_heads_its_last_whole_write_put_first(tmp_path, monkeypatch):
    """A whole write puts the heads of its records (lengths, tag, key) first, as one authenticated
    record: opening the store reads those, not a window at every record of the file; records appended
    since are read one by one after them. Heads damaged or cut short: every record is read, as before."""
    monkeypatch.setattr(store_mod, "_WHOLE_UP_TO", 1000)
    monkeypatch.setattr(store_mod, "_WINDOW", 100)
    d, path = _filled_store(tmp_path, monkeypatch, 30, 3000, 48)
    appended = Store(d, "x.cache", "ns", project=False)
    appended.put(b"k30", b"appended")
    appended.discard(b"k2")
    assert appended.save() and os.path.getsize(path) > 30 * 3000
    reads = []
    real = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, pos: reads.append(n) or real(fd, n, pos))

    def opened() -> Store:
        reads.clear()
        return Store(d, "x.cache", "ns", project=False)

    def answers(s: Store) -> list:
        return [bytes(s.get(k)) for k in s.names()]

    s = opened()
    assert sum(reads) < 2 * 30 * (store_mod._REC.size + 3) + 400  # the heads, and the appended records
    assert s.names() == [b"k%d" % i for i in range(30) if i != 2] + [b"k30"] and s.rejected == 0
    expected = answers(s)
    assert expected[-1] == b"appended" and expected[0] == bytes([48]) * 3000

    raw = bytearray(open(path, "rb").read())
    raw[store_mod._HEAD.size + store_mod._REC.size + len(store_mod._HEADS) + 10] ^= 1  # a byte of the heads
    open(path, "wb").write(bytes(raw))
    s = opened()
    # every record read instead (the heads counted as an entry dropped)
    assert sum(reads) > 30 * 100 and answers(s) == expected and s.rejected == 1

    with pytest.raises(ValueError):
        s.put(store_mod._HEADS, b"")  # (a key the store keeps for itself)
