"""Which coroutines serve others on their loop, and which coroutines a program runs.

A coroutine serves when it, or a coroutine it awaits, starts a server on its loop: ``await
server.serve()``, ``asyncio.start_server(...)``, ``web.run_app``, ``await site.start()`` of an
aiohttp site. The framework stage (``frameworks.fastapi``) asks it of command-line commands and of
the coroutines a program starts its loop with: what such a coroutine does before it serves is its
start-up. The analysis asks it of those coroutines too: one that serves builds, before its first
await, what every request will find built; one that serves nothing (a script, a command) builds it
only for the modules its own program imports (``program_modules``).

Reads go through the project's tables (``project.functions``, ``project.ev``), so that a long-lived
engine records them as what a finding read.
"""

from __future__ import annotations

from typing import Optional

from ..link.values import Inst, Meth, Sym

# a call by one of these names starts serving on the loop (a task of the program's own, a child
# process whose output a task group pumps, is its own work, not serving)
SERVING_CALLS = frozenset({"serve", "serve_forever", "start_server", "start_unix_server", "run_app", "listen",
                           "start_serving"})
# ``await x.start()`` serves when ``x`` is one of these (or a subclass), or a project class whose
# ``start`` serves (``serves`` follows it); a browser, a driver, a child process started so do not.
# ``await server._serve()``: uvicorn's serving without its signal handlers (a program that handles
# its signals itself), a name too common elsewhere to count on its own
SERVING_STARTS = frozenset({"start", "startup", "_serve", "connect"})
SERVER_TYPES = frozenset({
    "aiohttp.web.BaseSite", "aiohttp.web.TCPSite", "aiohttp.web.UnixSite", "aiohttp.web.SockSite",
    "aiohttp.web.NamedPipeSite", "aiohttp.web_runner.BaseSite", "aiohttp.web_runner.TCPSite",
    "aiohttp.web_runner.UnixSite", "aiohttp.web_runner.SockSite", "aiohttp.web_runner.NamedPipeSite",
    "grpc.aio.Server", "grpc.aio._server.Server", "grpc.experimental.aio.Server",
    "uvicorn.Server", "uvicorn.server.Server", "hypercorn.asyncio.run.Server",
    # a discord.py client serves its gateway's events from ``await client.start(token)`` (or ``connect()``
    # once logged in): each event runs a handler of the program's on the loop
    "discord.Client", "discord.client.Client", "discord.AutoShardedClient", "discord.shard.AutoShardedClient",
    "discord.ext.commands.Bot", "discord.ext.commands.bot.Bot", "discord.ext.commands.AutoShardedBot",
    "discord.ext.commands.bot.AutoShardedBot",
})
_MAX_FOLLOWED = 200  # coroutines ``serves`` looks through


def async_target(project, site, ref) -> Optional[str]:
    """The project function a call site of ``ref`` calls, if it resolves to one; for
    ``stack.enter_async_context(cm)``, the ``__aenter__`` of ``cm``'s class, which it awaits."""
    if enters_on_stack(site):
        v = project.ev(site.args[0], ref.module)
        if type(v) is Inst and v.type in project.classes:
            return project.hierarchy.find_method(v.type, "__aenter__")
        return None
    match project.ev(site.callee, ref.module):
        case Sym(q) if q in project.functions:
            return q
        case Meth(t, name) if t in project.classes:
            return project.hierarchy.find_method(t, name)
    return None


def enters_on_stack(site) -> bool:
    """``stack.enter_async_context(cm)``: an ``AsyncExitStack`` entering ``cm`` right there (its
    ``__aexit__`` runs when the stack closes)."""
    return site.callee[0] == "a" and site.callee[2] == "enter_async_context" and bool(site.args) \
        and site.args[0] is not None


def entered(project, fq: str) -> bool:
    """Is ``fq`` an ``@asynccontextmanager`` generator? Its call runs nothing: the body runs up to the
    ``yield`` when the caller enters the result (``async with inner(app) as state:``) and the rest
    when it leaves, as a coroutine the caller awaits would."""
    ref = project.functions.get(fq)
    return ref is not None and ref.summary.is_async and ref.summary.is_generator \
        and project.values.is_contextmanager(ref)


def run_target(project, site, ref) -> Optional[str]:
    """The project coroutine a call site of ``ref`` runs right there: awaited, or an async context
    manager the caller enters (``entered``)."""
    if site.kind != "call":
        return None
    target = async_target(project, site, ref)
    return target if target is not None and (site.awaited or entered(project, target)) else None


def task_target(project, site, ref) -> Optional[str]:
    """The project coroutine a call site of ``ref`` makes without awaiting it: one it starts as a task
    (``asyncio.create_task(serve_with_signal())``) or hands to what awaits it (``gather``), which runs
    beside the caller from there on. Not an async generator, nor a context manager entered later."""
    if site.kind != "call" or site.awaited or enters_on_stack(site):
        return None
    target = async_target(project, site, ref)
    if target is None:
        return None
    fn = project.functions[target].summary
    return target if fn.is_async and not fn.is_generator else None


def starts_server(project, site, ref) -> bool:
    """Does this call site of ``ref`` start serving: ``server.serve()``, ``asyncio.start_server(...)``,
    ``app.listen(port)``, or ``await site.start()`` of a server (``SERVER_TYPES``)?"""
    last = site.text.rsplit(".", 1)[-1]
    if last in SERVING_CALLS:
        return True
    if not site.awaited or last not in SERVING_STARTS:
        return False
    v = project.ev(site.callee, ref.module)
    return type(v) is Meth and project.hierarchy.is_subclass(v.type, SERVER_TYPES)


def serves(project, fq: str) -> bool:
    """Does coroutine ``fq``, or one it awaits or starts as a task (``task_target``), start serving
    on its loop? With a tracker (``live``), the answer is kept across runs of the whole-project
    passes (``ProjectSites.served``) while the functions it looked through keep their summaries and
    no fact it read changed (``ProjectSites.forget``)."""
    tracker = project.values.tracker
    if tracker is None:
        return _serves(project, fq, None)
    from .entries import project_sites

    memo = project_sites(project).served
    kept = memo.get(fq)
    fns = project.index.functions
    if kept is not None and all(getattr(dict.get(fns, q), "summary", None) is summary for q, summary in kept[2]):
        tracker.add(kept[1])
        return kept[0]
    looked: list = []
    frame = tracker.open()
    try:
        got = _serves(project, fq, looked)
    finally:
        facts = tracker.close(frame)
    memo[fq] = (got, facts, tuple(looked))
    return got


def _serves(project, fq: str, looked: Optional[list]) -> bool:
    """``serves``; ``looked``: a list to put (qualname, summary or None) of the functions looked through in."""
    seen, todo = {fq}, [fq]
    while todo and len(seen) < _MAX_FOLLOWED:
        q = todo.pop()
        ref = project.functions.get(q)
        if looked is not None:
            looked.append((q, ref.summary if ref is not None else None))
        if ref is None:
            continue
        for site in ref.summary.calls:
            if site.kind != "call":
                continue
            if starts_server(project, site, ref):
                return True
            target = run_target(project, site, ref) or task_target(project, site, ref)
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    return False


# library calls that start work beside their caller on its loop (a task, a callback, a watched file
# descriptor), or that run a loop's work for as long as it lasts
CONCURRENT_CALLS = frozenset({"create_task", "ensure_future", "gather", "wait", "as_completed", "TaskGroup",
                              "create_task_group", "start_soon", "call_soon", "call_later", "call_at",
                              "add_reader", "add_writer", "add_signal_handler", "run_forever", "Task",
                              "run_coroutine_threadsafe"})
# an awaited library call whose name has one of these in it may start a server, or a client that keeps
# tasks of its own on the loop (``await bot.start(token)``, ``await dispatcher.start_polling()``, ``await
# nats.connect(url)`` and its pings, ``aio_pika.connect_robust``): what runs beside it is not known
_LASTING_PARTS = ("start", "serve", "run", "connect", "listen", "subscribe", "poll", "join", "idle",
                  "wait_closed", "forever")
_MAX_ALONE = 500  # project functions ``runs_alone`` looks through before it gives up (no answer: False)


def runs_alone(project, fq: str) -> bool:
    """Does coroutine ``fq`` run with nothing beside it on its loop, start to end? Neither it nor any
    project function it calls, at any depth, starts a task or a callback (``CONCURRENT_CALLS``, a
    project coroutine called and not awaited), hands a project function to anything but an offloader
    (what is handed on may be run on the loop later: a signal handler, a listener), starts a server,
    nor awaits a library call that may last as a server does (``_LASTING_AWAITS``). Asked of the
    coroutine a loop is started with: when it runs alone, a blocking call anywhere in it delays
    nothing but itself, as in a script (``asyncio.run(edit_config())`` asking questions on the
    console between its awaits)."""
    from .classify import offloaded_arg  # (classify reads the catalog; imported when first asked)

    fns = project.functions
    seen, todo = {fq}, [fq]
    memo: dict = {}
    while todo:
        if len(seen) > _MAX_ALONE:
            return False
        ref = fns.get(todo.pop())
        if ref is None:
            continue
        for site in ref.summary.calls:
            if site.kind != "call":
                continue
            last = site.text.rsplit(".", 1)[-1]
            if last in CONCURRENT_CALLS or last in SERVING_CALLS or starts_server(project, site, ref):
                return False
            off = offloaded_arg(project, site, ref, memo, 0)
            handed = [e for e in (*site.args, *(v for _, v in site.kwargs)) if _project_callable(project, e, ref)]
            if handed and (len(handed) > 1 or off is not handed[0]):
                return False
            target = async_target(project, site, ref)
            if target is None:
                if site.awaited and off is None and any(part in _entered_name(site, last).lower()
                                                        for part in _LASTING_PARTS):
                    return False
                continue
            callee = fns[target].summary
            if callee.is_async and not callee.is_generator and not site.awaited and not entered(project, target):
                return False  # a coroutine made here and handed to what runs it beside this one
            v = project.ev(site.callee, ref.module)
            more = project.hierarchy.overrides(v.type, v.name) if type(v) is Meth and v.type in project.classes \
                else ()
            for q in (target, *more):
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
    return True


def _entered_name(site, last: str) -> str:
    """The name of the call an ``async with`` enters (``async with websockets.connect(url) as ws``: its
    ``__aenter__`` is awaited on the result of ``connect``), else ``last``, the name called."""
    if last == "__aenter__" and site.callee[0] == "a" and site.callee[1][0] == "c":
        inner = site.callee[1][1]
        if inner[0] == "a":
            return inner[2]
        if inner[0] in ("g", "m") and isinstance(inner[1], str):
            return inner[1].rsplit(".", 1)[-1]
    return last


def _project_callable(project, e, ref) -> bool:
    """Is argument expression ``e`` a project function named (not called): ``on_signal``, ``self.reload``?"""
    if not isinstance(e, tuple) or not e or e[0] not in ("g", "d", "m", "r", "a"):
        return False
    v = project.ev(e, ref.module)
    if type(v) is Sym:
        return v.name in project.functions
    return type(v) is Meth and v.type in project.classes and project.hierarchy.find_method(v.type, v.name) is not None


def program_modules(project, fq: str) -> Optional[frozenset]:
    """The paths of the project modules that the program coroutine ``fq`` starts its loop in can
    run: its own module and every project module imported from there, at any depth (at the top of a
    module or inside a function, used or not: an import may be made for what it registers). None
    when the coroutine serves (``serves``): its loop then runs whatever the server is asked, from
    wherever it was registered.

    A long-lived engine records ``("imports", path)`` for every module looked through: an edit that
    changes what a module imports changes that fact (``live.facts.module_changes``)."""
    if serves(project, fq):
        return None
    ref = project.functions.get(fq)
    if ref is None:
        return None
    tracker = project.index.tracker
    relative = project.index.relative
    seen, todo = {ref.module.path}, [ref.module]
    while todo:
        info = todo.pop()
        if tracker is not None:
            tracker.note(("imports", info.path))
        for imp in info.summary.imports:
            name = imp[1] if imp[0] == "m" else relative(info, imp[1], imp[2])
            for got in _modules_named(project, name):
                if got.path not in seen:
                    seen.add(got.path)
                    todo.append(got)
    return frozenset(seen)


def _modules_named(project, name: str) -> list:
    """The project modules importing ``name`` runs: the longest prefix of it that is a module of the
    project (``from a.b import c``: ``a.b``, or ``a.b.c`` when that is a module), and its packages."""
    parts = name.split(".")
    found = None
    while parts and found is None:
        found = project.modules.get(".".join(parts))
        if found is not None and found.library:
            found = None
        if found is None:
            parts.pop()
    out = []
    while found is not None:
        out.append(found)
        parts.pop()
        found = project.modules.get(".".join(parts)) if parts else None
        if found is not None and found.library:
            found = None
    return out


class Programs:
    """``program_modules`` of the coroutines a loop is started with, each computed when first asked
    for. ``memo``: a dict, or a long-lived engine's memo (``compute(key, make)``), which hands what
    a computation read to each later reader."""

    def __init__(self, project, memo=None):
        self.project = project
        self.memo = {} if memo is None else memo

    def get(self, fq: str) -> Optional[frozenset]:
        memo = self.memo
        if hasattr(memo, "compute"):
            return memo.compute(("program", fq), lambda: program_modules(self.project, fq))
        if fq not in memo:
            memo[fq] = program_modules(self.project, fq)
        return memo[fq]
