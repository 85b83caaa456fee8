"""Any other blocking call -> ``await asyncio.to_thread(fn, *args, **kwargs)`` (unsafe; the fallback).

``await run_in_threadpool(...)`` instead where the module already imports it
from Starlette or FastAPI. A call returning a lazy iterator that a ``for``
iterates at once (``for root, dirs, files in os.walk(p):``) is listed in the
thread. Left alone: calls whose result blocks later (streams, context
managers entered afterwards, results then iterated or entered on the loop)
and objects bound to their thread (sqlite3 connections, re-entrant locks).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..nodes import comma_like, unparenthesised
from ...categories import is_direct
from .base import Rewrite

# calls returning a lazy iterator: offloading the call alone offloads nothing
LAZY_FINITE = {
    "os.walk", "os.fwalk", "glob.iglob", "pathlib.Path.iterdir", "pathlib.Path.glob", "pathlib.Path.rglob",
    "pathlib.Path.walk", "concurrent.futures.as_completed", "concurrent.futures.ThreadPoolExecutor.map",
    "concurrent.futures.ProcessPoolExecutor.map", "concurrent.futures.Executor.map",
    "multiprocessing.pool.Pool.imap", "multiprocessing.pool.Pool.imap_unordered",
    "multiprocessing.pool.ThreadPool.imap", "multiprocessing.pool.ThreadPool.imap_unordered",
}
# never offloaded: the call returns something whose use blocks (context managers
# entered later, endless streams), or the object is bound to the thread that uses it
NO_THREAD = {
    "httpx.stream", "httpx.Client.stream", "sqlalchemy.Engine.begin", "psycopg_pool.ConnectionPool.connection",
    "redis.client.PubSub.listen", "kubernetes.watch.Watch.stream", "threading.RLock.acquire",
    "threading.Condition.acquire", "threading.Condition.wait", "threading.Condition.wait_for",
}
NO_THREAD_PREFIXES = ("sqlite3.", "iteration over ", "with ")
NO_THREAD_SUFFIXES = (".watch",)


def _stays_on_loop(api: str) -> bool:
    return api in NO_THREAD or api.startswith(NO_THREAD_PREFIXES) or api.endswith(NO_THREAD_SUFFIXES)


class ToThread(Rewrite):
    name = "to-thread"

    def matches(self, d) -> bool:
        return d.fix == "unsafe"

    def plan(self, planner, d, node, fn) -> None:
        api = d.api or ""
        direct = is_direct(d.code)
        if direct and _stays_on_loop(api):
            planner.skip(d, f"{api} cannot simply run in a thread")
            return
        if direct and api in LAZY_FINITE:
            parent = planner.parent(node)
            ref = self.thread_ref(planner.imports, node)
            if isinstance(parent, cst.For) and parent.iter is node and parent.asynchronous is None and ref:
                planner.claim(d, node, self, ref=ref, lazy=True)
            else:
                planner.skip(d, f"{api} returns a lazy iterator")
            return
        bound = _bound_name(planner, node)
        if bound is not None and (d.function, bound) in planner.unfixable_uses:
            # `for line in f:` / `with lock:` on the result still blocks, and would no longer be reported
            planner.skip(d, f"{bound} is then iterated or entered on the event loop")
            return
        ref = self.thread_ref(planner.imports, node)
        if ref is None:
            planner.skip(d, "cannot import asyncio")
            return
        planner.claim(d, node, self, ref=ref, lazy=False)

    @staticmethod
    def thread_ref(imports, call: cst.Call) -> Optional[str]:
        pool = imports.existing("starlette.concurrency", "run_in_threadpool") or imports.existing(
            "fastapi.concurrency", "run_in_threadpool"
        )
        if pool and not any(a.keyword is not None and a.keyword.value == "func" for a in call.args):
            return pool
        return imports.ref("asyncio", "to_thread")

    def call(self, transformer, claim, node):
        ref = claim.data["ref"]
        if claim.data["lazy"]:
            # list the iterator in the thread: `await to_thread(lambda: list(os.walk(p)))`
            body = cst.Call(func=cst.Name("list"), args=[cst.Arg(node.with_changes(lpar=[], rpar=[]))])
            lam = cst.Lambda(params=cst.Parameters(), body=body)
            return cst.Await(expression=cst.Call(func=cst.parse_expression(ref), args=[cst.Arg(lam)]))
        args = []
        for a in node.args:
            if isinstance(a.value, cst.GeneratorExp) and not a.value.lpar:
                # `f(x for x in y)` -> `to_thread(f, (x for x in y))`
                a = a.with_changes(value=a.value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
            args.append(a)
        func = unparenthesised(node.func)
        if args and isinstance(node.whitespace_before_args, cst.ParenthesizedWhitespace):
            # the arguments start on a line of their own: so does each one
            lead = cst.Arg(func, comma=cst.Comma(whitespace_after=node.whitespace_before_args))
        else:
            lead = cst.Arg(func, comma=comma_like(args)) if args else cst.Arg(func)
        new = cst.Call(
            func=cst.parse_expression(ref),
            args=[lead] + args,
            whitespace_before_args=node.whitespace_before_args,
            whitespace_after_func=node.whitespace_after_func,
        )
        return cst.Await(expression=new, lpar=node.lpar, rpar=node.rpar)


def _bound_name(planner, node) -> Optional[str]:
    """The name the call's result is bound to (``x = call()``, ``with call() as x``), if any."""
    parent = planner.parent(node)
    if isinstance(parent, cst.WithItem) and parent.item is node and parent.asname is not None:
        target = parent.asname.name
    elif isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
        targets = parent.targets if isinstance(parent, cst.Assign) else [parent]
        if len(targets) != 1:
            return None
        target = targets[0].target
    else:
        return None
    return target.value if isinstance(target, cst.Name) else None
