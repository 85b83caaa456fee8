"""``path.read_text()`` & co on a ``pathlib.Path`` -> ``await anyio.Path(path).read_text()`` (unsafe)."""

from __future__ import annotations

import libcst as cst

from ..nodes import dotted, unparenthesised
from ...categories import is_direct
from .base import Rewrite

# pathlib.Path methods whose anyio.Path twin returns the same thing, awaited
ANYIO_PATH_METHODS = {
    "read_text", "read_bytes", "write_text", "write_bytes", "exists", "is_file", "is_dir", "is_symlink",
    "is_mount", "is_socket", "is_fifo", "is_block_device", "is_char_device", "mkdir", "unlink", "rmdir",
    "touch", "stat", "lstat", "chmod", "lchmod", "samefile", "owner", "group",
}


class PathToAnyio(Rewrite):
    name = "path-anyio"

    def matches(self, d) -> bool:
        api = d.api or ""
        return (is_direct(d.code) and api.startswith("pathlib.Path.")
                and api.rsplit(".", 1)[1] in ANYIO_PATH_METHODS)

    def plan(self, planner, d, node, fn) -> None:
        if not isinstance(node.func, cst.Attribute) or any(a.star for a in node.args):
            return
        if planner.imports.ref("anyio", "Path") is None:
            return
        planner.claim(d, node, self)

    def call(self, transformer, claim, node):
        anyio_path = transformer.imports.ref("anyio", "Path")
        receiver = node.func.value
        if (
            isinstance(receiver, cst.Call)
            and dotted(receiver.func) in ("Path", "pathlib.Path", "PurePath")
            and len(receiver.args) == 1
            and receiver.args[0].keyword is None
            and not receiver.args[0].star
            and not receiver.lpar
        ):
            # Path(p).read_text() -> anyio.Path(p).read_text()
            base = receiver.with_changes(func=cst.parse_expression(anyio_path))
        else:
            base = cst.Call(func=cst.parse_expression(anyio_path), args=[cst.Arg(unparenthesised(receiver))])
        new = node.with_changes(func=node.func.with_changes(value=base), lpar=[], rpar=[])
        return cst.Await(expression=new, lpar=node.lpar, rpar=node.rpar)
