"""``os.path.exists(p)`` & co -> ``await anyio.Path(p).exists()`` in a file written with ``anyio.Path`` (unsafe).

One style per file: where the file already uses ``anyio.Path``, or another
rewrite of the same run brings it in (``path.read_text()``, ``open(p).read()``),
the ``os``/``os.path`` calls that have an ``anyio.Path`` twin take it too,
instead of ``await asyncio.to_thread(os.path.exists, p)`` next to
``await anyio.Path(q).read_text()``. Elsewhere they are left to the fallback,
which offloads them. Only the plain forms are rewritten: the arguments the
twin takes, nothing for ``dir_fd``/``follow_symlinks``, not a bytes path, and
``os.rename``/``os.replace`` only as statements (the twin returns the new
path, the original returns None).
"""

from __future__ import annotations

import libcst as cst

from ..nodes import unparenthesised
from ...categories import is_direct
from .base import Rewrite

# api -> (anyio.Path method, stat_result attribute or None, positional arguments the api takes)
TWINS = {
    "os.path.exists": ("exists", None, 1),
    "os.path.isfile": ("is_file", None, 1),
    "os.path.isdir": ("is_dir", None, 1),
    "os.path.islink": ("is_symlink", None, 1),
    "os.path.ismount": ("is_mount", None, 1),
    "os.path.getsize": ("stat", "st_size", 1),
    "os.path.getmtime": ("stat", "st_mtime", 1),
    "os.path.getatime": ("stat", "st_atime", 1),
    "os.path.getctime": ("stat", "st_ctime", 1),
    "os.stat": ("stat", None, 1),
    "os.lstat": ("lstat", None, 1),
    "os.remove": ("unlink", None, 1),
    "os.unlink": ("unlink", None, 1),
    "os.rmdir": ("rmdir", None, 1),
    "os.mkdir": ("mkdir", None, 1),
    "os.makedirs": ("mkdir", None, 1),
    "os.rename": ("rename", None, 2),
    "os.replace": ("replace", None, 2),
}
STATEMENT_ONLY = {"os.rename", "os.replace"}


class OsPathToAnyio(Rewrite):
    name = "os-path-anyio"

    def matches(self, d) -> bool:
        return is_direct(d.code) and d.api in TWINS

    def plan(self, planner, d, node, fn) -> None:
        if planner.style != "anyio":
            return  # the file offloads its file-system calls: so does this one
        method, _, positional = TWINS[d.api]
        args = list(node.args)
        if any(a.star for a in args) or len(args) < positional:
            return
        if any(a.keyword is None for a in args[positional:]):
            return
        keywords = {a.keyword.value for a in args if a.keyword is not None}
        allowed = {"exist_ok"} if d.api == "os.makedirs" else set()
        if keywords - allowed:
            return
        first = args[0].value
        if isinstance(first, (cst.SimpleString, cst.ConcatenatedString)) and "b" in _prefix(first):
            return  # a bytes path: anyio.Path wants str
        if d.api in STATEMENT_ONLY:
            parent = planner.parent(node)
            if not isinstance(parent, cst.Expr):
                return
        if planner.imports.ref("anyio", "Path") is None:
            return
        planner.claim(d, node, self, api=d.api)

    def call(self, transformer, claim, node):
        api = claim.data["api"]
        method, attr, positional = TWINS[api]
        args = list(node.args)
        path = args[0].value
        rest = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args[1:positional]]
        if api == "os.makedirs":
            rest = [cst.Arg(cst.Name("True"), keyword=cst.Name("parents"),
                            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                  whitespace_after=cst.SimpleWhitespace("")))]
            rest += [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args[positional:]]
        for i in range(len(rest) - 1):
            rest[i] = rest[i].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        anyio_path = transformer.imports.ref("anyio", "Path")
        base = cst.Call(func=cst.parse_expression(anyio_path), args=[cst.Arg(unparenthesised(path))])
        call = cst.Call(func=cst.Attribute(value=base, attr=cst.Name(method)), args=rest)
        awaited = cst.Await(expression=call)
        if attr is None:
            return awaited.with_changes(lpar=node.lpar, rpar=node.rpar)
        # os.path.getsize(p) -> (await anyio.Path(p).stat()).st_size
        inner = awaited.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.Attribute(value=inner, attr=cst.Name(attr), lpar=node.lpar, rpar=node.rpar)


def _prefix(node) -> str:
    if isinstance(node, cst.ConcatenatedString):
        return _prefix(node.left)
    return node.prefix.lower() if isinstance(node, cst.SimpleString) else ""
