"""``requests.<verb>(...)`` -> ``await client.<verb>(...)`` on an ``httpx.AsyncClient`` (unsafe).

The statement holding the call is wrapped in ``async with
httpx.AsyncClient() as client:``; consecutive wrapped statements share one
block. Arguments are renamed where httpx differs (``allow_redirects`` ->
``follow_redirects``, a string ``data`` -> ``content``); ``verify`` and
``cert`` move to the client; requests' defaults are kept explicitly (it
follows redirects and has no timeout, httpx does neither by default). Left
alone: calls whose arguments do not map one to one, responses used through
requests-only attributes, and functions that catch requests' exceptions.
"""

from __future__ import annotations

import libcst as cst

from ..nodes import code_of, has_newline, join_args, kwarg, names_in, unique
from ...categories import is_direct
from .base import Rewrite

VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
REQUESTS_APIS = {f"{mod}.{v}": v for mod in ("requests", "requests.api") for v in VERBS}
# positional parameters of requests' helpers
POSITIONAL = {
    "get": ("url", "params"),
    "post": ("url", "data", "json"),
    "put": ("url", "data"),
    "patch": ("url", "data"),
    "delete": ("url",),
    "head": ("url",),
    "options": ("url",),
    "request": ("method", "url"),
}
REQUEST_KWARGS = {"params", "data", "json", "headers", "cookies", "files", "auth", "timeout", "allow_redirects"}
CLIENT_KWARGS = {"verify", "cert"}
BODY_KWARGS = {"data", "json", "files", "content"}
BODYLESS_VERBS = {"get", "head", "options", "delete"}
# attributes of requests.Response that httpx.Response lacks or means differently
REQUESTS_ONLY_ATTRS = {
    "ok", "reason", "iter_content", "iter_lines", "raw", "apparent_encoding", "is_permanent_redirect",
    "next", "close", "connection",
}
REQUESTS_EXCEPTIONS = {
    "RequestException", "HTTPError", "ConnectionError", "Timeout", "ConnectTimeout", "ReadTimeout",
    "TooManyRedirects", "JSONDecodeError", "SSLError", "ProxyError", "InvalidURL", "MissingSchema",
}
_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


class RequestsToHttpx(Rewrite):
    name = "requests-httpx"

    def matches(self, d) -> bool:
        return is_direct(d.code) and d.api in REQUESTS_APIS

    # -- plan
    def plan(self, planner, d, node, fn) -> None:
        verb = REQUESTS_APIS[d.api]
        stmt = planner.statement_of(node)
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return
        if not isinstance(planner.parent(stmt), cst.IndentedBlock):
            return
        if _catches_requests_errors(fn):
            return
        translated = _translate_args(node, verb)
        if translated is None:
            return
        args, client_kwargs, follow = translated
        parent = planner.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr.value in REQUESTS_ONLY_ATTRS:
            return
        small = stmt.body[0]
        if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is node:
            targets = small.targets if isinstance(small, cst.Assign) else [small]
            for t in targets:
                if isinstance(t.target, cst.Name) and _uses_requests_only_attrs(fn, t.target.value):
                    return
        sp = planner.plan.stmts.get(stmt)
        if sp is not None and sp.rewrite is not self:
            return
        calls = sp.data["calls"] if sp is not None else []
        if client_kwargs and calls:
            return
        if any(c.data.get("client_kwargs") for c in calls):
            return
        if planner.imports.ref("httpx", "AsyncClient") is None:
            return
        if sp is None:
            sp = planner.claim_statement(stmt, d, self, {"calls": calls, "fn": fn})
        claim = planner.claim(d, node, self, verb=verb, args=args, client_kwargs=client_kwargs, follow=follow)
        calls.append(claim)

    def finish(self, planner) -> None:
        """Name the clients (one name per function) and decide their constructor arguments."""
        client_names: dict = {}
        for sp in planner.plan.stmts.values():
            if sp.rewrite is not self:
                continue
            fn = sp.data["fn"]
            # each client lives only in its own `async with`: one name serves a whole function
            if id(fn) not in client_names:
                client_names[id(fn)] = unique("client", planner.names_of(fn))
            sp.data["client"] = client_names[id(fn)]
            sp.data["ctor"] = planner.imports.ref("httpx", "AsyncClient")
            need_follow = False
            need_timeout = False
            for claim in sp.data["calls"]:
                claim.data["client"] = sp.data["client"]
                keys = {k for kind, k, _ in claim.data["args"] if kind == "kw"}
                if claim.data["follow"] is None and claim.data["verb"] != "head":
                    need_follow = True
                if "timeout" not in keys:
                    need_timeout = True
            for claim in sp.data["calls"]:
                if claim.data["verb"] == "head" and claim.data["follow"] is None and need_follow:
                    claim.data["extra_follow"] = "False"
            sp.data["client_follow"] = need_follow
            sp.data["client_timeout_none"] = need_timeout

    # -- transforms
    def call(self, transformer, claim, node):
        """requests.get(url, ...) -> await client.get(url, ...)"""
        verb = claim.data["verb"]
        new_args = []
        positional = POSITIONAL[verb]
        pos_i = 0
        for a in node.args:
            if a.keyword is None:
                pname = positional[pos_i]
                pos_i += 1
                if pname in ("url", "method"):
                    new_args.append(a)
                    continue
                key = pname
            else:
                key = a.keyword.value
            if key in CLIENT_KWARGS:
                continue
            if key == "allow_redirects":
                key = "follow_redirects"
            elif key == "data" and isinstance(a.value, _STRINGS):
                key = "content"
            if a.keyword is None or a.keyword.value != key:
                a = kwarg(key, a.value, comma=a.comma)
            new_args.append(a)
        if claim.data.get("extra_follow") is not None:
            new_args.append(kwarg("follow_redirects", cst.Name(claim.data["extra_follow"])))
        if new_args:
            last = new_args[-1]
            if isinstance(last.comma, cst.Comma) and not has_newline(last.comma):
                new_args[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        new_args = join_args(new_args)
        new = node.with_changes(func=cst.Attribute(value=cst.Name(claim.data["client"]), attr=cst.Name(verb)),
                                args=new_args)
        return cst.Await(expression=new.with_changes(lpar=[], rpar=[]), lpar=node.lpar, rpar=node.rpar)

    def statement(self, transformer, stmt_plan, line):
        """the statement -> async with httpx.AsyncClient(...) as client: <the statement>"""
        data = stmt_plan.data
        kwargs = []
        for claim in data["calls"]:
            for k, v in claim.data["client_kwargs"].items():
                kwargs.append(kwarg(k, v))
        if data.get("client_follow"):
            kwargs.append(kwarg("follow_redirects", cst.Name("True")))
        if data.get("client_timeout_none"):
            kwargs.append(kwarg("timeout", cst.Name("None")))
        ctor = cst.Call(func=cst.parse_expression(data["ctor"]), args=join_args(kwargs) if kwargs else [])
        node = cst.With(
            items=[cst.WithItem(item=ctor, asname=cst.AsName(name=cst.Name(data["client"])))],
            body=cst.IndentedBlock(body=[line.with_changes(leading_lines=[])]),
            asynchronous=cst.Asynchronous(),
            leading_lines=line.leading_lines,
        )
        _client_blocks(transformer)[id(node)] = (data["client"], code_of(ctor))
        return node

    def block(self, transformer, node):
        """Consecutive statements that each got the same client share one ``async with`` block."""
        blocks = _client_blocks(transformer)
        if not blocks:
            return node
        body = []
        changed = False
        for stmt in node.body:
            key = blocks.get(id(stmt))
            prev = body[-1] if body else None
            if (
                key is not None
                and prev is not None
                and blocks.get(id(prev)) == key
                and all(line.comment is None for line in stmt.leading_lines)
            ):
                inner = list(stmt.body.body)
                inner[0] = inner[0].with_changes(leading_lines=list(stmt.leading_lines) + list(inner[0].leading_lines))
                merged = prev.with_changes(body=prev.body.with_changes(body=list(prev.body.body) + inner))
                blocks[id(merged)] = key
                body[-1] = merged
                changed = True
                continue
            body.append(stmt)
        return node.with_changes(body=body) if changed else node


def _client_blocks(transformer) -> dict:
    """id(async with node) -> (client name, constructor code), for this file's transform."""
    return transformer.memo.setdefault("httpx-client-blocks", {})


def _catches_requests_errors(fn) -> bool:
    found = []

    class _V(cst.CSTVisitor):
        def visit_ExceptHandler(self, n: cst.ExceptHandler) -> None:
            if n.type is not None:
                text = code_of(n.type)
                if "requests" in text or names_in(n.type) & REQUESTS_EXCEPTIONS:
                    found.append(n)

        def visit_ExceptStarHandler(self, n) -> None:
            found.append(n)

    fn.visit(_V())
    return bool(found)


def _uses_requests_only_attrs(fn, name: str) -> bool:
    found = []

    class _V(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> None:
            if isinstance(n.value, cst.Name) and n.value.value == name and n.attr.value in REQUESTS_ONLY_ATTRS:
                found.append(n)

    fn.visit(_V())
    return bool(found)


def _translate_args(node: cst.Call, verb: str):
    """(arguments, client arguments, allow_redirects value) when every argument maps to httpx, else None."""
    positional = POSITIONAL[verb]
    out = []
    client_kwargs = {}
    follow = None
    seen = set()
    pos_i = 0
    for a in node.args:
        if a.star:
            return None
        if a.keyword is None:
            if pos_i >= len(positional):
                return None
            pname = positional[pos_i]
            pos_i += 1
            if pname in ("url", "method"):
                out.append(("pos", None, a.value))
                continue
            key = pname
        else:
            key = a.keyword.value
        if key in seen:
            return None
        seen.add(key)
        value = a.value
        if key in CLIENT_KWARGS:
            client_kwargs[key] = value
            continue
        if key not in REQUEST_KWARGS:
            return None
        if key == "allow_redirects":
            follow = value
            out.append(("kw", "follow_redirects", value))
            continue
        if key == "auth" and not isinstance(value, cst.Tuple):
            return None
        if key == "timeout" and isinstance(value, cst.Tuple):
            return None
        if key == "data" and isinstance(value, _STRINGS):
            key = "content"
        out.append(("kw", key, value))
    if verb in BODYLESS_VERBS and any(k in BODY_KWARGS for kind, k, _ in out if kind == "kw"):
        return None
    needed = 2 if verb == "request" else 1
    if sum(1 for kind, _, _ in out if kind == "pos") != needed:
        return None
    return out, client_kwargs, follow
