"""Sync callbacks the event loop runs: ``loop.call_soon(cb)``, ``loop.add_reader(fd, cb)``, ...

A plain ``def`` handed to one of the loop's scheduling methods runs on the loop's thread, between
two steps of the coroutines: while it blocks, nothing else on the loop runs, exactly as if a
coroutine blocked. These callbacks are roots of the findings like coroutines are (``findings``),
with what they run reported as theirs.

The methods are named the same on asyncio's loops and on the loops that wrap one (tornado's
``IOLoop.call_later``), so a call of one of them counts unless its receiver is known to be
something other than an event loop. Tornado's own scheduling methods (``spawn_callback``), a bokeh
document's (``add_next_tick_callback``: the server runs them on its loop) and tornado's
``PeriodicCallback(callback, ms)`` timer count the same way; ``add_callback`` and ``add_timeout``,
names other libraries give their own callback lists, count only on a receiver known to be a loop.
"""

from __future__ import annotations

from ..link import Project
from ..link.values import Inst, Meth, Sym
from .entries import project_sites

# method -> the position of the callback among its arguments
SCHEDULERS = {
    "call_soon": 0, "call_soon_threadsafe": 0, "call_later": 1, "call_at": 1,
    "add_reader": 1, "add_writer": 1, "add_signal_handler": 1,
    # tornado's IOLoop
    "spawn_callback": 0, "add_callback": 0, "add_callback_from_signal": 0, "add_timeout": 1,
    # a bokeh Document (the server runs its callbacks on its loop)
    "add_next_tick_callback": 0, "add_timeout_callback": 0, "add_periodic_callback": 0,
}
_LOOP_TYPES = frozenset({"asyncio.AbstractEventLoop", "tornado.ioloop.IOLoop"})
_DOCUMENT_TYPES = frozenset({"bokeh.document.Document", "bokeh.document.document.Document"})
_DOCUMENT_METHODS = frozenset({"add_next_tick_callback", "add_timeout_callback", "add_periodic_callback"})
# names other libraries give their own callback registries: a receiver must be known to be a loop
_LOOP_ONLY = frozenset({"add_callback", "add_timeout"})
# timers built with the callback they run on the current loop: class -> the callback's position
TIMERS = {"tornado.ioloop.PeriodicCallback": 0}
_TIMER_NAMES = {name.rpartition(".")[2]: i for name, i in TIMERS.items()}
# what a reader (writer) callback is called for: the descriptor is ready, one read (write) of it
# returns at once
_READY = {
    "add_reader": frozenset({"os.read", "os.readv", "socket.socket.recv", "socket.socket.recv_into",
                             "socket.socket.recvfrom", "socket.socket.recvfrom_into", "socket.socket.recvmsg",
                             "socket.socket.accept", "multiprocessing.connection.Connection.recv",
                             "multiprocessing.connection.Connection.recv_bytes"}),
    "add_writer": frozenset({"os.write", "os.writev", "socket.socket.send", "socket.socket.sendto",
                             "socket.socket.sendmsg"}),
}


def ready_io(callback: str, api: str) -> bool:
    """Is ``api``, called in a callback scheduled by ``callback`` (``loop.add_reader``), the read or
    write the descriptor was found ready for?"""
    return api in _READY.get(callback.rpartition(".")[2], ())


def loop_callbacks(project: Project) -> dict:
    """The project's sync functions some call schedules on an event loop: qualname -> how the first
    such call names its method (``loop.add_reader``), in the project's order."""
    fns = project.functions
    out: dict = {}
    for name, owner, site in project_sites(project).naming(project, {**SCHEDULERS, **_TIMER_NAMES}, True):
        callee = site.callee
        if site.kind != "call" or site.awaited:
            continue
        mod = owner.module
        if callee[0] == "a" and callee[2] == name and name in SCHEDULERS:
            i = SCHEDULERS[name]
            if not _a_loop(project, project.ev(callee[1], mod), name):
                continue
        elif name in _TIMER_NAMES and _a_timer(project, project.ev(callee, mod)):
            i = _TIMER_NAMES[name]
        else:
            continue
        arg = site.args[i] if i < len(site.args) else None
        if arg is None:
            continue
        fq = project_function(project, project.ev(arg, mod))
        if fq is not None and not fns[fq].summary.is_async and fq not in out:
            out[fq] = site.text
    return out


def _a_loop(project: Project, v, method: str) -> bool:
    """Can ``v`` (the receiver's value) be an event loop (for ``method``, a bokeh document)? Not when
    it is known as something else; for a name other libraries use too, only when it is known to be one."""
    if v is None:
        return method not in _LOOP_ONLY
    if type(v) is Inst and v.type not in project.classes:
        kind = project.catalog.canonical(v.type)
        return kind in _LOOP_TYPES or (method in _DOCUMENT_METHODS and kind in _DOCUMENT_TYPES)
    return False


def _a_timer(project: Project, v) -> bool:
    """Is ``v`` (what a call calls) a library timer class that runs its callback on the loop?"""
    return type(v) is Sym and v.name not in project.classes and project.catalog.canonical(v.name) in TIMERS


def project_function(project: Project, v):
    """The project function a value is (a function, or a method looked up on its class: a bound
    method handed on as a callback, a method used as a decorator), or None."""
    if type(v) is Sym and v.name in project.functions:
        return v.name
    if type(v) is Meth and v.type in project.classes:
        return project.hierarchy.find_method(v.type, v.name)
    return None
