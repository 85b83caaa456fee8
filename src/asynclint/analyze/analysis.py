"""Stage 4, analyze: which code blocks the event loop.

1. ``classify``: every call site of every function (or of every function the
   reported files reach) against the catalog and the project: a blocking
   library call, a call into a project function, or nothing.
2. ``propagate``: which sync project functions block on every call, and the
   chain that proves it.
3. ``findings``: for every coroutine, its blocking call sites (``ASL1xx``,
   ``ASL2xx``), and one-time initialization reached from coroutines
   (``ASL401``), reported once; not what a coroutine that starts a loop does
   before its first await (``entries``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..link import Project
from ..link.values import Sym
from .classify import MAX_LIBRARY_DEPTH, Classifier, into_library, is_offloading_decorated, offloaded_arg
from .callbacks import loop_callbacks
from .entries import entry_coroutines, runner_places
from .findings import coroutine_findings, initialization_findings
from .locks import LoopOnlyLocks, lock_type
from .once import once_coroutines
from .propagate import Propagation
from .serving import Programs


@dataclass
class Analysis:
    project: Project
    # sync function -> (distance, Blocking witness)
    blocking: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    # the coroutines that start a loop (``entries.entry_coroutines``); None: not known here
    entries: Optional[set] = None


def analyze(project: Project, enabled_categories: Optional[set] = None, roots: Optional[set] = None,
            classified: Optional[dict] = None) -> Analysis:
    """Find every blocking call site in every coroutine of the project.

    With ``roots`` (the functions of the files to report), only the code they can reach is
    classified: checking one file of a large project (an editor, pre-commit) costs what that
    file reaches, not the whole project. One-time initialization in those files needs its
    callers, so a file that has some is analysed with the whole project.

    ``classified`` (qualname -> its blocking call sites) keeps each function's classification
    across runs on the same project (``live.Workspace``): a function found there is not
    classified again; the caller drops the entries a change makes stale.
    """
    fns = project.functions
    if roots is not None and any(site.once for fq in roots if fq in fns for site in fns[fq].summary.calls):
        roots = None
    sites = classify_reachable(project, enabled_categories, roots, classified)
    if roots is not None and _takes_locks(sites, roots):
        sites = classify_reachable(project, enabled_categories, None, classified)  # who else takes them: the whole project
    prop = Propagation(project, sites)
    # (the framework stage needs them too, for what a program does before it serves: found once here)
    runners = runner_places(project)  # (both read it)
    entries = entry_coroutines(project, runners)
    once = once_coroutines(project, runners)
    locks = LoopOnlyLocks(project, prop.callers, prop)
    diagnostics = coroutine_findings(project, prop, entries, locks=locks, once=once,
                                     callbacks=loop_callbacks(project)) + \
        initialization_findings(project, prop, entries, once=once, programs=Programs(project), locks=locks)
    return Analysis(project, prop.blocking, diagnostics, entries)


def _takes_locks(sites: dict, functions) -> bool:
    return any(b.entry is not None and lock_type(b.entry.api) for fq in functions for b in sites.get(fq, ()))


def classify_reachable(project: Project, enabled_categories: Optional[set], roots: Optional[set],
                       classified: Optional[dict] = None) -> dict:
    """The blocking call sites of every function (of every function ``roots`` reach): qualname -> [Blocking].

    ``classified``: earlier results for the same project and categories, read and filled in."""
    classifier = Classifier(project)
    offloader_memo: dict = {}  # project function -> does it hand a parameter to an offloader
    library_depth: dict = {}  # library function -> calls into library code from the project's
    fns = project.functions
    sites: dict = {}
    if roots is None:
        todo = [fq for fq, r in fns.items() if not r.module.library]  # library code only where reached
    else:
        todo = [fq for fq in roots if fq in fns]
    seen = set(todo)
    while todo:
        fq = todo.pop()
        ref = fns[fq]
        # a library function's sites depend on how deep into library code it was entered
        key = (fq, library_depth.get(fq, 0)) if ref.module.library else fq
        found = classified.get(key) if classified is not None else None
        if found is not None:
            _reached(found, ref, fns, library_depth, seen, todo)
            if found:
                sites[fq] = found
            continue
        found = classify_function(classifier, ref, enabled_categories, library_depth, offloader_memo)
        for b in found:
            for t in (b.target,) + b.alternatives:
                if t is not None and t not in seen:
                    seen.add(t)
                    todo.append(t)
        if classified is not None:
            classified[key] = found
        if found:
            sites[fq] = found
    return sites


def _plain(classifier: Classifier, fq: str) -> bool:
    """Does the project function call nothing that is blocking or project code (a computed value)?"""
    ref = classifier.project.functions.get(fq)
    return ref is not None and all(classifier.classify(s, ref) is None for s in ref.summary.calls)


def _inside(inner, outer) -> bool:
    return inner is not outer and (outer.line, outer.col) <= (inner.line, inner.col) and \
        (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)


def classify_function(classifier: Classifier, ref, enabled_categories: Optional[set], library_depth: dict,
                      offloader_memo: dict) -> list:
    """The blocking call sites of one function: [Blocking]."""
    project = classifier.project
    fns = project.functions
    found = []
    for site in ref.summary.calls:
        b = classifier.classify(site, ref)
        if b is None:
            continue
        if b.entry is not None and enabled_categories is not None and b.entry.category not in enabled_categories:
            continue
        if b.target is not None:
            tref = fns.get(b.target)
            if tref is None or tref.summary.is_async:
                continue
            if tref.module.library and not into_library(classifier, ref, b, library_depth):
                continue
            if tref.summary.is_generator and site.kind == "call" and not _entered_context(project, ref, site, tref):
                continue  # calling a generator function runs none of its body
            if is_offloading_decorated(project, tref, offloader_memo):
                continue
        found.append(b)
    if any(b.site.kind == "call" and (b.entry is not None and b.entry.lazy or b.target is not None) for b in found):
        found = _not_consumed_in_threads(classifier, ref, found, offloader_memo)
    if found and ref.summary.exit_tails and not ref.summary.is_async:
        found = [b for b in found if not _before_process_ends(project, ref, b.site)]
    return found


def _entered_context(project: Project, ref, site, tref) -> bool:
    """Is ``site`` the call of a sync ``@contextmanager`` generator that a ``with`` of ``ref`` enters
    (``with self.open(path) as f:``)? Entering it runs its body up to the ``yield``, and leaving it the
    rest: the ``with`` line runs what that body does, as a plain call would."""
    if not project.values.is_contextmanager(tref):
        return False
    span = (site.line, site.col, site.end_line, site.end_col)
    return any(s.kind == "with" and (s.line, s.col, s.end_line, s.end_col) == span for s in ref.summary.calls)


# what ends the process at once, wherever it is called (not sys.exit: a SystemExit raised while a
# request is served ends that request, not the server); os.kill(os.getpid(), one of these) too
ENDS_PROCESS = frozenset({"os._exit", "os.abort", "os.kill"})
_ENDING_SIGNALS = frozenset({"SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT", "SIGABRT"})


def _before_process_ends(project: Project, ref, site) -> bool:
    """Is the call in a tail of a sync function's statements that ends the process
    (``FunctionSummary.exit_tails``: ``marker.touch(); os.kill(os.getpid(), signal.SIGKILL)``)? It runs
    once, as the process dies: no request waits on it after that, and its callers do not block by it."""
    return any(first <= site.line < last and exit_calls(project, ref, last) & ENDS_PROCESS
               for first, last in ref.summary.exit_tails)


def exit_calls(project: Project, ref, line: int) -> set:
    """What the calls on ``line`` of function ``ref`` (the last line of one of its exit tails) end the
    program with: ``sys.exit``, ``os._exit``, ``os.abort``, and ``os.kill`` for ``os.kill(os.getpid(),
    SIGKILL)`` (a signal that ends it; another process's pid is no end of this one)."""
    out = set()
    for s in ref.summary.calls:
        if s.line != line or s.kind != "call":
            continue
        v = project.ev(s.callee, ref.module)
        if type(v) is not Sym:
            continue
        if v.name == "os.kill":
            if len(s.args) >= 2 and s.args[0] is not None and s.args[0][0] == "c" and s.args[1] is not None:
                pid, sig = project.ev(s.args[0][1], ref.module), project.ev(s.args[1], ref.module)
                if type(pid) is Sym and pid.name == "os.getpid" and type(sig) is Sym \
                        and sig.name.rpartition(".")[2] in _ENDING_SIGNALS:
                    out.add(v.name)
        elif v.name in ("sys.exit", "os._exit", "os.abort"):
            out.add(v.name)
    return out


def _not_consumed_in_threads(classifier: Classifier, ref, found: list, memo: dict) -> list:
    """``found`` but the lazy calls made in the arguments of an offloader: an iterator that does its
    work as it is consumed (``Path.iterdir``, ``os.walk``: ``Entry.lazy``), or a call of a sync helper
    that only returns one, handed to a thread that consumes it (``to_thread(list, p.iterdir())``)."""
    project = classifier.project
    calls = [b.site for b in found if b.site.kind == "call"]
    # (only a call around one of them can be such an offloader call: the others are not looked at)
    offloads = [s for s in ref.summary.calls if s.kind == "call" and any(_inside(c, s) for c in calls)
                and offloaded_arg(project, s, ref, memo, 0) is not None]
    if not offloads:
        return found
    return [b for b in found if not (b.site.kind == "call" and any(_inside(b.site, s) for s in offloads)
                                     and _lazy(classifier, b))]


def _lazy(classifier: Classifier, b, depth: int = 0) -> bool:
    """Does this blocking call only make an iterator that does the work later: a lazy library call,
    or a sync helper whose blocking is only returning one (``return p.glob("*")``)?"""
    if b.entry is not None:
        return b.entry.lazy
    if b.target is None or b.alternatives or depth > 4:
        return False
    tref = classifier.project.functions.get(b.target)
    if tref is None or tref.module.library:
        return False
    lazy = False
    for site in tref.summary.calls:
        inner = classifier.classify(site, tref)
        if inner is None:
            continue
        if inner.entry is None and inner.target is not None and site.kind == "attr" and _plain(classifier, inner.target):
            continue  # a property of the helper's object that computes a value (``self.path``)
        if not (site.returned and _lazy(classifier, inner, depth + 1)):
            return False
        lazy = True
    return lazy


def _reached(found: list, ref, fns: dict, library_depth: dict, seen: set, todo: list) -> None:
    """What classifying a function again would have done besides finding ``found``: queue its
    targets, and note how deep into library code its library targets are entered (``into_library``)."""
    d = library_depth.get(ref.qualname, 0) + 1 if ref.module.library else 1
    for b in found:
        for t in (b.target,) + b.alternatives:
            if t is None:
                continue
            tref = fns.get(t)
            if tref is not None and tref.module.library and d < library_depth.get(t, MAX_LIBRARY_DEPTH + 1):
                library_depth[t] = d
            if t not in seen:
                seen.add(t)
                todo.append(t)
