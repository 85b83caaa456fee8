"""The code ``dataclasses`` generates for asynclint's classes, compiled once and kept.

Defining a dataclass compiles its ``__init__``, ``__repr__``, ``__eq__``...
from source text that ``dataclasses`` writes out, every time the class is
defined: about half a millisecond a class, some 25 ms of every check's
start-up for the forty-odd classes a check defines (a third of its imports).
Python keeps no such code in ``__pycache__``; this module does. ``install``
has ``dataclasses`` run through ``_exec`` (the name it calls ``exec`` by),
which compiles a text once and reuses the code object; ``save`` writes what
was compiled (``marshal``) beside the package's own bytecode, and the next
process reads it back instead of compiling.

What is kept and where:

- only the methods of classes defined in asynclint's own modules (a class of
  another package defined in the same process goes through unchanged);
- keyed by the exact source text, so a changed class simply misses;
- in ``asynclint/__pycache__``, which is as trusted as the ``.pyc`` files
  beside it (never a project directory nor anything a checked repository
  can plant), and read only when its header names this very interpreter;
- where that directory cannot be written, or Python is told to write no
  bytecode (``-B``), nothing is kept (classes are compiled as ``dataclasses``
  does by itself).
"""

from __future__ import annotations

import marshal
import os
import sys


def _where() -> str:
    """Beside the package's ``.pyc`` files: its ``__pycache__``, or the same place under
    ``sys.pycache_prefix`` when bytecode goes to a tree of its own (``PYTHONPYCACHEPREFIX``)."""
    package = os.path.dirname(os.path.abspath(__file__))
    name = f"dataclass-methods.{sys.implementation.cache_tag}.bin"
    prefix = getattr(sys, "pycache_prefix", None)
    if prefix:
        return os.path.join(prefix, os.path.splitdrive(package)[1].lstrip(os.sep), name)
    return os.path.join(package, "__pycache__", name)


_PATH = _where()
# a code object is only valid for the interpreter that compiled it
_HEADER = f"asynclint dataclass methods 1 {sys.implementation.cache_tag} {sys.version}\n".encode()

_codes: dict = {}  # source text -> code object
_used: set = set()  # the texts this process executed
_state = {"installed": False, "new": False}
# kept texts beyond which a save keeps only those this process used (classes edited over and over in a
# checkout of asynclint's own leave stale ones; an installed release defines the same ~150 every run)
_MOST = 1000


def _ours(globals_) -> bool:
    name = globals_.get("__name__") if type(globals_) is dict else None
    return type(name) is str and (name == "asynclint" or name.startswith("asynclint."))


def _exec(source, globals_=None, locals_=None):
    """``exec`` as ``dataclasses`` calls it, with the code of asynclint's classes compiled once."""
    if type(source) is str and globals_ is not None and _ours(globals_):
        code = _codes.get(source)
        if code is None:
            code = _codes[source] = compile(source, "<string>", "exec")
            _state["new"] = True
        _used.add(source)
        return exec(code, globals_, locals_)
    return exec(source, globals_, locals_)


def _load(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return {}
    if not data.startswith(_HEADER):
        return {}
    try:
        codes = marshal.loads(memoryview(data)[len(_HEADER):])
    except (EOFError, ValueError, TypeError):
        return {}
    if type(codes) is not dict:
        return {}
    return {k: v for k, v in codes.items() if type(k) is str and type(v) is type(_load.__code__)}


def install() -> None:
    """From now on, asynclint's dataclasses are made from the kept code where there is some. Call it
    before the modules that define them are imported; again is a no-op."""
    if _state["installed"]:
        return
    _state["installed"] = True
    import dataclasses

    if getattr(dataclasses, "exec", exec) is not exec:
        return  # (someone else routes it already: leave theirs alone)
    _codes.update(_load(_PATH))
    dataclasses.exec = _exec
    import atexit

    atexit.register(save)


def save() -> None:
    """Write the code compiled since the file was read, when there is some (a process that ends with
    ``os._exit`` calls this first). Never fails: a directory that cannot be written keeps nothing."""
    if not _state["new"] or sys.dont_write_bytecode:  # (-B, PYTHONDONTWRITEBYTECODE: no bytecode written)
        return
    _state["new"] = False
    directory = os.path.dirname(_PATH)
    tmp = f"{_PATH}.{os.getpid()}.tmp"
    try:
        kept = _codes if len(_codes) <= _MOST else {k: v for k, v in _codes.items() if k in _used}
        data = _HEADER + marshal.dumps(dict(kept))
        os.makedirs(directory, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, _PATH)  # (whole or not at all: another process may be reading it)
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass
