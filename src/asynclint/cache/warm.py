"""The report of a run that changed nothing, answered before the rest of asynclint is imported.

``asynclint check`` with nothing changed since the same command last ran prints
what it printed then. The result cache (``results``) knows that only after the
configuration is parsed, the project walked and every file stat'ed, with the
CLI and the engine imported: several times the interpreter's own start-up.
This cache answers first, from the command's own entry point (``launch``),
importing nothing but the store.

An entry is made by a ``check`` that only reports (no ``--fix``, ``--diff``,
``--watch``, ``--output``, ``--no-cache``) and said nothing else (no
unreadable path, no cache notice). Its key is the command's context: the
arguments as given, the working directory, asynclint's version, the
interpreter, the environment variables asynclint reads, whether each output
stream is a terminal and its encoding. Its value is what was written on
stdout and stderr, the exit status, and a *witness*: every path the run's
answer depends on with what ``os.stat`` said of it before the run read or
listed it, or that it was not there (for a marker only looked for: that it
was):

- every file of the run (reported or linked against);
- every directory discovery walked (a file added, removed or renamed in one
  changes its mtime), stat'ed before it was listed, and the ``.gitignore``
  files read;
- the paths named, and in each of their directories and every one above up
  to the file system's root: the project markers (``pyproject.toml``,
  ``setup.cfg``, ``setup.py``, ``.git``: what the project root and the
  configuration are found from) and ``.venv``/``venv`` with what would make
  them environments; ``--config``'s file; ``$VIRTUAL_ENV``;
- with an environment: its directory, ``pyvenv.cfg``, its ``lib`` folders and
  their ``python3.X`` folders, each site-packages directory and the ``.pth``
  and editable finder files in them, and the library files outside it the
  results rest on;
- asynclint's own modules and catalog files, and their directories.

A stamp is mtime (ns), size, inode and ctime (ns): a file edited in place
changes its mtime and ctime, one replaced changes its inode. The answer is
given only when every path of the witness stats the same now, but for files
of the run whose text is the one the run analysed (touched, saved unchanged,
written again by ``git stash pop``: the SHA-256 of each file's text is kept
beside the answer, and read only when a file's stamp changed); anything else
runs the normal pipeline, which asks the result cache (and answers a file
saved unchanged from its content) and records a new entry. No entry is made
when a path changed within a tick of the file system's clock before the run
stat'ed it (``_racy``).

Each command's answer is a file of the project root's cache directory,
``.asynclint_cache/warm-<version>-<key>.cache`` (the ``KEEP`` most recent are
kept), a ``store.Store``: authenticated with the installation's secret (read
with the interpreter's own SHA-256: OpenSSL would take longer to load than the
check), decoded with ``codec`` (built-in data only): a cache file planted in a
repository is rejected and can run no code. The entry point finds that
directory from the paths named on the command line (the nearest directory
above them holding a project marker, as ``discover.project_root``); a run
whose root has no marker is not recorded.
"""

from __future__ import annotations

import gc
import os
import stat
import struct
import sys
import time

from .. import __version__
from ..fsio import read_regular, stat_or_none
from ..launch import named_paths
from ..markers import marker_root as marker_root_of
from . import codec
from .store import PROJECT_DIR, Store, _said, project_cache_dir, sha256

_FORMAT = 1
PREFIX = "warm-"  # .asynclint_cache/warm-<version>-<the command's key>.cache
_NAMESPACE = f"warm/{_FORMAT}/{__version__}/{codec.VERSION}"
KEEP = 4  # commands whose answers are kept (a whole project's, a few files', other options)
_STAMP = struct.Struct("<qQQq")  # a stamp as stored

# looked for in every directory above the paths named: those read (the configuration) or looked into
# (an environment) with their stamps; the others only as being there or not (``.git`` changes with
# every commit)
_STAMPED = ("pyproject.toml", ".venv", "venv")
_THERE = ("setup.cfg", "setup.py", ".git")
# environment variables that change what a check reports or where it reads from
_ENV = ("ASYNCLINT_PYTHON", "VIRTUAL_ENV", "PRE_COMMIT", "CI", "NO_COLOR", "XDG_CACHE_HOME", "HOME",
        "PYTHONIOENCODING", "PYTHONUTF8")


def marker_root(paths) -> str | None:
    """The nearest directory at or above the paths named that holds a project marker (the project
    root ``discover.project_root`` finds when there is one), or None."""
    dirs = []
    for p in paths:
        p = os.path.abspath(p)
        if os.path.isdir(p):
            dirs.append(p)
        elif os.path.isfile(p):
            dirs.append(os.path.dirname(p))
    if not dirs:
        dirs = [os.path.abspath(p) for p in paths]
    try:
        d = os.path.commonpath(dirs)
    except ValueError:
        d = dirs[0]
    return marker_root_of(d)


def context(args) -> bytes | None:
    """The key of the command ``args`` in this process's circumstances (None: none can be made)."""
    try:
        streams = tuple((s.isatty(), s.encoding, s.errors) for s in (sys.stdout, sys.stderr))
        where = os.getcwd()
    except (AttributeError, OSError, ValueError):  # (a stream closed or replaced, the directory gone)
        return None
    key = (_FORMAT, __version__, sys.version, sys.executable, where, tuple(args),
           tuple(os.environ.get(k) for k in _ENV), streams)
    return sha256(repr(key).encode("utf-8", "surrogatepass"))


def file_name(key: bytes) -> str:
    """The file of the answer kept under ``key`` (one a command: a lookup reads and checks only its own)."""
    return f"{PREFIX}{__version__}-{key[:10].hex()}.cache"


def _store(root: str, key: bytes, load: bool = True) -> Store | None:
    """The store of ``key``'s answer: read (``load``) with the interpreter's own SHA-256; written
    (not read: the answer replaces it) with OpenSSL's, quicker by the byte and loaded by then."""
    directory = project_cache_dir(root)
    if directory is None:
        return None
    store = Store(directory, file_name(key), _NAMESPACE, load=load, builtin_sha=load)
    return store if store.enabled else None


def lookup(args):
    """(outputs, status) the same command printed last time when nothing it depends on changed
    since (``outputs``: (1 for stdout or 2 for stderr, text) in order); else None."""
    paths = named_paths(args)
    if paths is None:
        return None
    root = marker_root(paths)
    key = context(args) if root is not None else None
    if key is None or not os.path.isfile(os.path.join(root, PROJECT_DIR, file_name(key))):
        return None
    store = _store(root, key)
    blob = store.get(key) if store is not None else None
    if blob is None:
        return None
    try:
        groups, flags, stamps, outputs, status = codec.loads(blob)
        if type(status) is not int or not all(type(s) is int and type(t) is str for s, t in outputs):
            return None
        expected = _STAMP.iter_unpack(stamps)
    except Exception:  # (authenticated, so written by this code: cannot happen unless a bug)
        return None
    if not holds(groups, flags, expected, same_text=_SameText(store, key)):
        return None
    return outputs, status


def holds(groups, flags, expected, *, same_text=None, now=None) -> bool:
    """Does every path of a packed witness (``_packed``: ``expected`` its stamps, unpacked one by one)
    stat as it did, or is it, where its stamp changed, a file whose text is the same (``same_text``:
    (path, ``os.stat`` result) -> bool)? ``now``: a dict to fill with what the paths stat now (the
    witness itself, when it holds)."""
    exists = os.path.exists
    for path, there in flags:
        if exists(path) is not there:
            return False
        if now is not None:
            now[path] = True if there else None
    st = os.stat
    try:
        for directory, names in groups:
            for name in names:
                s = st(directory + name)
                if (s.st_mtime_ns, s.st_size, s.st_ino, s.st_ctime_ns) != next(expected) and \
                        (same_text is None or not same_text(directory + name, s)):
                    return False
                if now is not None:
                    now[directory + name] = s
    except (OSError, ValueError, StopIteration):
        return False
    return next(expected, None) is None


_TEXTS = b"#texts"  # (appended to a command's key) path -> SHA-256 of the text the run analysed


class _SameText:
    """Is a file of the run whose stamp changed the text the run analysed (saved unchanged, touched,
    checked out again: its digest is the one kept beside the answer, ``Recorder.save``)? The digests
    are read at the first such file: an answer whose stamps all hold never reads them."""

    def __init__(self, store, key: bytes):
        self.store, self.key = store, key
        self.digests = None

    def __call__(self, path: str, st) -> bool:
        if self.digests is None:
            blob = self.store.get(self.key + _TEXTS)
            self.digests = codec.loads(blob) if blob is not None else {}
            if type(self.digests) is not dict:
                self.digests = {}
        digest = self.digests.get(path)
        if digest is None or not stat.S_ISREG(st.st_mode):
            return False  # (a directory, a marker, asynclint's own file: no text of the run's)
        # (a FIFO since, or grown since: OSError, and the check runs)
        return sha256(read_regular(path, st.st_size)) == digest


def answer(args) -> None:
    """Ends the process with the same command's last report when nothing it depends on changed;
    returns otherwise (the caller then runs the command)."""
    try:
        hit = lookup(args)
    except Exception:  # anything unexpected: the normal run answers
        return
    if hit is None:
        return
    outputs, status = hit
    try:
        for fd, text in outputs:
            (sys.stderr if fd == 2 else sys.stdout).write(text)
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # (a reader that went away)
    os._exit(status)


def ancestors_witness(paths, config_path, into: dict) -> None:
    """Into ``into``, path -> ``os.stat`` result (None: not there; True: there) of what the project
    root, the configuration and the environment are found from: in each directory at or above the
    paths named, the markers and ``.venv``/``venv`` (with what would make them environments);
    ``--config``'s file; ``$VIRTUAL_ENV``'s directory."""
    seen = set()
    for p in list(paths) + [os.getcwd()]:
        d = os.path.abspath(p)
        while d not in seen:
            seen.add(d)
            for name in _STAMPED:
                full = os.path.join(d, name)
                st = into[full] = stat_or_none(full)
                if name != "pyproject.toml" and st is not None:
                    _environment_dirs(full, into)
            for name in _THERE:
                full = os.path.join(d, name)
                into[full] = True if os.path.exists(full) else None
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    if config_path:
        into[os.path.abspath(config_path)] = stat_or_none(config_path)
    active = os.environ.get("VIRTUAL_ENV")
    if active:
        _environment_dirs(os.path.abspath(active), into)


def _environment_dirs(prefix: str, into: dict) -> None:
    """What makes ``prefix`` an environment (``environment.site_packages_of``): its ``lib``, ``lib64``
    and ``Lib`` folders and their ``python3.X`` folders (a site-packages appearing in one changes it),
    ``pyvenv.cfg``."""
    into[prefix] = stat_or_none(prefix)
    into[os.path.join(prefix, "pyvenv.cfg")] = stat_or_none(os.path.join(prefix, "pyvenv.cfg"))
    for lib in ("lib", "lib64", "Lib"):
        _listed(os.path.join(prefix, lib), lambda name: name.startswith(("python3", "pypy3")), into)


def environment_witness(env, into: dict) -> None:
    """Into ``into``, path -> ``os.stat`` result (None: not there) of what the environment's
    libraries are found from (see the module's docstring)."""
    _environment_dirs(env.prefix, into)
    for site in env.site_packages:
        _listed(site, lambda name: name.endswith(".pth") or name.startswith("__editable__")
                and name.endswith("_finder.py"), into)


def _listed(folder: str, wanted, into: dict) -> None:
    """Into ``into``, the stamps of ``folder`` and of the entries of it that ``wanted`` (name -> bool) takes."""
    into[folder] = stat_or_none(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if wanted(name):
            full = os.path.join(folder, name)
            into[full] = stat_or_none(full)


def _packed(witness: dict, started: int) -> tuple | None:
    """The witness (path -> ``os.stat`` result, None or True) as stored: (groups, flags, stamps).
    ``groups``: (directory with a trailing separator, names in it) of the paths stat'ed, whose
    stamps are ``stamps``, packed in that order; ``flags``: (path, whether it exists) of the paths
    only looked for or not there. None when a path was changed too shortly before ``started`` (the
    time the run began stat'ing) for a change after it to be sure to change its stamp."""
    by_dir: dict = {}
    flags = []
    sep = os.sep
    pack = _STAMP.pack
    recent = started - max(FINE_TICK, COARSE_TICK)
    for path, st in witness.items():
        if st is None or st is True:
            flags.append((path, st is True))
            continue
        mtime, ctime = st.st_mtime_ns, st.st_ctime_ns
        if (mtime > recent or ctime > recent) and (_racy(mtime, started) or _racy(ctime, started)):
            return None
        head, _, name = path.rpartition(sep)
        group = by_dir.get(head)
        if group is None:
            group = by_dir[head] = [[], [], mtime]
        group[0].append(name)
        group[1].append(pack(mtime, st.st_size, st.st_ino, ctime))
        if mtime > group[2]:
            group[2] = mtime
    # the folders changed last first: a file edited since is most often one edited shortly before
    # (checked first, a miss costs a few stats instead of most of them)
    order = sorted(by_dir, key=lambda head: by_dir[head][2], reverse=True)
    groups = tuple((head + sep, tuple(by_dir[head][0])) for head in order)
    return groups, tuple(flags), b"".join(b"".join(by_dir[head][1]) for head in order)


# A file system stamps changes with a clock that ticks coarsely: a few milliseconds on Linux (the
# kernel's coarse clock), a second or two on some file systems (whose times are whole milliseconds or
# coarser). A path changed within a tick before the run stat'ed it could change again after, within
# the same tick, and keep its stamp: an answer resting on it is not kept (git's "racily clean" entries).
FINE_TICK = 50_000_000  # ns
COARSE_TICK = 2_000_000_000


def _racy(when: int, started: int) -> bool:
    return when > started - (COARSE_TICK if when % 1_000_000 == 0 else FINE_TICK)


class Recorder:
    """What one ``check`` process writes, kept as the answer to the same command (``save``)."""

    def __init__(self, args):
        self.args = list(args)
        self.outputs: list = []
        self._notices = len(_said)  # (a notice about the caches made meanwhile: no answer is kept)
        self.started = time.time_ns()  # (before this process stat'ed anything of the run)

    def write(self, err: bool, text: str) -> None:
        if self.outputs is None:
            return
        if "\x1b" in text:
            try:
                terminal = (sys.stderr if err else sys.stdout).isatty()
            except (AttributeError, OSError, ValueError):
                terminal = False
            if not terminal:  # click takes colour codes out of what it writes there: not this text
                self.outputs = None
                return
        self.outputs.append((2 if err else 1, text))

    def save(self, witness, root, status: int, digests=None) -> bool:
        """Keep what was written and ``status`` as the answer while ``witness`` (path -> stamp or
        None) holds; only when the entry point will find it (the project root it finds is ``root``).
        ``digests``: path -> SHA-256 of the text the run analysed, for its files: one whose stamp
        changed and whose text did not still has this answer."""
        paths = named_paths(self.args)
        if len(_said) != self._notices:
            return False
        if witness is None or self.outputs is None or paths is None or root is None or marker_root(paths) != root:
            return False
        key = context(self.args)
        store = _store(root, key, load=False) if key is not None else None
        if store is None:
            return False
        witness = dict(witness)
        started = witness.pop("", self.started)  # (when the run began to stat: see engine.Result.witness)
        enabled = gc.isenabled()
        gc.disable()  # (after an analysis, a collection would walk its millions of objects for nothing)
        try:
            packed = _packed(witness, min(started, time.time_ns()))
        finally:
            if enabled:
                gc.enable()
        if packed is None:
            return False
        try:
            blob = codec.dumps(packed + (tuple(self.outputs), int(status)))
        except (ValueError, struct.error):
            return False
        store.put(key, blob)
        if digests:
            texts = {path: digest for path, digest in digests.items() if path in witness}
            store.put(key + _TEXTS, codec.dumps(texts))
        if not store.save():
            return False
        _prune(store.directory, store.name)
        return True


def _prune(directory: str, keep: str, prefix: str = PREFIX, most: int = KEEP) -> None:
    """Remove all but the ``most`` most recent files named ``prefix``... (``keep`` among them)."""
    try:
        with os.scandir(directory) as it:
            found = [(e.stat().st_mtime_ns, e.name) for e in it if e.name.startswith(prefix) and e.name != keep]
    except OSError:
        return
    found.sort(reverse=True)
    for _, name in found[most - 1:]:
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass
