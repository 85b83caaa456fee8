"""What a file-system call works on: the paths and file objects named at a call site.

Used to group the calls of one file access into one cause (``findings``) and
to tell when a helper's file access depends on a parameter the caller may
fill with an in-memory file (``propagate``).
"""

from __future__ import annotations

from ..model import CallSite


def file_subjects(site: CallSite) -> set:
    """What a file-system call works on, as the summary wrote it: the paths and file objects among
    its arguments and receiver (``open(p)``, ``Path(p).read_text()``, ``json.load(fh)`` with ``fh``
    from ``open(p)``, ``CACHE.open()``), and the file object the call itself opens."""
    exprs = list(site.args) + [v for _, v in site.kwargs]
    if site.kind == "call" and site.callee[0] == "a":
        exprs.append(site.callee[1])  # a method: its receiver
    elif site.kind in ("with", "iter"):
        exprs.append(site.callee)  # with open(p) as fh: / for line in fh:
    out = {key for key in map(_subject, exprs) if key is not None}
    if site.kind == "call":
        out.add(_opened(site.callee, site.args[0] if site.args else None))
    out.discard(None)
    return out


def _opened(func, arg0):
    """A file object by the call that opened it: ``open(p)`` is the path ``p``, ``CACHE.open()`` the
    path ``CACHE``, ``NamedTemporaryFile()`` the call itself."""
    if arg0 is not None:
        return _subject(arg0)
    if func[0] == "a" and func[2] == "open":
        return _subject(func[1])
    return ("opened", func)


def _subject(e):
    for _ in range(8):
        if e is None:
            return None
        kind = e[0]
        if kind in ("en", "aw", "part"):
            e = e[1]
        elif kind == "alt":
            e = e[2]
        elif kind == "either" and e[1] == ("k", None):
            e = e[2]  # name = None, then name = the path: the path
        elif kind == "either" and e[2] == ("k", None):
            e = e[1]
        elif kind == "c":
            return _opened(e[1], e[2])
        else:
            break
    return e if e[0] not in ("u", "k") else None
