"""Evaluate summary expressions (``model.Expr``) to values (``values``) across the whole project.

Return types of project functions, ``self.x`` attributes, ``Depends(...)``
results, re-exports and star imports are all followed here, across modules;
library types come from the catalog.
"""

from __future__ import annotations

from typing import Optional

from ..catalog import Catalog, argument_holds
from ..model import UNKNOWN
from .hierarchy import ClassHierarchy
from .index import FunctionRef, ModuleInfo, ProjectIndex
from .values import (MEMORY_BUFFERS, Inst, IterOf, MapItem, MapOf, MapValues, Meth, Super, Sym, TypeAlias,
                     in_memory, qualified_callable)

_MAX_DEPTH = 60
# wrappers whose result (or entered value) is their argument
# calls whose result stands for their first argument (``functools.partial(shutil.copytree, ...)``
# called later calls ``shutil.copytree``)
_PASSTHROUGH = {"contextlib.closing", "contextlib.nullcontext", "builtins.memoryview",
                "functools.partial"}
# expressions that are never a value of interest (literals, parameters, lists, normalised strings)
_NO_VALUE = frozenset({"u", "lv", "text", "s", "p", "list", "k", "derive"})
# expressions whose value comes out of a call
_CALL_LIKE = frozenset({"c", "aw", "en", "it"})
# expressions whose value comes from the module alone (a definition here, self/cls/super())
_OWN = frozenset({"d", "self", "cls", "sup"})


# what opens a member of an archive (``ZipFile.open``, ``TarFile.extractfile``): over an in-memory
# archive, an in-memory file
_MEMBER_OPENERS = frozenset({"open", "extractfile"})

class Evaluator:
    def __init__(self, index: ProjectIndex, catalog: Catalog):
        self.index = index
        self.catalog = catalog
        self.hierarchy = ClassHierarchy(index, catalog, self.ev)
        self._memo: dict = {}
        # id of a module -> {expression: the entry ``_memo`` has for it}: an expression written twice
        # (``db.execute`` at two call sites) is two equal objects with one value; an identity miss takes
        # the equal one's (on lnbits, half the evaluations were of an expression equal to one done; on
        # homeassistant, a third)
        self._equal: dict = {}
        self._active: set = set()
        self._results: dict = {}
        # with a tracker (``deps``, a long-lived engine), every memoized value also keeps the facts it
        # read: (expression, value, facts)
        self.tracker = None
        self._result_facts: dict = {}
        self.epoch = 0  # counts the times the memos were started afresh (``live``: a value changed)

    # ------------------------------------------------------------- entry points
    def ev(self, e, mod: ModuleInfo):
        """The value of expression ``e`` written in ``mod``, or None."""
        if e is None or e[0] in _NO_VALUE:
            return None
        # Keyed by identity: hashing nested tuples again at every level costs more than the rest of
        # the evaluation. The memo keeps each expression alive, so its id cannot be reused. Only an
        # expression not evaluated yet is hashed, to find an equal one's value (``_equal``).
        key = (id(e), id(mod))
        hit = self._memo.get(key)
        tracker = self.tracker
        if hit is not None:
            if tracker is not None:
                tracker.add(hit[2])
            return hit[1]
        if tracker is not None and e[0] in _OWN:
            return self._ev(e, mod)  # reads nothing: not worth a frame and a memo entry
        equal = self._equal.get(key[1])
        if equal is None:
            equal = self._equal[key[1]] = {}
        try:
            hit = equal.get(e)
        except TypeError:  # (not a form of ``model.EXPR_FORMS``: holds a list)
            hit = equal = None
        if hit is not None:
            self._memo[key] = (e,) + hit[1:]  # (kept under this one's identity: it keeps this one alive)
            if tracker is not None:
                tracker.add(hit[2])
            return hit[1]
        active = self._active
        if key in active or len(active) > _MAX_DEPTH:
            return None
        active.add(key)
        if tracker is not None:
            return self._ev_tracked(e, mod, key, equal, tracker)
        try:
            value = self._ev(e, mod)
        finally:
            active.discard(key)
        self._memo[key] = entry = (e, value)
        if equal is not None:
            equal[e] = entry
        return value

    def _ev_tracked(self, e, mod, key, equal, tracker):
        frame = tracker.open()
        try:
            value = self._ev(e, mod)
        finally:
            self._active.discard(key)
            facts = tracker.close(frame)
        self._memo[key] = entry = (e, value, facts)
        if equal is not None:
            equal[e] = entry
        return value

    def start_afresh(self) -> None:
        """Forget every memoized value and function result (``live``: a value changed, and any of them
        may have read it)."""
        self.epoch += 1
        self._memo = {}
        self._equal = {}
        self._results = {}
        self._result_facts = {}

    def forget(self, mod: ModuleInfo, expressions) -> None:
        """Drop the memoized values of these expressions written in ``mod`` (their text was edited and
        they are no longer part of it: ``live``)."""
        memo, m = self._memo, id(mod)
        equal = self._equal.get(m, {})
        if not memo and not equal:
            return  # (nothing evaluated since the evaluator started afresh: walking them costs more)
        for e in expressions:
            memo.pop((id(e), m), None)
            try:
                equal.pop(e, None)
            except TypeError:  # (a tuple of the summary that holds a list: never an expression)
                pass

    def forget_reading(self, facts) -> None:
        """Drop the memoized values and function results that read any of ``facts`` (``live``: an edit
        changed them); the others still hold. One whose facts were not recorded is dropped too."""
        if not facts:
            return
        facts = frozenset(facts)
        seen: dict = {}  # id of a (shared, interned) fact set -> does it meet ``facts``

        def meets(read) -> bool:
            if read is None:
                return True
            got = seen.get(id(read))
            if got is None:
                got = seen[id(read)] = not facts.isdisjoint(read)
            return got

        for memo in (self._memo, *self._equal.values()):
            for key in [key for key, entry in memo.items() if len(entry) < 3 or meets(entry[2])]:
                del memo[key]
        results, result_facts = self._results, self._result_facts
        for fq in [fq for fq in results if meets(result_facts.get(fq))]:
            del results[fq]
            result_facts.pop(fq, None)

    def callee_value(self, e, mod: ModuleInfo):
        """Like ``ev``, but ``obj.name`` being called is a method even where the type maps any attribute
        to a sub-object (``client.list_database_names()`` vs ``client.shop.orders``)."""
        if e is not None and e[0] == "a":
            base = self.ev(e[1], mod)
            if type(base) is Inst and base.type not in self.index.classes:
                info = self.catalog.type_info(base.type)
                if info is not None and "*" in info.attributes and e[2] not in info.attributes and info.all_methods:
                    return Meth(base.type, e[2])
        return self.ev(e, mod)

    def origin(self, e, mod: ModuleInfo, depth: int = 0) -> Optional[tuple]:
        """Where the global an expression names is bound: ``(module name, global name)``, following
        imports and module attributes (``routers.users.router`` -> ``("app.routers.users", "router")``)."""
        if e is None or depth > 12:
            return None
        kind = e[0]
        if kind == "g":
            g = mod.summary.globals.get(e[1])
            if g is None:
                return None
            if g[0] in ("m", "r"):
                return self.origin(g, mod, depth + 1)
            return (mod.name, e[1])
        if kind in ("m", "r"):
            q = e[1] if kind == "m" else self.index.relative(mod, e[1], e[2])
            modname, _, name = q.rpartition(".")
            target = self.index.modules.get(modname)
            if target is None or not name:
                return None
            return self.origin(("g", name), target, depth + 1)
        if kind == "a":
            base = self.ev(e[1], mod)
            if type(base) is Sym and base.name in self.index.modules:
                return self.origin(("g", e[2]), self.index.modules[base.name], depth + 1)
        return None

    def not_none(self, e, mod: ModuleInfo, depth: int = 0) -> bool:
        """Is the value of ``e`` certainly not None: a literal, a constructed object, something declared
        with a type that does not admit None?"""
        if e is None or depth > 6:
            return False
        match e[0]:
            case "s" | "list" | "seqof" | "mapof" | "d" | "self" | "cls" | "i":
                return True
            case "k":
                return e[1] is not None
            case "c":
                match self.callee_value(e[1], mod):
                    case Sym(q) if q in self.index.classes:
                        return True
                    case Sym(q) if q not in self.index.functions:
                        # a library class (the catalog's, or by its capitalised name), or a factory the
                        # catalog knows the result type of (sqlalchemy.create_engine)
                        cq = self.catalog.canonical(q)
                        return self.catalog.type_info(cq) is not None or cq in self.catalog.returns or \
                            cq.rsplit(".", 1)[-1][:1].isupper() and not cq.startswith("builtins.")
                return False
            case "alt" | "cast":
                return self.not_none(e[1], mod, depth + 1) or self.not_none(e[2], mod, depth + 1)
            case "either":
                return self.not_none(e[1], mod, depth + 1) and self.not_none(e[2], mod, depth + 1)
            case "g":
                g = mod.summary.globals.get(e[1])
                return g is not None and g[0] not in ("m", "r") and self.not_none(g, mod, depth + 1)
            case "a":
                base = self.ev(e[1], mod)
                if type(base) is Inst and base.type in self.index.classes:
                    for q in self.hierarchy.mro(base.type):
                        entry = self.index.classes.get(q)
                        if entry is not None and e[2] in entry[1].attrs:
                            info, cls = entry
                            return all(self.not_none(x, info, depth + 1) for x in cls.attrs[e[2]])
                elif type(base) is Inst:
                    # an attribute the catalog names on a library object holds the object it says
                    # (an AsyncEngine's sync_engine is its Engine); a pattern ("*") is no such promise
                    info = self.catalog.type_info(base.type)
                    return info is not None and bool(info.attributes.get(e[2]))
        return False

    # ---------------------------------------------------------------- evaluation
    def _ev(self, e, mod: ModuleInfo):
        match e[0]:
            case "g":
                return self.global_value(mod, e[1])
            case "m":
                return self.library_object(self.resolve_qualified(e[1], mod))
            case "r":
                return self.library_object(self.resolve_qualified(self.index.relative(mod, e[1], e[2])))
            case "d":
                return Sym(f"{mod.name}.{e[1]}")
            case "a":
                return self.library_object(self.attribute(self.ev(e[1], mod), e[2], mod))
            case "c":
                return self.call_result(self.callee_value(e[1], mod), e[2], mod, e[3])
            case "callargs":
                return self.call_result(self.ev(e[1], mod), e[2][0] if e[2] else None, mod)
            case "seqof":
                return IterOf(self.ev(e[1], mod))
            case "mapof":
                inner = self.ev(e[1], mod)
                return MapOf(inner) if inner is not None else None
            case "tal":
                return TypeAlias(self.ev(e[1], mod))
            case "i":
                match self.ev(e[1], mod):
                    case TypeAlias(value):
                        return value
                    case Sym(name):
                        t = self.catalog.canonical(name)
                        info = self.catalog.type_info(t)
                        if info is not None and info.async_subclass:
                            # ``socket: zmq.Socket`` holds for a zmq.asyncio.Socket too: the annotation
                            # does not say which one it is (an assigned value still may)
                            return None
                        return Inst(t)
                return None
            case "it":
                return self.element(self.ev(e[1], mod))
            case "tup":
                # a returned tuple literal taken whole: a sequence its first item stands for, as a
                # literal list is (each item matters where it is unpacked: ``part``)
                return IterOf(self.ev(e[1][0], mod))
            case "part":
                # one of the values a call gave, unpacked: of a catalogued pair, what it holds
                # (``reader, writer = multiprocessing.Pipe()``: two connections); of a project
                # function that returns a tuple literal, that item (``client, db = make_clients()``)
                match self.ev(e[1], mod):
                    case Inst(t) if t not in self.index.classes:
                        info = self.catalog.type_info(t)
                        if info is not None and info.element:
                            return Inst(info.element)
                return self.unpacked(e[1], e[2], mod)
            case "en":
                return self.entered(self.ev(e[1], mod))
            case "aw" | "opt":
                return self.ev(e[1], mod)
            case "sub":
                match self.ev(e[1], mod):
                    case MapOf(value):
                        return value  # clients[name] on a Dict[str, Client]
                    case Inst(t):
                        info = self.catalog.type_info(t)
                        if info is not None and info.items:
                            return Inst(info.items)
                return None
            case "div":
                v = self.ev(e[1], mod)
                return v if type(v) is Inst else None  # a pathlib path divided stays a path
            case "dep":
                return self.dependency_value(self.ev(e[1], mod))
            case "self":
                return Inst(f"{mod.name}.{e[1]}")
            case "cls":
                return Sym(f"{mod.name}.{e[1]}")
            case "sup":
                return Super(f"{mod.name}.{e[1]}")
            case "either":
                # one of two values depending on a branch: only what both agree on, or a known value
                # against a bare unknown (``x = None`` then ``x = Session()``)
                a, b = self.ev(e[1], mod), self.ev(e[2], mod)
                if a == b:
                    return a
                if e[1] == ("u",) or a is None and e[1][0] not in _CALL_LIKE:
                    return b
                if e[2] == ("u",) or b is None and e[2][0] not in _CALL_LIKE:
                    return a
                if type(a) is Sym and type(b) is Sym:
                    # ``copy = shutil.copy2 if f else shutil.copytree``: whichever is bound, calling it
                    # does the same kind of blocking; the first stands for both
                    fa, fb = self.catalog.function(a.name), self.catalog.function(b.name)
                    if fa is not None and fb is not None and fa.category == fb.category:
                        return a
                return None
            case "cast":
                first = self.ev(e[1], mod)
                if self.useful(first):
                    return first
                second = self.ev(e[2], mod)
                if second is None and type(first) is Inst and not first.type.startswith("typing"):
                    return first  # (a library class the catalog does not know: still a typed object)
                return second
            case "alt":
                first = self.ev(e[1], mod)
                if self.useful(first):
                    if type(first) is Inst and e[2][0] == "c":
                        # ``q: queue.Queue = queue.Queue()``: the value may be a variant of the declared type
                        second = self.ev(e[2], mod)
                        if type(second) is Inst and second.type.startswith(first.type + "#"):
                            return second
                    return first
                second = self.ev(e[2], mod)
                return second if self.useful(second) or first is None else first
        return None

    def library_object(self, v):
        """A library's module-level object the catalog types (``sys.stdin``) is an instance of that type."""
        if type(v) is Sym and v.name in self.catalog.objects:
            return Inst(self.catalog.objects[v.name])
        return v

    def _library_instance(self, v) -> bool:
        """An object of a library class (not a builtin, not the project's), described or not."""
        return type(v) is Inst and type(v.type) is str and "." in v.type and v.type not in self.index.classes \
            and not v.type.startswith(("builtins.", "typing.", "collections.")) and v.type.rsplit(".", 1)[-1][:1].isupper()

    def useful(self, v) -> bool:
        """Does a value tell us something: a project symbol, or a type the catalog knows?"""
        match v:
            case None:
                return False
            case Inst(t):
                return t in self.index.classes or self.catalog.type_info(t) is not None or t in self.catalog.async_names
            case Sym(q):
                idx, cat = self.index, self.catalog
                return q in idx.functions or q in idx.classes or q in idx.modules or \
                    cat.function(q) is not None or cat.type_info(q) is not None or cat.knows_module(q)
        return True

    # -------------------------------------------------------------------- names
    def global_value(self, mod: ModuleInfo, name: str):
        g = mod.summary.globals
        if name in g:
            return self.ev(g[name], mod)
        if self.tracker is not None:
            self.tracker.note(("star", mod.path))
        for star in mod.summary.star_imports:
            target = self.ev(star, mod)
            if type(target) is not Sym:
                continue
            other = self.index.modules.get(target.name)
            if other is not None:
                if name in other.summary.globals:
                    return self.ev(other.summary.globals[name], other)
            elif self.catalog.function(f"{target.name}.{name}") or self.catalog.type_info(f"{target.name}.{name}"):
                return Sym(f"{target.name}.{name}")  # a library star import: the name may come from there
        return Sym(f"builtins.{name}")

    def resolve_qualified(self, q: str, importer: Optional[ModuleInfo] = None):
        """A dotted name to a value; ``importer`` importing itself by name means a library of that name."""
        index = self.index
        find = index.modules.get
        if index.loader is not None:
            # with an environment: a name the catalog describes stays that name, never its source
            if self._catalog_first(q):
                return Sym(q)
            find = index.find_module
        info = find(q)
        if info is not None and info is not importer:
            return Sym(info.name)
        parts = q.split(".")
        for i in range(len(parts) - 1, 0, -1):
            info = find(".".join(parts[:i]))
            if info is None or info is importer:
                continue
            value = self.module_attribute(info, parts[i])
            for attr in parts[i + 1:]:
                value = self.attribute(value, attr, info)
            return value
        return Sym(q)

    def module_attribute(self, info: ModuleInfo, name: str):
        if info.library and self.index.opaque(f"{info.name}.{name}"):
            return Sym(f"{info.name}.{name}")  # catalogued: what the catalog says, not the source
        if self.tracker is not None:
            self.tracker.note(("star", info.path))
        if name in info.summary.globals or info.summary.star_imports:
            value = self.global_value(info, name)
            if value != Sym(f"builtins.{name}"):
                return value
        sub = f"{info.name}.{name}"
        found = self.index.find_module(sub) if info.library else self.index.modules.get(sub)
        if found is not None:
            return Sym(found.name)
        return Sym(sub)

    def _catalog_first(self, q: str) -> bool:
        """Is ``q`` a name the catalog describes, outside the project's own modules?"""
        if not self.index.opaque(q):
            return False
        top = self.index.modules.get(q.split(".", 1)[0])
        return top is None or bool(top.library)

    # ------------------------------------------------------------------ classes
    def decorated_type(self, fq: str) -> Optional[str]:
        """The library object a decorator turns a project function into (``@app.task`` -> a Celery Task)."""
        ref = self.index.functions[fq]
        for d in ref.summary.decorators:
            key = qualified_callable(self.ev(d.callee, ref.module))
            if key is not None and key in self.catalog.decorators:
                return self.catalog.decorators[key]
        return None

    def class_attr(self, cls_q: str, name: str):
        """The value of ``cls_q.name`` / ``self.name`` from class-level and ``self.x = ...`` assignments."""
        if self.tracker is not None:
            self.tracker.note(("attr", cls_q, name))  # instead of every class of its MRO looked at
        classes = self.index.classes
        for q in self.hierarchy.mro(cls_q):
            entry = dict.get(classes, q)
            if entry is None:
                continue
            info, cls = entry
            values = cls.attrs.get(name)
            if values:
                found = []
                for e in values:
                    v = self.ev(e, info)
                    if self.useful(v) and v not in found:
                        found.append(v)
                # assigned different kinds of objects in different methods: do not guess
                return found[0] if len(found) == 1 else None
        return None

    # --------------------------------------------------------------- operations
    def attribute(self, v, attr: str, mod: ModuleInfo):
        idx, cat, h = self.index, self.catalog, self.hierarchy
        match v:
            case MapOf(value):
                if attr in ("get", "pop", "setdefault", "__getitem__"):
                    return MapItem(value)
                if attr == "values":
                    return MapValues(value)
                return None
            case Sym(q) if q in idx.modules:
                return self.module_attribute(idx.modules[q], attr)
            case Sym(q) if q in idx.classes:
                fq = h.find_method(q, attr)
                if fq is not None:
                    return Sym(fq)
                got = self.class_attr(q, attr)
                if got is not None:
                    return got
                # a classmethod or class attribute inherited from a library base:
                # Note.create() on a peewee.Model, Base.metadata on a DeclarativeBase
                for base in h.library_bases(q):
                    cand = f"{base}.{attr}"
                    if cat.function(cand) or cand in cat.returns:
                        return Sym(cand)
                    at = cat.attribute_type(base, attr)
                    if at:
                        return Inst(at)
                return None
            case Sym(q) if q in idx.functions:
                # a function turned into an object by a library decorator (@app.task -> a Celery Task)
                t = self.decorated_type(q)
                return self.attribute(Inst(t), attr, mod) if t is not None else None
            case Sym(q):
                return Sym(f"{q}.{attr}")
            case Super(cls_q):
                # the next implementation after the class, in its method resolution order
                for q in h.mro(cls_q)[1:]:
                    if q in idx.classes:
                        fq = f"{q}.{attr}"
                        if fq in idx.functions:
                            return Sym(fq)
                    elif cat.type_info(q) is not None:
                        return Meth(q, attr)
                return None
            case Inst(t) if t in idx.classes:
                fq = h.find_method(t, attr)
                if fq is not None:
                    if idx.functions[fq].summary.kind == "property":
                        return self.function_result(fq)
                    return Meth(t, attr)
                got = self.class_attr(t, attr)
                if got is not None:
                    return got
                for base in h.library_bases(t):
                    if cat.type_info(base) is not None:
                        return self.attribute(Inst(base), attr, mod)
                return None
            case Inst(t):
                at = cat.attribute_type(t, attr)
                return Inst(at) if at else Meth(t, attr)
        return None

    def call_result(self, v, arg0, mod: ModuleInfo, passed=None):
        """What calling ``v`` returns; ``arg0`` is the call's first positional argument expression,
        ``passed`` what the call passed (number of positional arguments, keyword names, simple values
        of the other arguments), if known."""
        idx, cat, h = self.index, self.catalog, self.hierarchy
        if cat.stubs and arg0 is not None and type(v) is Sym and v.name.endswith("Stub"):
            # a generated RPC stub around a channel: what the catalog says such a stub is (grpc)
            channel = self.ev(arg0, mod)
            if type(channel) is Inst and cat.canonical(channel.type) in cat.stubs:
                return Inst(cat.stubs[cat.canonical(channel.type)])
        match v:
            case MapItem(value):
                return value
            case MapValues(value):
                return IterOf(value)
            case Sym(q) if q in idx.functions:
                return self.function_result(q)
            case Sym(q) if q in idx.classes:
                return Inst(q)
            case Sym(q):
                return self._library_call_result(q, arg0, mod, passed)
            case Meth(t, name) if t in idx.classes:
                fq = h.find_method(t, name)
                if fq is not None:
                    return self.function_result(fq)
                for base in h.library_bases(t):
                    r = cat.method_returns(base, name)
                    if r:
                        return Inst(r)
                return None
            case Meth(t, name) if name in _MEMBER_OPENERS and Inst(t) in MEMORY_BUFFERS:
                # an archive over an in-memory buffer evaluates to the buffer: its members are in memory too
                return Inst(t)
            case Meth(t, name):
                r = cat.method_returns(t, name)
                return Inst(r) if r else None
            case Inst(t) if t in idx.classes:
                fq = h.find_method(t, "__call__")
                return self.function_result(fq) if fq else None
            case Inst(t):
                info = cat.type_info(t)
                if info is not None and info.call:
                    return Inst(info.call)
        return None

    def _library_call_result(self, q: str, arg0, mod: ModuleInfo, passed=None):
        cat = self.catalog
        cq = cat.canonical(q)
        result = None
        by_arg = cat.returns_by_arg.get(cq)
        if by_arg and arg0 is not None:
            first = self.ev(arg0, mod)
            if type(first) is Inst and cat.canonical(first.type) in by_arg:
                result = Inst(by_arg[cat.canonical(first.type)])
        if result is not None:
            pass
        elif cq in cat.returns:
            result = Inst(cat.returns[cq])
        elif cat.type_info(cq) is not None or cq in cat.async_names:
            result = Inst(cq)
        if result is not None:
            info = cat.type_info(result.type)
            if arg0 is not None and info is not None and (info.category == "file" or info.wraps_file):
                inner = self.ev(arg0, mod)
                if in_memory(arg0, inner):
                    # a reader/writer/archive over an in-memory buffer stays in memory; an object with
                    # I/O of its own keeps that (Image.open(io.BytesIO(raw)).save(path) writes a file)
                    return Inst(info.in_memory) if info.in_memory else inner if inner in MEMORY_BUFFERS \
                        else MEMORY_BUFFERS[0]
                if info.wraps_file and not (type(inner) is Inst and self._is_file_type(inner.type)):
                    return None  # csv.reader(lines): rows from a list, no file involved
            if info is not None and info.variants and passed is not None:
                # the first argument as summarised, the others when they are literals or constants
                n, names, rest, values = passed
                args = ([arg0 or UNKNOWN] if n else []) + [
                    (rest[i] if i < len(rest) else None) or UNKNOWN for i in range(n - 1)]
                kwargs = [(k, (values[i] if i < len(values) else None) or UNKNOWN) for i, k in enumerate(names)]
                for variant, when in info.variants:
                    if all(argument_holds(c, args, kwargs) for c in when):
                        return Inst(variant)
            elif info is not None and info.variants and passed is None:
                for variant, when in info.variants:  # called with no arguments at all
                    if all(argument_holds(c, [], []) for c in when):
                        return Inst(variant)
            return result
        head, _, meth = cq.rpartition(".")
        if head and cat.type_info(head) is not None:
            # a classmethod called on a catalogued class (rq's Job.fetch(...)): what the type says it returns
            r = cat.method_returns(head, meth)
            if r:
                return Inst(r)
        if q == "typing.cast" and arg0 is not None:
            # (read from a module that re-exports it: the summary names the callee only) ``cast(T, x)``
            # is an instance of ``T``, not the class
            t = self.ev(arg0, mod)
            return Inst(cat.canonical(t.name)) if type(t) is Sym and t.name not in self.index.functions else None
        if q in _PASSTHROUGH and arg0 is not None:
            return self.ev(arg0, mod)
        if arg0 is not None and cat.offloaders.get(q) == 0:
            # await asyncio.to_thread(client.containers.get, cid): what the callable returns
            return self.call_result(self.callee_value(arg0, mod), None, mod)
        if q in ("builtins.next", "builtins.iter") and arg0 is not None:
            inner = self.ev(arg0, mod)
            return self.element(inner) if q == "builtins.next" else inner
        if q.rsplit(".", 1)[-1][:1].isupper() and not q.startswith("builtins."):
            return Inst(cq)  # a library class the catalog does not know: still a typed object
        return None

    def _sync_library_object(self, v) -> bool:
        return type(v) is Inst and v.type not in self.index.classes and self.catalog.type_info(v.type) is not None

    def _is_file_type(self, t: str) -> bool:
        info = self.catalog.type_info(t)
        return info is not None and info.category == "file"

    def function_result(self, fq: str):
        """What calling the project function ``fq`` returns (its annotation, else its return values)."""
        tracker = self.tracker
        if fq in self._results:
            if tracker is not None:
                tracker.add(self._result_facts.get(fq))
            return self._results[fq]
        if tracker is None:
            return self._function_result(fq)
        frame = tracker.open()
        try:
            return self._function_result(fq)
        finally:
            self._result_facts[fq] = tracker.close(frame)

    def _function_result(self, fq: str):
        self._results[fq] = None  # recursion guard
        ref = self.index.functions.get(fq)
        result = None
        if ref is not None:
            fn, info = ref.summary, ref.module
            weak = []  # library objects the catalog does not describe (a FastAPI app): kept when no other
            if fn.return_annotation is not None:
                ann = self.ev(fn.return_annotation, info)
                if self.useful(ann):
                    result = ann
                elif self._library_instance(ann):
                    weak.append(ann)
            if result is None:
                # several different answers (a factory returning a sync or an async client by a flag):
                # do not guess
                found = []
                for e in fn.returns:
                    r = self.ev(e, info)
                    if self.useful(r):
                        if r not in found:
                            found.append(r)
                    elif self._library_instance(r) and r not in weak:
                        weak.append(r)
                if len(found) == 1 or found and all(self._sync_library_object(v) for v in found):
                    # several sync clients (Redis or RedisCluster, by configuration): any of them blocks
                    result = found[0]
                elif not found and len(weak) == 1:
                    # ``def create_app() -> FastAPI``: what the routes declared on its result are on
                    result = weak[0]
            if fn.is_generator and not fn.is_async and not self.is_contextmanager(ref):
                result = IterOf(result, fq)
        self._results[fq] = result
        return result

    def unpacked(self, call, i: int, mod: ModuleInfo, depth: int = 0):
        """Item ``i`` of what the project function ``call`` calls returns, where its annotation says
        (``-> tuple[Session, Connection]``) or it returns tuple
        literals (``return requests.Session(), sqlite3.connect(path)``) or what another such function
        returns (``return make_clients()``); as for a whole result, several different answers are no
        answer."""
        if call[0] == "aw":
            call = call[1]
        if call[0] != "c" or depth > 4:
            return None
        fq = None
        match self.callee_value(call[1], mod):
            case Sym(q) if q in self.index.functions:
                fq = q
            case Meth(t, name) if t in self.index.classes:
                fq = self.hierarchy.find_method(t, name)
        ref = self.index.functions.get(fq) if fq is not None else None
        if ref is None or ref.summary.is_generator:
            return None
        declared = ref.summary.return_annotation
        if declared is not None and declared[0] == "tup" and i < len(declared[1]):
            v = self.ev(declared[1][i], ref.module)  # -> tuple[requests.Session, sqlite3.Connection]
            if self.useful(v):
                return v
        found = []
        for r in ref.summary.returns:
            if r[0] == "tup":
                v = self.ev(r[1][i], ref.module) if i < len(r[1]) else None
            elif r[0] in ("c", "aw"):
                v = self.unpacked(r, i, ref.module, depth + 1)
            else:
                continue  # ``return None`` on a path that fails, a value of unknown shape
            if self.useful(v) and v not in found:
                found.append(v)
        if len(found) == 1 or found and all(self._sync_library_object(v) for v in found):
            return found[0]
        return None

    def is_contextmanager(self, ref: FunctionRef) -> bool:
        for d in ref.summary.decorators:
            v = self.ev(d.callee, ref.module)
            if type(v) is Sym and v.name.endswith("contextmanager"):
                return True
        return False

    def element(self, v):
        """What iterating ``v`` yields."""
        match v:
            case IterOf(item):
                return item
            case Inst(t) if t not in self.index.classes:
                info = self.catalog.type_info(t)
                if info is not None and info.element:
                    return Inst(info.element)
        return None

    def entered(self, v):
        """What ``with v as x`` binds to ``x``."""
        match v:
            case IterOf(item):
                return item  # a @contextmanager generator: what it yields
            case Inst(t) if t in self.index.classes:
                fq = self.hierarchy.find_method(t, "__enter__") or self.hierarchy.find_method(t, "__aenter__")
                if fq is not None:
                    r = self.function_result(fq)
                    return r if r is not None else v
                return v
            case Inst(t):
                info = self.catalog.type_info(t)
                if info is not None and info.enter:
                    return Inst(info.enter)
                return v
        return None

    def dependency_value(self, v):
        """What FastAPI injects for ``Depends(v)``."""
        match v:
            case Sym(q) if q in self.index.functions:
                return _yielded(self.function_result(q))
            case Sym(q) if q in self.index.classes:
                return Inst(q)
            case Inst(t) if t in self.index.classes:
                fq = self.hierarchy.find_method(t, "__call__")
                if fq:
                    return _yielded(self.function_result(fq))
        return None


def _yielded(r):
    """A generator dependency injects what it yields."""
    return r.item if type(r) is IterOf else r
