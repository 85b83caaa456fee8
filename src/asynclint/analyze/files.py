"""What a file-system call works on: the paths and file objects named at a call site.

Used to group the calls of one file access into one cause (``findings``) and
to tell when a helper's file access depends on a parameter the caller may
fill with an in-memory file (``propagate``).
"""

from __future__ import annotations

from typing import Optional

from ..link.values import Sym
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
        elif kind == "alt" or kind == "cast":
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


# ------------------------------------------------------------------ grouping one coroutine's findings
#
# ``access_subjects`` names the file a blocking call works on, for ``findings`` to show the calls of
# one file access in a coroutine as one cause. Unlike ``file_subjects`` it knows, through the linked
# project (``Names``), a module from an object (``os.access(p, os.X_OK)`` works on ``p``, not on
# ``os``), and it reads only the arguments that are paths or files (not ``open``'s mode, not the data
# ``json.dump`` writes). A name derived from a path in the function stands for that path: a
# sibling (``p.with_suffix(".tmp")``), the same name spelled again (``str(p)``, ``Path(p)``), the
# file object opened from it and that object's ``.name``. A file in a folder (``d / "x"``,
# ``os.path.join(d, x)``) is ``("div", d)`` and the folder of a path (``p.parent``,
# ``os.path.dirname(p)``) is ``("up", p)`` (the folder of ``d / "x"`` is ``d``): not the same path,
# but ``near`` it, so that making or listing a folder joins the calls on a file in it without
# joining two files in it that the function never relates (the summary keeps only the folder of a
# child, so two files in one folder are one key).

# the arguments of a library function that are paths or files: the first, except for these
_DATA_FIRST = frozenset({"dump", "dump_all", "safe_dump", "safe_dump_all"})  # (obj, file)
_TWO_PATHS = frozenset({"copy", "copy2", "copyfile", "copytree", "move", "rename", "renames", "replace", "link",
                        "symlink", "copyfileobj", "copymode", "copystat", "samefile", "save"})
# methods whose first argument is a path too (besides the object they are called on)
_PATH_ARG_METHODS = frozenset({"rename", "replace", "symlink_to", "hardlink_to", "link_to", "samefile", "copy",
                               "copy_into", "move", "move_into", "copytree", "save", "extract", "extractall"})
_PATH_KEYWORDS = frozenset({"file", "path", "filename", "fname", "filepath", "file_path", "fp", "dir", "src",
                            "dst", "fd", "stream", "target"})
# methods whose result names the same file as the object they are called on
_SAME_FILE_METHODS = frozenset({"with_name", "with_suffix", "with_stem", "resolve", "absolute", "expanduser",
                                "relative_to", "as_posix", "open", "__fspath__"})
_SAME_FILE_ATTRS = frozenset({"name"})
# library functions and classes that build a file in a folder when given more than one part
_JOINS = frozenset({"join", "Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "joinpath"})
_FOLDER_OF = frozenset({"dirname"})
_MODE = frozenset("rwxabtU+")
# forms that never name a file: literals other than strings, collections, classes, injected values
_NOT_A_FILE = frozenset({"u", "k", "list", "seqof", "tup", "mapof", "i", "opt", "d", "self", "cls", "sup", "dep",
                         "callargs", "tal"})


class Names:
    """What the globals and receivers written in one module stand for, by the linked project."""

    def __init__(self, project, module):
        self.project = project
        self.module = module

    def symbol(self, e) -> Optional[str]:
        """The qualified name when ``e`` is a module, class or function (a value, not an object)."""
        v = self.project.ev(e, self.module)
        return v.name if type(v) is Sym else None

    def is_project(self, q: str) -> bool:
        ref = self.project.functions.get(q)
        if ref is not None:
            return not ref.module.library
        cls = self.project.classes.get(q)
        return cls is not None and not cls[0].library


def _is_mode(e) -> bool:
    return e[0] == "s" and 0 < len(e[1]) <= 4 and set(e[1]) <= _MODE


def norm(e, depth: int = 0):
    """An expression as a grouping key: without what a call passed and the annotations of names."""
    if type(e) is not tuple or not e or depth > 16:
        return e
    kind = e[0]
    if kind == "c":
        return ("c", norm(e[1], depth + 1), norm(e[2], depth + 1))
    if kind == "alt" and e[1] is not None and e[1][0] in ("i", "opt") or kind == "cast":
        return norm(e[2], depth + 1)
    return tuple(norm(x, depth + 1) if type(x) is tuple else x for x in e)


_LISTINGS = frozenset({"iterdir", "glob", "rglob", "scandir", "listdir", "iglob"})


def subject(e, names: Names, depth: int = 0):
    """The file an expression names, as a grouping key, or None when it names none."""
    if e is None or depth > 16:
        return None
    kind = e[0]
    if kind in _NOT_A_FILE:
        return None
    if kind in ("en", "aw", "part", "derive"):
        return subject(e[1], names, depth + 1)  # the file entered, awaited, unpacked, normalised
    if kind == "div":
        return _child(subject(e[1], names, depth + 1))
    if kind == "it":
        # an entry of a directory listing (``for f in p.iterdir()``, ``os.scandir(d)``): a file in it
        base = e[1]
        while base is not None and base[0] in ("en", "aw"):
            base = base[1]
        if base is not None and base[0] == "c" and base[1][0] == "a" and base[1][2] in _LISTINGS \
                and names.symbol(base[1][1]) is None:
            got = subject(base[1][1], names, depth + 1)
            return _child(got) if got is not None else None
        if base is not None and base[0] == "c" and (names.symbol(base[1]) or "").rsplit(".", 1)[-1] in _LISTINGS \
                and base[2] is not None:
            got = subject(base[2], names, depth + 1)
            return _child(got) if got is not None else None
        return norm(e)
    if kind == "cast":
        return subject(e[2], names, depth + 1)  # typing.cast(T, x): x
    if kind in ("alt", "either"):
        if kind == "alt" and e[1] is not None and e[1][0] in ("i", "opt"):
            return subject(e[2], names, depth + 1)  # an annotated name: its value
        a, b = subject(e[1], names, depth + 1), subject(e[2], names, depth + 1)
        if a is None or a == b:
            return b  # bound in some branches only (``try:``), or rebound to a name derived from itself
        if b is None:
            return a
        return (kind, a, b)
    if kind == "a":
        if e[2] in _SAME_FILE_ATTRS or e[2] == "parent":
            got = subject(e[1], names, depth + 1)
            if got is not None:
                return _folder(got) if e[2] == "parent" else got
        return norm(e)
    if kind == "c":
        func, arg0 = e[1], e[2]
        if func[0] == "a" and names.symbol(func[1]) is None:
            # a method of an object: a path derived from it, else its own result
            if func[2] in _SAME_FILE_METHODS:
                return subject(func[1], names, depth + 1)
            if func[2] == "joinpath":
                return _child(subject(func[1], names, depth + 1))
            return norm(e)
        q = names.symbol(func)
        if q is not None and not names.is_project(q):
            # a library function or class: the path it builds or the file it opens from its first
            # argument (``Path(p)``, ``open(p)``, ``os.path.join(p, x)``), else the file it makes
            # (``tempfile.mkstemp()``)
            if arg0 is not None and not _is_mode(arg0):
                got = subject(arg0, names, depth + 1)
                if got is not None:
                    last = q.rsplit(".", 1)[-1]
                    if last in _JOINS and len(e) > 3 and e[3] and e[3][0] > 1:
                        return _child(got)  # os.path.join(d, name), Path(d, name)
                    return _folder(got) if last in _FOLDER_OF else got
            return ("c", norm(func), None)
        return norm(e)  # a project helper's result
    return norm(e)  # a parameter, a local, a global, a literal, an element, an item


def _child(key):
    """A file in the folder ``key``."""
    return ("div", key) if key is not None else None


def _folder(key):
    """The folder of the path ``key``."""
    return key[1] if key[0] == "div" and len(key) == 2 else ("up", key)


def near(key):
    """The path ``key`` is in or is the folder of, or None."""
    return key[1] if type(key) is tuple and len(key) == 2 and key[0] in ("div", "up") else None


def _is_method(callee, names: Names) -> bool:
    return callee[0] == "a" and names.symbol(callee[1]) is None


def access_subjects(site: CallSite, names: Names) -> tuple:
    """The files a blocking library call works on, as ``(on, used, made)`` sets of keys: ``on`` the
    file object or path it is called on (``fh.close()``, ``with open(p) as fh:``), ``used`` the
    paths and files it is given, ``made`` the file it creates when it is given no path
    (``mkstemp()``, ``NamedTemporaryFile()``), which joins only the calls that use it."""
    on, used, made = set(), set(), set()
    if site.kind in ("with", "iter"):
        on.add(subject(site.callee, names))  # with open(p) as fh: / for line in fh:
    elif site.kind == "attr":
        on.add(subject(site.callee[1], names))
    elif site.kind == "call":
        callee = site.callee
        if _is_method(callee, names):
            on.add(subject(callee[1], names))
            positions = (0,) if callee[2] in _PATH_ARG_METHODS else ()
        else:
            name = callee[2] if callee[0] == "a" else callee[1] if callee[0] == "g" else ""
            positions = (1,) if name in _DATA_FIRST else (0, 1) if name in _TWO_PATHS else (0,)
            arg0 = site.args[0] if site.args else None
            if arg0 is None or _is_mode(arg0):
                made.add(subject(("c", callee, None), names))
        for i in positions:
            if i < len(site.args) and site.args[i] is not None and not _is_mode(site.args[i]):
                used.add(subject(site.args[i], names))
        used |= {subject(v, names) for k, v in site.kwargs if k in _PATH_KEYWORDS and v is not None}
    for keys in (on, used, made):
        keys.discard(None)
    return on, used, made


def call_result(site: CallSite, names: Names):
    """What a call site's result is as a grouping key (a project helper that returns a path)."""
    return subject(("c", site.callee, site.args[0] if site.args else None), names)


def created_object(e, names: Names):
    """The object an expression is, when the function made it: the result of calling a class or a
    module-level factory (``smtplib.SMTP(host)``, ``boto3.client("s3")``), or of calling a method of
    such an object (``conn.cursor()`` is part of ``conn``), as the call that made it. None for a
    parameter, an attribute (``self.client``), a global."""
    for _ in range(8):
        if e is None:
            return None
        if e[0] in ("en", "aw"):
            e = e[1]
        elif e[0] == "either" and e[2][0] in ("u", "k"):
            e = e[1]
        elif e[0] == "either" and e[1][0] in ("u", "k"):
            e = e[2]
        else:
            break
    if e is None or e[0] != "c":
        return None
    func = e[1]
    if func[0] == "a":
        made = created_object(func[1], names)
        if made is not None:
            return made
        if names.symbol(func[1]) is None:
            return None  # a method's result on an object the function did not make
    elif func[0] not in ("g", "m", "r"):
        return None
    return e
