"""Sync callbacks the event loop runs: ``loop.call_soon(cb)``, ``loop.add_reader(fd, cb)``, ...

A plain ``def`` handed to one of the loop's scheduling methods runs on the loop's thread, between
two steps of the coroutines: while it blocks, nothing else on the loop runs, exactly as if a
coroutine blocked. These callbacks are roots of the findings like coroutines are (``findings``),
with what they run reported as theirs.

The methods are named the same on asyncio's loops and on the loops that wrap one (tornado's
``IOLoop.call_later``), so a call of one of them counts unless its receiver is known to be
something other than an event loop.
"""

from __future__ import annotations

from ..link import Project
from ..link.values import Inst, Meth, Sym
from .entries import project_sites

# method -> the position of the callback among its arguments
SCHEDULERS = {
    "call_soon": 0, "call_soon_threadsafe": 0, "call_later": 1, "call_at": 1,
    "add_reader": 1, "add_writer": 1, "add_signal_handler": 1,
}
_LOOP_TYPE = "asyncio.AbstractEventLoop"
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
    for name, owner, site in project_sites(project).naming(project, SCHEDULERS, True):
        callee = site.callee
        if site.kind != "call" or site.awaited or callee[0] != "a" or callee[2] != name:
            continue
        i = SCHEDULERS[name]
        arg = site.args[i] if i < len(site.args) else None
        if arg is None:
            continue
        mod = owner.module
        if not _a_loop(project, project.ev(callee[1], mod)):
            continue
        fq = _function(project, project.ev(arg, mod))
        if fq is not None and not fns[fq].summary.is_async and fq not in out:
            out[fq] = site.text
    return out


def _a_loop(project: Project, v) -> bool:
    """Can ``v`` (the receiver's value) be an event loop? Not when it is known as something else."""
    if v is None:
        return True
    if type(v) is Inst:
        return v.type not in project.classes and project.catalog.canonical(v.type) == _LOOP_TYPE
    return False


def _function(project: Project, v):
    """The project function a callback argument names (a function, a bound method), or None."""
    if type(v) is Sym and v.name in project.functions:
        return v.name
    if type(v) is Meth and v.type in project.classes:
        return project.hierarchy.find_method(v.type, v.name)
    return None
