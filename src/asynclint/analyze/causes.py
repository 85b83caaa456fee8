"""One cause per file, one cause per object: the findings of one coroutine that work on the same
file, or on the same client object it made, share one ``root``, and the text report shows them as
one line with the others under it.

The rules, for the findings of one coroutine and the coroutines nested in it:

- **one file**: the file-system calls (``ASL104``/``ASL105``) that name one path or file object
  (``files.access_subjects``): the check, the folder made for it, the open, the reads and writes,
  the close, the removal. A name derived from the path in the function stays the path (a sibling,
  ``str(p)``, the object opened from it and that object's ``.name``), a name bound in ``try:`` and
  used in ``finally:`` stays what it was bound to, and a temporary file made without a name
  (``mkstemp()``, ``NamedTemporaryFile()``) is the file its later uses name. A file in a folder and
  the folder of a file (``p.parent.mkdir()``, ``os.listdir(d)`` then ``os.path.join(d, name)``) join
  the calls on that folder or file when the function makes some, and only then: two files beside one
  another are not one access because of their folder. A call into a project helper that blocks on
  file work (``ASL204``/``ASL205``) is part of the access when it is passed the path in an argument
  the helper uses as a path, or when it returns the path (``open(get_log_file(name))``).
- **one object**: the other blocking calls (``ASL1xx``) made on one object the coroutine created
  itself: a library class or factory called in the function (``smtp = smtplib.SMTP(host)``, then
  ``starttls``, ``login``, ``send_message``, ``quit``), and what its methods return (a cursor of a
  connection made there). One object, one fix (an async client, or one ``to_thread`` around the
  session). A parameter, ``self.client`` or a module-level client is not grouped: a long-lived
  client serves unrelated requests, each its own cause.
- **one line**: blocking calls of one kind on one line, and the waits inside a waiting ``with``
  (``with ThreadPoolExecutor() as ex:`` ... ``as_completed``).

A group is shown as its costliest finding (file I/O before a cheap file-system call, a read or
write before the open), and every finding in it gets that one's root; ``Diagnostic.access`` says
what they share ("file access", "SMTP object") for the text report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..categories import label_for, tier_of
from ..link import FunctionRef, Project
from ..link.values import Inst
from ..model import CallSite, Diagnostic
from .classify import Blocking
from .conditions import call_arguments
from .files import Names, access_subjects, call_result, created_object, near, norm, subject
from .propagate import Propagation

FILE_CATEGORIES = ("file", "light")
_FOLDER_MAKERS = frozenset({"TemporaryDirectory", "mkdtemp"})

_OPENERS = frozenset({"open", "fdopen", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile",
                      "TemporaryDirectory", "mkstemp", "mkdtemp"})


@dataclass(slots=True)
class Access:
    site: CallSite
    finding: Diagnostic
    function: str
    on: set = field(default_factory=set)  # keys of the object it is called on (a nested coroutine's too)
    used: set = field(default_factory=set)  # keys it works on: joins every other access with one of them
    made: set = field(default_factory=set)  # keys of what it creates: joins only the accesses that use them
    kind: Optional[str] = None  # the type of the object it works on


class Causes:
    """Collects the findings of every coroutine, then groups them per outermost function."""

    def __init__(self, project: Project, prop: Propagation):
        self.project = project
        self.prop = prop
        self.trees: dict = {}  # outermost function -> [Access]
        self._path_params: dict = {}  # sync helper -> the parameters it uses as paths
        self._names: dict = {}

    def names(self, ref: FunctionRef) -> Names:
        got = self._names.get(id(ref.module))
        if got is None:
            got = self._names[id(ref.module)] = Names(self.project, ref.module)
        return got

    def _chain(self, ref: FunctionRef) -> list:
        """``[(qualname, parameter names)]`` from the function out to the outermost one around it."""
        fns, prefix = self.project.functions, ref.module.name
        out, cur = [], ref
        while cur is not None and len(out) < 16:
            out.append((cur.qualname, frozenset(p.name for p in cur.summary.params)))
            parent = cur.summary.parent
            cur = fns.get(f"{prefix}.{parent}") if parent else None
        return out

    def add(self, ref: FunctionRef, b: Blocking, d: Diagnostic) -> None:
        """A finding ``d`` of coroutine ``ref`` at the (resolved) blocking site ``b``."""
        names = self.names(ref)
        site = b.site
        access = Access(site, d, ref.qualname)
        if b.entry is not None:
            if d.category in FILE_CATEGORIES:
                access.on, access.used, access.made = access_subjects(site, names)
                if (d.api or "").rsplit(".", 1)[-1] in _FOLDER_MAKERS:
                    access.used |= access.made  # a temporary folder made here: the files put in it join it
            else:
                self._object(access, names)
        elif d.category in FILE_CATEGORIES and b.target in self.project.functions:
            self._helper(access, b, names)
        else:
            return  # a helper blocking some other way: the cause is the helper's
        chain = self._chain(ref)
        own = ref.qualname
        # the file or object a nested coroutine works on may be its enclosing function's (``fh``
        # opened there, closed here); the paths it names (a ``pathlib`` path's methods too) are its own
        if (d.api or "").startswith("pathlib."):
            access.used |= access.on
            access.on = set()
        # a file in a folder, or the folder of a file: joins the calls on that folder or file, if any
        near_on = {n for n in map(near, access.on) if n is not None}
        near_used = {n for n in map(near, access.used) if n is not None}
        access.made = {(own, k) for k in access.made | near_used | near_on} | {_scoped(k, chain) for k in near_on}
        # (the object as this function wrote it too: a value made in a nested coroutine is its own)
        access.used = {(own, k) for k in access.used | access.on} | {_scoped(k, chain) for k in access.on}
        access.used.add(("line", own, site.line, d.category))
        self.trees.setdefault(chain[-1][0], []).append(access)

    def _object(self, access: Access, names: Names) -> None:
        site = access.site
        callee = site.callee
        if site.kind == "call" and callee[0] == "a" and names.symbol(callee[1]) is None:
            obj = created_object(callee[1], names)  # a method of an object
        elif site.kind == "attr":
            obj = created_object(callee[1], names)
        elif site.kind in ("with", "iter"):
            obj = created_object(callee, names)
        else:
            # the constructor or factory itself: joins the calls on what it made, if any
            obj = created_object(("c", callee, site.args[0] if site.args else None), names)
            if obj is not None:
                access.made.add(("object", norm(obj)))
                api = access.finding.api or ""
                access.kind = api if api.rsplit(".", 1)[-1][:1].isupper() else None
            return
        if obj is not None:
            access.on.add(("object", norm(obj)))
            v = self.project.ev(obj, names.module)
            access.kind = v.type if type(v) is Inst else None

    def _helper(self, access: Access, b: Blocking, names: Names) -> None:
        """A call into a helper that blocks on file work: the paths it passes where the helper takes
        a path, and its result when a file call uses it (the helper returns the path)."""
        site = b.site
        target = self.project.functions[b.target]
        if site.kind != "call":
            access.used.add(subject(site.callee, names))
            access.used.discard(None)
            return
        args = call_arguments(site, target.summary.params, b.offset)
        access.used = {subject(args[p], names) for p in self.path_params(b.target) if p in args}
        access.used.discard(None)
        result = call_result(site, names)
        if result is not None:
            access.made.add(result)

    def path_params(self, fq: str) -> frozenset:
        """The parameters of sync function ``fq`` that its file work (or its helpers') uses as paths."""
        got = self._path_params.get(fq)
        if got is not None:
            return got
        self._path_params[fq] = frozenset()  # a cycle: nothing more through it
        fns = self.project.functions
        ref = fns[fq]
        params = {p.name for p in ref.summary.params}
        names = self.names(ref)
        out = set()
        for b in self.prop.sites.get(fq, ()):
            if b.site.once:
                continue
            if b.entry is not None:
                on, used, _ = access_subjects(b.site, names) if b.entry.category in FILE_CATEGORIES else ((), (), ())
                keys = set(on) | set(used)
            elif b.target in fns and not b.alternatives:
                inner = self.path_params(b.target)
                args = call_arguments(b.site, fns[b.target].summary.params, b.offset) if inner else {}
                keys = {subject(args[p], names) for p in inner if p in args}
            else:
                continue
            # a parameter used as a path or as the folder of one
            keys = {near(k) or k for k in keys if k is not None}
            out |= {k[1] for k in keys if k is not None and k[0] == "p" and len(k) == 2 and k[1] in params}
        got = self._path_params[fq] = frozenset(out)
        return got

    def group(self) -> None:
        for accesses in self.trees.values():
            group_accesses(accesses)


def _scoped(key, chain: list):
    """A key of an object, with the function it belongs to: the one whose parameter it uses (the
    innermost function around that has it), or whose local; the outermost one when it uses neither
    (a global, ``self.x``, a value built from those). In the outermost function, its own."""
    owners = set()
    stack = [key]
    while stack:
        e = stack.pop()
        if e[0] == "p" and len(e) == 2:
            owners.add(next((fq for fq, params in chain if e[1] in params), chain[0][0]))
        elif e[0] == "lv" and len(e) == 2 or e[0] == "text" and e[1] and len(e) == 3:
            owners.add(chain[0][0])
        else:
            stack.extend(x for x in e[1:] if type(x) is tuple and x)
    if not owners:
        return (chain[-1][0], key)
    return (owners.pop() if len(owners) == 1 else tuple(sorted(owners)), key)


def group_accesses(accesses: list) -> None:
    """Join the accesses that share a used key, and those that use what another made; every group of
    several takes the root of its costliest finding."""
    parent = list(range(len(accesses)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict = {}
    # with ThreadPoolExecutor() as ex: ... as_completed(...): the waits inside a waiting `with` are its own
    held = [(i, a.function, a.site.line, a.site.body_end) for i, a in enumerate(accesses)
            if a.site.kind == "with" and a.finding.category == "wait" and a.site.body_end]
    for i, a in enumerate(accesses):
        keys = set(a.used)
        if a.finding.category == "wait":
            keys |= {("held", j) for j, fn, start, end in held
                     if j != i and fn == a.function and start < a.site.line <= end}
            keys |= {("held", i)} if any(j == i for j, _, _, _ in held) else set()
        for key in keys:
            if key in owner:
                parent[find(i)] = find(owner[key])
            else:
                owner[key] = i
    for i, a in enumerate(accesses):
        for key in a.made:
            if key in owner:
                parent[find(i)] = find(owner[key])
    groups: dict = {}
    for i, a in enumerate(accesses):
        groups.setdefault(find(i), []).append(a)
    for group in groups.values():
        if len(group) > 1:
            _one_cause(group)


def _one_cause(group: list) -> None:
    findings = [a.finding for a in group]
    # shown as the costliest kind: file I/O before a stat, the read or the write before the open,
    # the open before the close
    main = min(findings, key=lambda d: (tier_of(d.category), _role(d.api)))
    if main.code[3] == "2" and any(d.root != main.root for d in findings):
        # the helper's root is shared with its other callers: this access is a cause of its own
        root = f"{main.path}:{main.line}:{main.api}"
    else:
        root = main.root
    if all(d.category in FILE_CATEGORIES for d in findings):
        access = "file access"
    else:
        kind = next((a.kind for a in group if a.kind), None)
        access = f"{kind.rsplit('.', 1)[-1]} object" if kind else label_for(main.category)
    for d in findings:
        d.root = root
        d.access = access


def _role(api: Optional[str]) -> int:
    """0 for the work itself, 1 for an open, 2 for a close."""
    name = (api or "").rsplit(".", 1)[-1]
    return 1 if name in _OPENERS else 2 if name == "close" else 0
