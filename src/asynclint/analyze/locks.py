"""Threading locks that taking on the event loop cannot make it wait for long.

A ``threading.Lock`` blocks the loop only while another holder keeps it. Two
kinds of lock are not reported:

- a lock whose every critical section, on every thread, anywhere in the
  project, is short: a ``with lock:`` block that neither awaits nor makes a
  call that blocks (a catalogued call, or a call into project code that
  blocks, per ``propagate``; taking another lock whose every section is
  short, ``with a: ... with b:``, does not). Such a lock is held for
  microseconds, so waiting for it costs no more than the dict operations it
  guards;
- a lock that every acquirer takes on the loop's thread (each acquirer is a
  coroutine, or sync code that only coroutines call and that is never handed
  to a thread, an executor or a callback) around a few lines that neither
  await nor block: it is never contended.

A lock held across an ``await`` can make another coroutine wait for it
forever, one held around blocking work by any holder makes the loop wait as
long as that work, and one taken with ``acquire()`` or handed on as a value
has sections nobody can see: all stay reported.
"""

from __future__ import annotations

from typing import Optional

from ..link import Project
from ..link.values import Inst, Meth, Sym

LOCK_TYPES = frozenset({"threading.Lock", "threading.RLock", "threading.Semaphore", "threading.BoundedSemaphore",
                        "threading.Condition"})
# the locks that one made in a function and taken at once cannot make it wait (``summarize.fresh``);
# not a Semaphore, whose count may start at 0, nor a Condition, whose wait() waits for a notify
FRESH_LOCKS = frozenset({"threading.Lock", "threading.RLock"})
# a local lock whose every section is a with block of its function or its closures (``CallSite.private``):
# a Condition too, waited on only inside them
PRIVATE_LOCKS = FRESH_LOCKS | {"threading.Condition"}
_ACQUIRE = frozenset({"acquire", "wait", "wait_for", "__enter__"})
# a Condition's wait releases its lock until it is notified (or times out), then takes it again
_RELEASING_WAITS = frozenset({"wait", "wait_for"})
_NAMES = ("g", "m", "r")  # a global of this module, or one imported
_NAMED = _NAMES + ("a",)  # ... or an attribute


def made_lock(project: Project, made, mod, kinds=FRESH_LOCKS) -> bool:
    """Is ``made`` (written in ``mod``) a ``threading.Lock``/``RLock`` (or one of ``kinds``) built by calling
    its class right there, not a lock some function returns (``get_lock()`` may hand out a shared one)?"""
    if made[0] != "c":
        return False
    v = project.ev(made[1], mod)
    return type(v) is Sym and project.catalog.canonical(v.name) in kinds


def lock_type(api: str) -> Optional[str]:
    """The lock type a blocking API acquires (``with threading.Lock``, ``threading.RLock.acquire``)."""
    if api.startswith("with "):
        t = api[5:]
    else:
        t, _, method = api.rpartition(".")
        if method not in _ACQUIRE:
            return None
    return t if t in LOCK_TYPES else None


class LoopOnlyLocks:
    def __init__(self, project: Project, callers: dict, prop=None, by_lock=None, escaping=None):
        """``callers``: project function -> [(caller, Blocking)] for every call between project functions;
        ``prop``: the ``propagate.Propagation`` of the whole project (which calls block), for the
        sections of every holder. ``by_lock``/``escaping``: the tables ``_index``/``_escapes`` build
        (anything with ``get``), from a long-lived caller that keeps them up to date scope by scope
        (``uses``, ``handed_on``)."""
        self.project = project
        self.callers = callers
        self.prop = prop
        self._by_lock = by_lock
        self._escaping = escaping
        self._on_loop: dict = {}
        self._short: dict = {}  # lock identity -> is every section of it short

    # --------------------------------------------------------------- identity
    def identity(self, e, mod) -> Optional[tuple]:
        """Which lock object an expression written in ``mod`` names: a module global (also imported inside
        the function, ``from .core import LOCK``) or a class attribute."""
        p = self.project
        if e[0] in _NAMES:
            where = p.values.origin(e, mod)
            return ("global",) + where if where else None
        if e[0] == "a":
            base = p.ev(e[1], mod)
            if type(base) is Sym and base.name in p.modules:
                where = p.values.origin(e, mod)
                return ("global",) + where if where else None
            owner = base.type if type(base) is Inst else base.name if type(base) is Sym else None
            if owner in p.classes:
                for q in p.hierarchy.mro(owner):
                    entry = p.classes.get(q)
                    if entry is not None and e[2] in entry[1].attrs:
                        return ("attr", q, e[2])
        return None

    def lock_of(self, site, fq: str) -> Optional[tuple]:
        """The identity of the lock a site of ``fq`` takes (None: not a lock object we can name)."""
        e = self._acquired(site)
        if e is None:
            return None
        return self._taken(site, e, self.project.functions[fq].module)

    def _taken(self, site, e, mod) -> Optional[tuple]:
        """The identity of the lock ``e`` that ``site`` takes: a global or an attribute (``identity``),
        or a lock a function made and keeps to ``with`` blocks of its own and its closures'
        (``CallSite.private``)."""
        if e[0] in _NAMED:
            return self.identity(e, mod)
        if site.private and (site.kind == "with" or self._own_wait_call(site)) \
                and made_lock(self.project, e, mod, PRIVATE_LOCKS):
            return ("private", mod.name, site.private)
        return None

    def _acquired(self, site) -> Optional[tuple]:
        """The lock expression a site takes: ``with lock:`` or ``lock.acquire()``."""
        if site.kind == "with":
            return site.callee
        if site.kind == "call" and site.callee[0] == "a" and site.callee[2] in _ACQUIRE:
            return site.callee[1]
        return None

    def _index(self) -> dict:
        """Every place each lock that some function takes is taken, or handed on as a value (None: it
        escapes); only those locks are ever looked up (``lock_of`` a site taking one)."""
        if self._by_lock is None:
            by_lock: dict = {}
            p = self.project
            scopes = [(fq, ref.module, ref.summary.calls) for fq, ref in p.functions.items()]
            # all of them where evaluating reads library modules (their aliases) as it goes (with an
            # environment), or where what an evaluation reads is recorded (``live``)
            names = None
            if p.index.loader is None and p.values.tracker is None:
                # the names the taken locks are bound to: an argument naming anything else is none of them
                names = {ident[-1] for fq, mod, sites in scopes for site in sites
                         for e in [self._acquired(site)] if e is not None
                         for ident in [self._taken(site, e, mod)] if ident is not None}
                if names:
                    names |= _aliases(p)
            if names is None or names:
                scopes += [(None, info, info.summary.module_calls) for info in p.unique_modules()]
                for fq, mod, sites in scopes:
                    for ident, use in self.uses(fq, mod, sites, names):
                        by_lock.setdefault(ident, []).append(use)
            self._by_lock = by_lock
        return self._by_lock

    def uses(self, fq: Optional[str], mod, sites, names: Optional[set] = None) -> list:
        """The locks one scope (a function, or a module's top level when ``fq`` is None) takes or
        hands on: [(lock identity, (fq, the site taking it, or None: handed on))]. ``names``: only
        the locks of these names (an argument's identity ends with the name it is written with,
        unless that name is an import's alias: ``_written_name``)."""
        out = []
        for site in sites:
            e = self._acquired(site) if fq is not None else None
            if e is not None:
                ident = self._taken(site, e, mod)
                if ident is not None:
                    out.append((ident, (fq, site)))
            if not site.args and not site.kwargs:
                continue
            for a in _values(list(site.args) + [v for _, v in site.kwargs]):
                if a[0] in _NAMED and (names is None or _may_name(a, names)):
                    ident = self.identity(a, mod)
                    if ident is not None:
                        out.append((ident, (fq, None)))  # handed on: may reach a thread
        return out

    # -------------------------------------------------------------- threads
    def _escapes(self, fq: str) -> bool:
        """Is the function handed on as a value somewhere (a thread target, an executor, a callback)?"""
        p = self.project
        if self._escaping is None:
            names: dict = {}
            scopes = [(ref.module, ref.summary.calls) for ref in p.functions.values()]
            scopes += [(info, info.summary.module_calls) for info in p.unique_modules()]
            for mod, sites in scopes:
                for last, use in handed_on(mod, sites):
                    names.setdefault(last, []).append(use)
            self._escaping = names
        short = fq.rsplit(".", 1)[-1]
        for mod, a in self._escaping.get(short, ()):
            v = p.ev(a, mod)
            if v == Sym(fq) or type(v) is Meth and p.hierarchy.find_method(v.type, v.name) == fq:
                return True
        return False

    def on_loop(self, fq: str, depth: int = 0) -> bool:
        """Does ``fq`` only ever run on the event loop's thread?"""
        if fq in self._on_loop:
            return self._on_loop[fq]
        ref = self.project.functions[fq]
        if ref.summary.is_async:
            return True
        self._on_loop[fq] = False  # a cycle, or too deep: not known
        callers = self.callers.get(fq, ())
        result = bool(callers) and depth < 20 and not self._escapes(fq) and all(
            self.on_loop(f, depth + 1) for f, _ in callers)
        self._on_loop[fq] = result
        return result

    def quiet(self, site, fq: str, blocking_lines=()) -> bool:
        """Is taking this lock here not worth reporting: every section of it is short, or only the loop's
        thread takes it (``uncontended``)?"""
        return self.short_sections(site, fq) or self.uncontended(site, fq, blocking_lines)

    # ------------------------------------------------------------- sections
    def short_sections(self, site, fq: str) -> bool:
        """Is every critical section of the lock this site takes, by any holder, short: a ``with`` block
        that does not await and makes no call that blocks? (The lock is not handed on as a value,
        nor taken with ``acquire()``, whose section ends wherever ``release()`` is.)"""
        if self.prop is None:
            return False
        ident = self.lock_of(site, fq)
        return ident is not None and self._all_short(ident)

    def _all_short(self, ident: tuple) -> bool:
        if ident not in self._short:
            self._short[ident] = False  # (while deciding: a lock taken inside its own sections is not short)
            uses = self._index().get(ident, ())
            self._short[ident] = bool(uses) and all(
                s is not None and (s.kind == "with" and self._short_body(f, s, ident)
                                   or self._waits_within(f, s, ident, uses)) for f, s in uses)
        return self._short[ident]

    def _waits_within(self, fq: str, site, ident: tuple, uses) -> bool:
        """Is ``site`` a ``cond.wait()`` / ``cond.wait_for()`` inside a ``with cond:`` block of ``fq`` on the
        same condition? It releases the lock while it waits: no section of its own."""
        return self._own_wait(site, fq, ident) and any(
            f == fq and w is not None and w.kind == "with" and w.body_end
            and (w.line, w.col) < (site.line, site.col) and site.line <= w.body_end for f, w in uses)

    def _own_wait(self, site, fq: str, ident: tuple) -> bool:
        return self._own_wait_call(site) and self.lock_of(site, fq) == ident

    @staticmethod
    def _own_wait_call(site) -> bool:
        return site.kind == "call" and site.callee[0] == "a" and site.callee[2] in _RELEASING_WAITS

    def _short_body(self, fq: str, w, ident: Optional[tuple] = None) -> bool:
        """Does the body of ``with`` site ``w`` in ``fq`` neither await nor block? (A wait on the
        condition the block holds releases it while it waits: it does not make the section long.)"""
        if w.body_awaits or not w.body_end:
            return False
        blocking = self.prop.blocking
        for b in self.prop.sites.get(fq, ()):
            s = b.site
            if s is w or not ((w.line, w.col) < (s.line, s.col) and s.line <= w.body_end):
                continue
            if ident is not None and self._own_wait(s, fq, ident):
                continue
            if b.entry is not None:
                if s.kind == "with" and lock_type(b.entry.api) and self._inner_short(s, fq, ident):
                    continue  # another lock, itself held only for short sections: the wait for it is short
                return False  # a catalogued call, even a one-time one
            if any(t in blocking for t in (b.target,) + b.alternatives if t is not None):
                return False  # project code that blocks
        return True

    def _inner_short(self, s, fq: str, outer: Optional[tuple]) -> bool:
        """Is the lock a ``with`` site ``s`` takes inside another lock's section (``with a: ... with b:``,
        or ``with a, b:``) one whose every section is short?"""
        inner = self.lock_of(s, fq)
        return inner is not None and inner != outer and self._all_short(inner)

    def uncontended(self, site, fq: str, blocking_lines=()) -> bool:
        """Is the lock this site takes only ever taken on the loop's thread, never across an await,
        around none of ``blocking_lines`` (the lines of the function that block)?"""
        if site.kind == "with" and any(site.line < n <= site.body_end for n in blocking_lines):
            return False  # held around blocking work: it reads as a thread's lock, keep it reported
        ident = self.lock_of(site, fq)
        if ident is None:
            return False
        uses = self._index().get(ident, ())
        return all(f is not None and s is not None and not s.body_awaits and self.on_loop(f) for f, s in uses)


def handed_on(mod, sites) -> list:
    """The values one scope passes as arguments, by their last name: [(name, (module, expression))]."""
    out = []
    for site in sites:
        for a in list(site.args) + [v for _, v in site.kwargs]:
            last = _last_name(a)
            if last:
                out.append((last, (mod, a)))
    return out


def _values(exprs):
    """Argument expressions, with the items of list and tuple literals."""
    for e in exprs:
        if e is None:
            continue
        if e[0] == "list":
            yield from _values(e[1:])
        else:
            yield e


def _may_name(e, names: set) -> bool:
    written = _written_name(e)
    return written in names or written == ""


def _written_name(e) -> str:
    """The name a lock expression (``_NAMED``) is written with, which its ``identity`` ends with unless
    that name is bound to an import under another name (``from .core import LOCK as L``): ``identity``
    follows imports (``link.evaluate.origin``) and keeps the name until such an alias renames it."""
    kind = e[0]
    if kind == "g":
        return e[1]
    if kind == "a":
        return e[2]
    return _imported_name(e)


def _imported_name(e) -> str:
    """The last name of what an import expression (``("m", "pkg.mod.NAME")``, ``("r", level, "mod.NAME")``)
    names ("": not written, ``from . import``'s package)."""
    return (e[1] if e[0] == "m" else e[2]).rpartition(".")[2]


def _aliases(project: Project) -> set:
    """The global names, in any module, bound to an import of another name (``import a.b as c``,
    ``from x import A as B``): where a lock's identity may end with a name other than the one written."""
    out = set()
    for info in project.unique_modules():
        for name, g in info.summary.globals.items():
            if g[0] in ("m", "r") and _imported_name(g) != name:
                out.add(name)
    return out


def _last_name(e) -> Optional[str]:
    if e is None:
        return None
    if e[0] in ("g", "d"):
        return e[1].rsplit(".", 1)[-1]
    if e[0] == "a":
        return e[2]
    return None
