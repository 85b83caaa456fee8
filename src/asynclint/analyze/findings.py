"""Findings: the blocking call sites of coroutines, and one-time initialization reached from them.

- ``ASL1xx``: a blocking library call written in a coroutine.
- ``ASL2xx``: a call in a coroutine into project code that blocks on every run
  (a sync helper, method, constructor, property), with the chain that proves it.
- ``ASL401``: one-time initialization (a lazily built client, a memoized
  loader) that blocks the first time a coroutine reaches it. It is reported
  once, at the blocking line inside the initializer, with the number of async
  call sites that reach it, instead of once per caller.

Every finding carries a ``root``: the place where its blocking happens (the
library call at the end of the chain). Findings that share one are one cause
reached from several places; the text report groups them.
"""

from __future__ import annotations

from typing import Optional

from ..catalog import Entry
from ..categories import code_for, label_for
from ..link import FunctionRef, Project
from ..model import CallSite, ChainHop, Diagnostic
from .classify import Blocking
from .callbacks import ready_io
from .causes import Causes
from .locks import LoopOnlyLocks, lock_type
from .once import NONE as NO_ONCE, OnceCoroutines, once_chains
from .propagate import Propagation, joins_on_exit, propagates

ONCE_CODE = "ASL401"


def describe_site(site: CallSite) -> str:
    if site.kind == "with":
        return f"with {site.text}"
    if site.kind == "iter":
        return f"iterating {site.text}"
    if site.kind == "attr":
        return site.text
    return f"{site.text}()"


def describe_api(entry: Entry) -> str:
    api = entry.api
    if api.startswith(("with ", "iteration over ", "read of ")):
        return api
    if api.startswith("builtins."):
        api = api[len("builtins."):]
    return f"{api}()"


def _label(entry: Entry) -> str:
    return label_for(entry.category)


def _chain(project: Project, ref: FunctionRef, b: Blocking, chains, prop: Optional[Propagation] = None) -> tuple:
    """(qualified names, hops, library entry) from the function of ``b`` down to the blocking API. With
    ``prop``, each hop follows the blocking site the previous call can reach with what it passes."""
    site = b.site
    chain = [ref.qualname]
    hops = [hop_at(ref.qualname, ref.module.display, site)]
    entry = b.entry
    current = b.target if entry is None else None
    call, caller = b, ref.qualname
    outer = ()  # the calls above ``call``, from the coroutine down
    seen = set()
    while current is not None and current not in seen:
        seen.add(current)
        chain.append(current)
        cref = project.functions[current]
        witness = prop.witness_through(call, caller, outer) if prop is not None else None
        if witness is None:
            got = chains.get(current)
            if got is None and prop is not None and call.context is not None:
                # an inherited method that blocks only through the override of the class it was called
                # on (``HttpClient().get()``, ``BaseClient.get`` calling ``self.fetch``): that override
                hit = prop.in_context(call)
                if hit is not None:
                    got = (None, Blocking(hit[0].site, target=hit[1]))
            _, witness = chains[current] if got is None else got
        hops.append(hop_at(current, cref.module.display, witness.site))
        if witness.entry is not None:
            entry = witness.entry
            break
        outer += ((call, caller),)
        call, caller, current = witness, current, witness.target
    assert entry is not None
    chain.append(entry.api)
    hops.append(ChainHop(entry.api, None, None, describe_api(entry), symbol=entry.api))
    return chain, hops, entry


def hop_at(function: str, path: str, site: CallSite) -> ChainHop:
    """The hop of ``function`` at call site ``site``: where it is and what it calls, as written."""
    return ChainHop(function, path, site.line, describe_site(site), column=site.col + 1, symbol=site.text)


def _root(hops: list) -> str:
    """Where the blocking happens: the last project hop and the API it calls."""
    last = hops[-2]
    return f"{last.path}:{last.line}:{hops[-1].function}"


def _diagnostic(ref: FunctionRef, site: CallSite, entry: Entry, code: str, message: str, chain: list, hops: list,
                suggestion: str) -> Diagnostic:
    return Diagnostic(
        path=ref.module.display,
        line=site.line,
        column=site.col + 1,
        end_line=site.end_line,
        end_column=site.end_col + 1,
        code=code,
        category=entry.category,
        message=message,
        function=ref.qualname,
        chain=chain,
        hops=hops,
        suggestion=suggestion,
        api=entry.api,
        root=_root(hops),
    )


def _same_call(shown: str, api: str) -> bool:
    """Does the call as written already say the API (``glob.glob()``; ``with ThreadPoolExecutor()``,
    whose API is written without the call's brackets), so that naming it again says nothing?"""
    bare_shown, bare_api = shown.removesuffix("()"), api.removesuffix("()")
    return bare_api == bare_shown or bare_api.endswith(f".{bare_shown}") or bare_shown.endswith(bare_api)


def direct_finding(ref: FunctionRef, b: Blocking, where: str = "") -> Diagnostic:
    """``where``: where the call runs, as the message says it (default: in the coroutine ``ref``)."""
    e, site = b.entry, b.site
    shown = describe_site(site)
    api = describe_api(e)
    detail = "" if _same_call(shown, api) else f" ({api})"
    where = where or f"in async function {ref.summary.name}"
    message = e.message or f"blocking {_label(e)} {shown}{detail} {where}"
    chain, hops, _ = _chain(None, ref, b, {})
    return _diagnostic(ref, site, e, code_for(e.category, False), message, chain, hops, e.replacement)


def _in_callback_of(ref: FunctionRef, callback: str) -> str:
    """Where a call in a sync callback the loop runs runs, as its finding's message says it."""
    return f"in {ref.summary.name}(), a callback the event loop runs ({callback}())"


def _in_callback(project: Project, d: Diagnostic, ref: FunctionRef, callback: str) -> None:
    """A finding of a sync callback the loop runs: said so (a direct finding said it already, unless
    the catalog gave its own message), and what to do there instead (no ``await`` can be written in it)."""
    d.callback = callback
    where = _in_callback_of(ref, callback)
    if not d.message.endswith(where):
        d.message += f" {where}"
    replacement = project.catalog.replacement_of(d.api or "")
    instead = f" ({replacement})" if replacement else ""
    d.suggestion = ("keep the callback short: hand the work to a thread with loop.run_in_executor(None, ...), or "
                    f"schedule a coroutine that does it asynchronously{instead}")


def transitive_finding(project: Project, ref: FunctionRef, b: Blocking, chains,
                       prop: Optional[Propagation] = None) -> Diagnostic:
    site = b.site
    chain, hops, entry = _chain(project, ref, b, chains, prop)
    if joins_on_exit(entry):
        blocks = f"which waits on the {entry.api.rsplit('.', 1)[-1]} (with-exit joins the submitted work)"
    else:
        blocks = f"which blocks on {describe_api(entry)} ({_label(entry)})"
    if site.kind == "attr":
        message = f"reads property {site.text}, {blocks}"
    elif site.kind == "iter":
        message = f"iterates over {site.text}, {blocks}"
    elif site.kind == "with":
        message = f"enters {site.text}, {blocks}"
    elif _generator(project, b.target):  # a @contextmanager a with enters (analysis._entered_context)
        message = f"enters {site.text}(), {blocks}"
    elif b.target.endswith((".__init__", "post_init__")):
        message = f"constructs {site.text}(), {blocks}"
    elif site.awaited:  # (``classify._passed_callable``: the coroutine awaited here calls what it is passed)
        message = f"awaits {site.text}(), which calls the {_short(b.target)}() passed to it, {blocks}"
    else:
        message = f"calls {site.text}(), {blocks}"
    depth = len(chain) - 2
    if depth > 1:
        message += f" {depth} calls down"
    # an iteration is offloaded whole: the items are produced in the thread (a generator runs there)
    offload = f"list, {site.text}" if site.kind == "iter" else f"{site.text}, ..."
    suggestion = f"offload it: await asyncio.to_thread({offload}), or make the chain async ({entry.replacement})"
    if site.kind == "call" and _generator(project, b.target):
        # its body runs as the with enters and leaves it: offloading the call alone runs none of it
        suggestion = (f"run the whole with block in a thread (a sync helper for it, awaited with "
                      f"asyncio.to_thread), or make the chain async ({entry.replacement})")
    if site.awaited:
        suggestion = (f"pass a coroutine function and await it in {site.text}, or have {site.text} call it with "
                      f"await asyncio.to_thread(...) ({entry.replacement})")
    d = _diagnostic(ref, site, entry, code_for(entry.category, True), message, chain, hops, suggestion)
    d.passed = site.awaited  # (no fix: the awaited call is not what to offload)
    return d


def _generator(project: Project, fq: Optional[str]) -> bool:
    ref = project.functions.get(fq) if fq else None
    return ref is not None and ref.summary.is_generator and not ref.summary.is_async


def _short(fq: str) -> str:
    """``Pool.get_team_name`` of ``app.models.Pool.get_team_name`` (a method keeps its class)."""
    parts = fq.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 and parts[-2][:1].isupper() else parts[-1]


def initializer_root(ref: FunctionRef) -> str:
    """The root (``Diagnostic.root``) an initializer's findings share: one initializer, one cause."""
    return f"{ref.module.display}:{ref.summary.line}:{ref.qualname}"


def _initializes(b: Blocking, ref: FunctionRef) -> bool:
    """Is ``b`` blocking in one-time initialization that can be a finding: not per call, not a closed
    client replaced (never on the normal path), and, in a sync function, blocking that its callers
    take on (``propagates``)?"""
    return b.site.once and b.site.once_of[:1] != ("reopen",) and (
        b.entry is None or ref.summary.is_async or propagates(b, ref))


def once_finding(project: Project, ref: FunctionRef, b: Blocking, chains, callers: list,
                 keyed: bool = False) -> Diagnostic:
    """ASL401 at the blocking line of one-time initialization; ``callers``: the async call sites
    (``ChainHop``s) that reach it; ``keyed``: it fills a cache of many entries, once per new key."""
    chain, hops, entry = _chain(project, ref, b, chains)
    via = "" if b.entry is not None else f" through {describe_site(b.site)}"
    n = len(callers)
    what = f"one-time initialization in {ref.summary.name}() blocks on {describe_api(entry)} ({_label(entry)}){via}"
    each = " for each new key of its cache" if keyed else ""
    if ref.summary.is_async:
        message = f"{what}: it runs on the event loop the first time {ref.summary.name}() is awaited{each}"
    elif n == 1:
        message = f"{what}: the async call site that reaches it waits on the event loop the first time{each}"
    else:
        message = f"{what}: the first of {n} async call sites to reach it{each} waits on the event loop"
    suggestion = ("build it at startup (in the app's lifespan or an on_startup handler), or offload the first "
                  f"call with await asyncio.to_thread(...) ({entry.replacement})")
    d = _diagnostic(ref, b.site, entry, ONCE_CODE, message, chain, hops, suggestion)
    d.root = initializer_root(ref)  # one initializer, one cause
    d.callers = callers
    return d


def _scope(prop: Propagation, functions):
    """(function, its blocking sites) of ``functions`` (None: every function with some)."""
    if functions is None:
        return prop.sites.items()
    return [(fq, prop.sites[fq]) for fq in functions if fq in prop.sites]


def coroutine_findings(project: Project, prop: Propagation, entries: frozenset = frozenset(), functions=None,
                       locks=None, once: OnceCoroutines = NO_ONCE, callbacks=None) -> list:
    """ASL1xx/ASL2xx for per-call blocking in every reported coroutine (of ``functions``, when a
    long-lived caller asks for some only; ``locks``: its ``LoopOnlyLocks``, tables kept up to date);
    in ``entries`` (coroutines that start a loop), not what runs before the first await; none in
    coroutines only one-time initialization awaits (``once``). The sync functions the loop runs as
    callbacks (``callbacks``: qualname -> how they were scheduled, ``analyze.callbacks``) are roots
    too. The findings of one file access or one object in a coroutine share a root (``causes``)."""
    out = []
    fns = project.functions
    locks = locks if locks is not None else LoopOnlyLocks(project, prop.callers, prop)
    causes = Causes(project, prop)
    callbacks = callbacks or {}
    for fq, found in _scope(prop, functions):
        ref = fns[fq]
        callback = "" if ref.summary.is_async else callbacks.get(fq, "")
        if not (ref.summary.is_async or callback) or not ref.module.report or fq in once.functions:
            continue
        starting = fq in entries
        resolved = [(b, prop.resolve(b, fq)) for b in found if not b.site.once
                    and not (starting and b.site.before_await)]
        blocking_lines = {b.site.line for b, got in resolved if got is not None}
        lock_roots: dict = {}  # lock identity -> the root of its first finding here
        for b, got in resolved:
            if got is None:
                continue
            eff, chains = got
            if eff.entry is not None:
                if callback and ready_io(callback, eff.entry.api):
                    continue  # the read (write) a reader (writer) callback is run for: the descriptor is ready
                held = lock_type(eff.entry.api)
                if held and locks.quiet(b.site, fq, blocking_lines - {b.site.line}):
                    continue  # every section of the lock is short, or only the loop's thread takes it
                out.append(direct_finding(ref, eff, _in_callback_of(ref, callback) if callback else ""))
                if held and (ident := locks.lock_of(b.site, fq)) is not None:
                    out[-1].root = lock_roots.setdefault(ident, out[-1].root)  # one lock, one cause
            else:
                # the chain a call can take with its arguments (not one its caller ruled out), unless it
                # goes through a class context the plain witnesses do not know
                out.append(transitive_finding(project, ref, eff, chains, prop if chains is prop.blocking else None))
            if callback:
                if ready_io(callback, out[-1].api):
                    out.pop()  # (through a wrapper of the connection: still the read it was run for)
                    continue
                _in_callback(project, out[-1], ref, callback)
            causes.add(ref, eff, out[-1])
    causes.group()
    return out


def initialization_findings(project: Project, prop: Propagation, entries: frozenset = frozenset(),
                            functions=None, once: OnceCoroutines = NO_ONCE, programs: Optional[dict] = None,
                            locks=None) -> list:
    """ASL401 for every one-time initialization that blocks and that some coroutine reaches (of
    ``functions``, when a long-lived caller asks for some only); not when a coroutine that starts a
    loop reaches it before its first await (built before serving), unless that program serves
    nothing and other callers are outside it (``programs``, see ``async_callers``). One-time
    initialization that awaits a coroutine only it runs (``once``) blocks as that coroutine does.
    A threading lock it takes is no wait when every section of the lock is short, or only the loop's
    thread takes it (``locks``: a ``LoopOnlyLocks``, as for per-call findings)."""
    out = []
    locks = locks if locks is not None else LoopOnlyLocks(project, prop.callers, prop)
    keys = []  # for each finding: (its root, the module-level cache it fills or None)
    fns = project.functions
    _awaited_once(project, prop, entries, functions, once, out, keys, programs)
    asked = set()
    for fq, found in _scope(prop, functions):
        ref = fns[fq]
        if not ref.module.report:
            continue
        asked.add(fq)
        for b in found:
            if not _initializes(b, ref):
                continue
            got = prop.resolve(b, fq)
            if got is None:
                continue
            if got[0].entry is not None and lock_type(got[0].entry.api) and \
                    locks.quiet(b.site, fq, _blocking_lines(prop, fq, found) - {b.site.line}):
                continue  # every section of the lock is short, or only the loop's thread takes it
            keyed = b.site.once_of[:1] == ("keyed",)
            callers = async_callers(project, prop, fq, entries, keyed, programs)
            if callers:
                out.append(once_finding(project, ref, got[0], got[1], callers, keyed))
                out[-1].keyed = keyed
                keys.append((out[-1].root, once_cache(project, ref, b.site.once_of)))
    keys += _other_initializers(project, prop, entries, asked, keys, programs)
    _one_cause_per_cache(out, keys)
    return out


def _blocking_lines(prop: Propagation, fq: str, found) -> set:
    """The lines of ``fq`` with a call that blocks (a lock held around one of them stays reported)."""
    return {b.site.line for b in found if prop.resolve(b, fq) is not None}


def _other_initializers(project: Project, prop: Propagation, entries, asked: set, keys: list, programs) -> list:
    """(root, cache) of the initializers outside ``asked`` that fill a cache one of ``keys`` names and
    would be findings of a run over the project: a run that reports some files only (a file named,
    an editor, ``live``) groups them as a run over the whole project does, under the same root."""
    caches = {cache for _, cache in keys if cache is not None}
    out = []
    if not caches:
        return out
    fns = project.functions
    for fq, found in prop.sites.items():
        if fq in asked:
            continue
        ref = fns[fq]
        if ref.module.library or project.is_test(ref.module):
            continue  # (what a run over the project reports: ``report`` is the asked files' here)
        for b in found:
            if not _initializes(b, ref):
                continue
            cache = once_cache(project, ref, b.site.once_of)
            if cache not in caches or prop.resolve(b, fq) is None:
                continue
            if async_callers(project, prop, fq, entries, b.site.once_of[:1] == ("keyed",), programs):
                out.append((initializer_root(ref), cache))
                break
    return out


def _awaited_once(project: Project, prop: Propagation, entries, functions, once: OnceCoroutines, out: list,
                  keys: list, programs: Optional[dict] = None) -> None:
    """ASL401 at each guarded await of a once-only coroutine that blocks (``analyze.once``), and at each
    blocking line of the once-only coroutines it runs: one cause, the guard's. Each coroutine's lines
    are reported once, with the first guard (in name and line order) that runs it."""
    if not once.guarded:
        return
    fns = project.functions
    wanted = None if functions is None else set(functions)
    chains = once_chains(prop, once)
    done = set()
    for fq in sorted(once.guarded):
        ref = fns[fq]
        for site, target in sorted(once.guarded[fq], key=lambda x: (x[0].line, x[0].col, x[1])):
            if target not in chains:
                continue  # it runs nothing that blocks
            callers = async_callers(project, prop, fq, entries, site.once_of[:1] == ("keyed",), programs)
            if not callers:
                continue
            cache = once_cache(project, ref, site.once_of)
            if ref.module.report and (wanted is None or fq in wanted):
                out.append(once_finding(project, ref, Blocking(site, target=target), chains, callers))
                keys.append((out[-1].root, cache))
            root = initializer_root(ref)
            for g in _runs(once, target):
                if g in done:
                    continue
                done.add(g)
                gref = fns[g]
                if not gref.module.report or wanted is not None and g not in wanted:
                    continue
                for b in prop.sites.get(g, ()):
                    if b.site.once or b.entry is not None and lock_type(b.entry.api):
                        continue  # its own one-time initialization (reported as such); a lock's section
                    got = prop.resolve(b, g)
                    if got is not None:
                        out.append(once_finding(project, gref, got[0], got[1], callers))
                        out[-1].root = root
                        keys.append((root, cache))


def _runs(once: OnceCoroutines, target: str) -> list:
    """``target`` and the once-only coroutines it awaits, at any depth."""
    seen, todo = [target], [target]
    while todo:
        for _, inner in once.inner.get(todo.pop(0), ()):
            if inner not in seen:
                seen.append(inner)
                todo.append(inner)
    return seen


def once_cache(project: Project, ref: FunctionRef, subject) -> Optional[tuple]:
    """The module-level object a one-time initialization fills (``CallSite.once_of`` written in ``ref``):
    ``(module, global)`` or ``(module, global, attribute)``, wherever it is imported from; None for
    one kept on ``self``/``cls``, or a memoized function."""
    if not subject or subject[0] not in ("name", "attr"):
        return None
    values, mod = project.values, ref.module
    if subject[0] == "name":
        return values.origin(("g", subject[1]), mod)
    base, attr = subject[1], subject[2]
    if base in ("self", "cls"):
        return None
    where = values.origin(("a", ("g", base), attr), mod)  # an attribute of an imported module: its global
    if where is not None:
        return where
    owner = values.origin(("g", base), mod)
    return owner + (attr,) if owner is not None else None


def _one_cause_per_cache(found: list, keys: list) -> None:
    """Initializers that fill the same module-level cache (the same global built lazily in two places,
    whichever runs first) are one cause, as are the lines of one initializer: they share a root, the
    first of theirs."""
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for root, cache in keys:
        if cache is not None:
            parent[find(("cache",) + cache)] = find(root)
    first: dict = {}
    for root, _ in keys:
        top = find(root)
        if top not in first or root < first[top]:
            first[top] = root
    for d in found:
        d.root = first[find(d.root)]


def async_callers(project: Project, prop: Propagation, fq: str, entries: frozenset = frozenset(),
                  keyed: bool = False, programs: Optional[dict] = None) -> list:
    """The call sites in coroutines from which ``fq`` runs on the event loop (through sync code,
    on every run of the functions between); ``fq`` itself when it is a coroutine.

    A caller in a coroutine of ``entries`` before its first await runs before its loop does anything
    else. ``programs`` (``serving.Programs``; None: as if every one served) says what else
    that loop can run: for a coroutine that serves, anything (no callers are left: whatever the
    server is asked finds the work done); for one that serves nothing (a script, a command), the
    modules its program imports: callers elsewhere (the routes of an app that program never loads)
    run in another program, which still does the work the first time. For a cache of many entries
    (``keyed``) such a caller fills only the keys it asks for: the others are still filled on the
    loop, so it is left out and the rest are the callers. A coroutine of test code is no caller of
    the program's code (unless check-tests, ``Project.check_tests``): a test drives the program, no
    request waits on it."""
    fns = project.functions
    if fns[fq].summary.is_async:
        ref = fns[fq]
        return [ChainHop(fq, ref.module.display, ref.summary.line, ref.summary.name, column=ref.summary.col + 1,
                         symbol=ref.summary.name)]
    found, seen, stack = [], {fq}, [fq]
    # test code's coroutines count only for test code of its own, or when the run checks tests as the
    # program's own code
    tests_count = project.check_tests or project.is_test(fns[fq].module)
    warm: set = set()  # paths of the modules of the programs that built it before their first await
    while stack:
        g = stack.pop()
        for f, b in prop.callers.get(g, ()):
            if b.site.once:
                continue
            fref = fns[f]
            if fref.summary.is_async:
                if not tests_count and project.is_test(fref.module):
                    continue  # a test's coroutine: no request waits for what it builds
                if prop.reaches(b, f):
                    if f in entries and b.site.before_await:
                        if keyed:
                            continue
                        modules = programs.get(f) if programs is not None else None
                        if modules is None:
                            return []
                        warm |= modules
                        continue
                    found.append((f, fref, b.site))
            elif f not in seen and prop.reaches(b, f):
                seen.add(f)
                stack.append(f)
    out = [hop_at(f, ref.module.display, site) for f, ref, site in found if ref.module.path not in warm]
    if warm and not out:
        return []
    out.sort(key=lambda h: (h.path, h.line, h.function))
    return out
