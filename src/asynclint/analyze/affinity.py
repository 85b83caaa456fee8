"""Work bound to the thread or the event loop it runs on, which no fix may move to another thread.

Offloading (``await asyncio.to_thread(helper)``) or turning an ``async def``
route into a ``def`` (FastAPI then runs it in its thread pool) changes the
thread the code runs on. That breaks code that relies on which thread it is:

- *thread-local state*: a ``scoped_session`` registry (the default scope is
  the thread: in a worker thread it is another, empty session, so the loop
  thread's session is never committed), ``threading.local()``;
- *context variables* it sets (a worker runs in a copy of the context: the
  change is lost);
- *objects bound to the event loop*: ``asyncio`` queues, events, locks,
  futures and tasks, the loop itself (not thread-safe; ``create_task`` in a
  worker has no running loop).

``thread_affinity(project, d)`` says, for a finding whose fix moves work to
a thread, whether the work it would move does any of this (the call itself,
and the project functions it runs, a few calls deep), and why.
"""

from __future__ import annotations

from typing import Optional

from ..categories import is_direct
from ..link.values import Inst, Meth, Sym

THREAD_LOCAL = {
    "sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session", "threading.local",
    "_threading_local.local", "werkzeug.local.Local", "flask_sqlalchemy.session.Session",
}
CONTEXT_VARS = {"contextvars.ContextVar"}
CONTEXT_WRITES = {"set", "reset"}
# (an event loop object itself is not here: a helper may run a loop of its own, asyncio.new_event_loop();
# the running one is reached through LOOP_FUNCTIONS)
LOOP_TYPES = {
    "asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue", "asyncio.queues.Queue", "asyncio.Event",
    "asyncio.Lock", "asyncio.Condition", "asyncio.Semaphore", "asyncio.BoundedSemaphore", "asyncio.Future",
    "asyncio.Task", "asyncio.futures.Future", "asyncio.tasks.Task",
}
LOOP_FUNCTIONS = {
    "asyncio.get_running_loop", "asyncio.get_event_loop", "asyncio.create_task", "asyncio.ensure_future",
    "asyncio.current_task", "asyncio.all_tasks", "asyncio.events.get_running_loop",
}
_BOUND = frozenset(THREAD_LOCAL | CONTEXT_VARS | LOOP_TYPES)
MAX_FUNCTIONS = 40  # project functions looked at for one finding


class Sites:
    """What ``_site`` and ``_project_target`` said of each call site, for the findings of one
    ``mark_fixes`` (whose chains share helpers: each site is looked at once)."""

    def __init__(self, project):
        self.project = project
        self._why: dict = {}  # id(site) -> (site, reason or None)
        self._target: dict = {}  # id(site) -> (site, the project function it calls or None)

    def why(self, site, mod) -> Optional[str]:
        got = self._why.get(id(site))
        if got is None or got[0] is not site:
            got = self._why[id(site)] = (site, _site(self.project, site, mod))
        return got[1]

    def target(self, site, mod) -> Optional[str]:
        got = self._target.get(id(site))
        if got is None or got[0] is not site:
            got = self._target[id(site)] = (site, _project_target(self.project, site, mod))
        return got[1]


def thread_affinity(project, d, sites: Optional[Sites] = None) -> Optional[str]:
    """Why the work finding ``d``'s fix would move to another thread must stay on this one, or None.
    ``sites``: what the findings asked before this one found of the call sites (``Sites``)."""
    sites = sites or Sites(project)
    fns = project.functions
    ref = fns.get(d.function) if d.function else None
    if ref is None:
        return None
    api = d.api or ""
    for t in THREAD_LOCAL:
        if api.startswith(t + "."):
            return _thread_local(t.rsplit(".", 1)[-1])
    if d.code == "ASL301":  # the whole route moves to the thread pool
        start = [d.function]
    elif is_direct(d.code):
        for site in ref.summary.calls:
            if site.line == d.line and site.col == d.column - 1:
                why = sites.why(site, ref.module)
                if why:
                    return why
        return None
    else:  # the helper called here, and what it calls
        start = [h.function for h in d.hops[1:-1][:1] if h.function in fns]
    seen, queue = set(start), list(start)
    while queue and len(seen) <= MAX_FUNCTIONS:
        fq = queue.pop(0)
        fref = fns[fq]
        for site in fref.summary.calls:
            why = sites.why(site, fref.module)
            if why:
                return why
            target = sites.target(site, fref.module)
            if target in fns and target not in seen and not fns[target].summary.is_async:
                seen.add(target)
                queue.append(target)
    return None


def _thread_local(name: str) -> str:
    if name == "scoped_session":
        return ("it uses a scoped_session, which is one session per thread: in a worker thread it is another, "
                "empty session, so the work would miss the loop thread's session (and its commit)")
    return (f"it uses thread-local state ({name}): a worker thread sees none of the loop thread's values, "
            "and what it stores there stays in the worker")


def _site(project, site, mod) -> Optional[str]:
    """Why this call site is bound to its thread or loop, or None."""
    values = project.values
    h = project.hierarchy
    v = values.callee_value(site.callee, mod) if site.kind == "call" else values.ev(site.callee, mod)
    if type(v) is Meth:
        bound = _bound(h, v.type)
        if bound & THREAD_LOCAL:
            return _thread_local(v.type.rsplit(".", 1)[-1])
        if bound & CONTEXT_VARS and v.name in CONTEXT_WRITES:
            return (f"it sets a context variable ({site.text}()): a worker thread runs in a copy of the context, "
                    "so the change would be lost")
        if bound & LOOP_TYPES:
            return (f"it uses {site.text}() on an object bound to the event loop ({v.type}), which is not "
                    "thread-safe and belongs on the loop's thread")
    elif type(v) is Sym and v.name in LOOP_FUNCTIONS:
        return f"it calls {v.name}(), which needs the event loop's thread"
    elif type(v) is Inst and site.kind == "call" and _bound(h, v.type) & THREAD_LOCAL:
        return _thread_local(v.type.rsplit(".", 1)[-1])  # ScopedSession(): this thread's session
    e = site.callee
    for _ in range(8):  # a receiver on the way: ScopedSession.registry.has(), self._local.conn.execute()
        if not isinstance(e, tuple) or e[0] != "a":
            break
        e = e[1]
        base = values.ev(e, mod)
        if type(base) is Inst and _bound(h, base.type) & THREAD_LOCAL:
            return _thread_local(base.type.rsplit(".", 1)[-1])
    return None


def _bound(h, t: str) -> frozenset:
    """Which of the thread- and loop-bound types ``t`` is or (a project class) derives from."""
    if t in _BOUND:
        return frozenset((t,))
    if t not in h.index.classes:
        return frozenset()
    return frozenset(b for b in h.mro(t) if b in _BOUND)


def _project_target(project, site, mod) -> Optional[str]:
    if site.kind != "call":
        return None
    v = project.values.callee_value(site.callee, mod)
    if type(v) is Sym and v.name in project.functions:
        return v.name
    if type(v) is Meth and v.type in project.classes:
        return project.hierarchy.find_method(v.type, v.name)
    if type(v) is Sym and v.name in project.classes:
        return project.hierarchy.find_method(v.name, "__init__")
    return None


def advice(reason: str, replacement: str) -> str:
    """The suggestion of a finding whose work must stay on its thread."""
    instead = f"; make the chain async instead ({replacement})" if replacement else "; make the chain async instead"
    return f"do not offload it: {reason}{instead}"
