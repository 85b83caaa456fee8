"""The whole project: module names, symbols, and the values of expressions.

``link`` takes every file's summary, names the modules, and evaluates the
symbolic expressions of the summaries (``model.Expr``) to values:

    ("sym", "pkg.mod.func")   a global name: module, function, class (project or library)
    ("inst", "requests.Session")  an instance of a class
    ("meth", "requests.Session", "get")  a method bound to such an instance
    ("iterof", value, "pkg.mod.gen")  what a call to a project generator function returns
    None                      unknown

Return types of project functions, ``self.x`` attributes, ``Depends(...)``
results and re-exports are all followed here, across modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..catalog import Catalog
from ..model import FunctionSummary, ModuleSummary

_MAX_DEPTH = 60
MEMORY_BUFFERS = (("inst", "io.BytesIO"), ("inst", "io.StringIO"))
# wrappers whose result (or entered value) is their argument
_PASSTHROUGH = {"contextlib.closing", "contextlib.nullcontext", "typing.cast", "builtins.memoryview"}


@dataclass(slots=True)
class ModuleInfo:
    name: str
    path: str  # absolute
    display: str
    summary: ModuleSummary
    is_package: bool = False
    aliases: tuple = ()
    report: bool = True  # findings in this file are reported


@dataclass(slots=True)
class FunctionRef:
    qualname: str  # full
    module: ModuleInfo
    summary: FunctionSummary


@dataclass
class Project:
    catalog: Catalog
    modules: dict = field(default_factory=dict)  # name (and aliases) -> ModuleInfo
    functions: dict = field(default_factory=dict)  # full qualname -> FunctionRef
    classes: dict = field(default_factory=dict)  # full qualname -> (ModuleInfo, ClassSummary)

    def __post_init__(self) -> None:
        self._memo: dict = {}
        self._active: set = set()
        self._result_memo: dict = {}
        self._mro_memo: dict = {}

    # ------------------------------------------------------------ building
    def add_module(self, info: ModuleInfo) -> None:
        for name in (info.name,) + tuple(info.aliases):
            self.modules.setdefault(name, info)
        for lq, fn in info.summary.functions.items():
            self.functions[f"{info.name}.{lq}"] = FunctionRef(f"{info.name}.{lq}", info, fn)
        for lq, cls in info.summary.classes.items():
            self.classes[f"{info.name}.{lq}"] = (info, cls)

    def unique_modules(self) -> list:
        seen, out = set(), []
        for info in self.modules.values():
            if id(info) not in seen:
                seen.add(id(info))
                out.append(info)
        return out

    # ---------------------------------------------------------- evaluation
    def ev(self, e, mod: ModuleInfo):
        if e is None:
            return None
        kind = e[0]
        if kind in ("u", "s", "p", "list", "k", "derive"):
            return None
        # Keyed by identity: hashing nested tuples again at every level costs more than the rest of
        # the evaluation. The memo keeps each expression alive, so its id cannot be reused.
        key = (id(e), id(mod))
        memo = self._memo
        hit = memo.get(key)
        if hit is not None:
            return hit[1]
        active = self._active
        if key in active or len(active) > _MAX_DEPTH:
            return None
        active.add(key)
        try:
            value = self._ev(e, mod)
        finally:
            active.discard(key)
        memo[key] = (e, value)
        return value

    def _ev(self, e, mod: ModuleInfo):
        kind = e[0]
        if kind == "g":
            return self.global_value(mod, e[1])
        if kind == "m":
            return self.resolve_qualified(e[1], mod)
        if kind == "r":
            return self.resolve_qualified(self.relative(mod, e[1], e[2]))
        if kind == "d":
            return ("sym", f"{mod.name}.{e[1]}")
        if kind == "a":
            return self.attribute(self.ev(e[1], mod), e[2], mod)
        if kind == "c":
            return self.call_result(self.callee_value(e[1], mod), e[2], mod)
        if kind == "callargs":
            return self.call_result(self.ev(e[1], mod), e[2][0] if e[2] else None, mod)
        if kind == "seqof":
            return ("iterof", self.ev(e[1], mod), None)
        if kind == "mapof":
            inner = self.ev(e[1], mod)
            return ("mapof", inner) if inner is not None else None
        if kind == "tal":
            return ("tal", self.ev(e[1], mod))
        if kind == "i":
            v = self.ev(e[1], mod)
            if v is not None and v[0] == "tal":
                return v[1]
            if v is not None and v[0] == "sym":
                return ("inst", self.catalog.canonical(v[1]))
            return None
        if kind == "it":
            return self.element(self.ev(e[1], mod))
        if kind == "en":
            return self.entered(self.ev(e[1], mod))
        if kind == "aw":
            return self.ev(e[1], mod)
        if kind == "sub":
            v = self.ev(e[1], mod)
            if v is not None and v[0] == "mapof":
                return v[1]  # clients[name] on a Dict[str, Client]
            if v is not None and v[0] == "inst":
                info = self.catalog.type_info(v[1])
                if info is not None and info.items:
                    return ("inst", info.items)
            return None
        if kind == "div":
            v = self.ev(e[1], mod)
            return v if v is not None and v[0] == "inst" else None
        if kind == "dep":
            return self.dependency_value(self.ev(e[1], mod))
        if kind == "self":
            return ("inst", f"{mod.name}.{e[1]}")
        if kind == "cls":
            return ("sym", f"{mod.name}.{e[1]}")
        if kind == "sup":
            return ("super", f"{mod.name}.{e[1]}")
        if kind == "either":
            # one of two values depending on a branch: only what both agree on, or a known value
            # against a bare unknown (``x = None`` then ``x = Session()``)
            a, b = self.ev(e[1], mod), self.ev(e[2], mod)
            if a == b:
                return a
            if e[1] == ("u",) or a is None and not self._is_call(e[1]):
                return b
            if e[2] == ("u",) or b is None and not self._is_call(e[2]):
                return a
            return None
        if kind == "alt":
            first = self.ev(e[1], mod)
            if self.useful(first):
                return first
            second = self.ev(e[2], mod)
            return second if self.useful(second) or first is None else first
        return None

    @staticmethod
    def _is_call(e) -> bool:
        return e[0] in ("c", "aw", "en", "it")

    def useful(self, v) -> bool:
        """Does a value tell us something: a project symbol, or a type the catalog knows?"""
        if v is None:
            return False
        if v[0] == "inst":
            t = v[1]
            return t in self.classes or self.catalog.type_info(t) is not None or t in self.catalog.async_names
        if v[0] == "sym":
            q = v[1]
            return q in self.functions or q in self.classes or q in self.modules or \
                self.catalog.function(q) is not None or self.catalog.type_info(q) is not None
        return True

    # ------------------------------------------------------------- names
    def relative(self, mod: ModuleInfo, level: int, name: str) -> str:
        parts = mod.name.split(".")
        if not mod.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        base = ".".join(parts)
        if base and name:
            return f"{base}.{name}"
        return base or name

    def global_value(self, mod: ModuleInfo, name: str):
        g = mod.summary.globals
        if name in g:
            return self.ev(g[name], mod)
        for star in mod.summary.star_imports:
            target = self.ev(star, mod)
            if target is not None and target[0] == "sym" and target[1] in self.modules:
                other = self.modules[target[1]]
                if name in other.summary.globals:
                    return self.ev(other.summary.globals[name], other)
            elif target is not None and target[0] == "sym":
                # a library star import: the name may come from there
                if self.catalog.function(f"{target[1]}.{name}") or self.catalog.type_info(f"{target[1]}.{name}"):
                    return ("sym", f"{target[1]}.{name}")
        return ("sym", f"builtins.{name}")

    def resolve_qualified(self, q: str, importer: Optional[ModuleInfo] = None):
        """A dotted name to a value; ``importer`` importing itself by name means a library of that name."""
        info = self.modules.get(q)
        if info is not None and info is not importer:
            return ("sym", info.name)
        parts = q.split(".")
        for i in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:i])
            info = self.modules.get(prefix)
            if info is None or info is importer:
                continue
            value = self.module_attribute(info, parts[i])
            for attr in parts[i + 1:]:
                value = self.attribute(value, attr, info)
            return value
        return ("sym", q)

    def module_attribute(self, info: ModuleInfo, name: str):
        if name in info.summary.globals or info.summary.star_imports:
            value = self.global_value(info, name)
            if not (value is not None and value[0] == "sym" and value[1] == f"builtins.{name}"):
                return value
        sub = f"{info.name}.{name}"
        if sub in self.modules:
            return ("sym", self.modules[sub].name)
        return ("sym", sub)

    # ------------------------------------------------------------ classes
    def decorated_type(self, fq: str) -> Optional[str]:
        ref = self.functions[fq]
        for d in ref.summary.decorators:
            v = self.ev(d.callee, ref.module)
            if v is None:
                continue
            key = v[1] if v[0] == "sym" else f"{v[1]}.{v[2]}" if v[0] == "meth" else None
            if key and key in self.catalog.decorators:
                return self.catalog.decorators[key]
        return None

    def mro(self, cls_q: str) -> list:
        """Project classes in method resolution order (depth-first), then library bases."""
        if cls_q in self._mro_memo:
            return self._mro_memo[cls_q]
        self._mro_memo[cls_q] = [cls_q]
        out, seen = [], set()
        stack = [cls_q]
        while stack:
            q = stack.pop(0)
            if q in seen:
                continue
            seen.add(q)
            out.append(q)
            entry = self.classes.get(q)
            if entry is None:
                continue
            info, cls = entry
            for b in cls.bases:
                v = self.ev(b, info)
                if v is not None and v[0] == "sym":
                    stack.append(v[1] if v[1] in self.classes else self.catalog.canonical(v[1]))
        self._mro_memo[cls_q] = out
        return out

    def find_method(self, cls_q: str, name: str) -> Optional[str]:
        for q in self.mro(cls_q):
            if q in self.classes:
                fq = f"{q}.{name}"
                if fq in self.functions:
                    return fq
        return None

    def overrides(self, cls_q: str, name: str) -> list:
        """Implementations of ``name`` in project subclasses of ``cls_q`` (for self./cls. dispatch)."""
        subs = self.__dict__.get("_subclasses")
        if subs is None:
            subs = {}
            for q in self.classes:
                for base in self.mro(q)[1:]:
                    subs.setdefault(base, []).append(q)
            self.__dict__["_subclasses"] = subs
        out = []
        for sub in subs.get(cls_q, ()):
            fq = f"{sub}.{name}"
            if fq in self.functions:
                out.append(fq)
        return out

    def library_bases(self, cls_q: str) -> list:
        return [q for q in self.mro(cls_q) if q not in self.classes]

    def class_attr(self, cls_q: str, name: str):
        for q in self.mro(cls_q):
            entry = self.classes.get(q)
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

    def callee_value(self, e, mod: ModuleInfo):
        """Like ``ev``, but ``obj.name`` being called is a method even where the type maps any attribute
        to a sub-object (``client.list_database_names()`` vs ``client.shop.orders``)."""
        if e is not None and e[0] == "a":
            base = self.ev(e[1], mod)
            if base is not None and base[0] == "inst" and base[1] not in self.classes:
                info = self.catalog.type_info(base[1])
                if info is not None and "*" in info.attributes and e[2] not in info.attributes and info.all_methods:
                    return ("meth", base[1], e[2])
        return self.ev(e, mod)

    # ---------------------------------------------------------- operations
    def attribute(self, v, attr: str, mod: ModuleInfo):
        if v is None:
            return None
        kind = v[0]
        if kind == "mapof":
            if attr in ("get", "pop", "setdefault", "__getitem__"):
                return ("mapitem", v[1])
            if attr == "values":
                return ("mapvalues", v[1])
            return None
        if kind == "sym":
            q = v[1]
            if q in self.modules:
                return self.module_attribute(self.modules[q], attr)
            if q in self.classes:
                fq = self.find_method(q, attr)
                if fq is not None:
                    return ("sym", fq)
                got = self.class_attr(q, attr)
                if got is not None:
                    return got
                # a classmethod or class attribute inherited from a library base:
                # Note.create() on a peewee.Model, Base.metadata on a DeclarativeBase
                for base in self.library_bases(q):
                    cand = f"{base}.{attr}"
                    if self.catalog.function(cand) or cand in self.catalog.returns:
                        return ("sym", cand)
                    at = self.catalog.attribute_type(base, attr)
                    if at:
                        return ("inst", at)
                return None
            if q in self.functions:
                # a function turned into an object by a library decorator (@app.task -> a Celery Task)
                t = self.decorated_type(q)
                if t is not None:
                    return self.attribute(("inst", t), attr, mod)
                return None
            return ("sym", f"{q}.{attr}")
        if kind == "super":
            # the next implementation after the class, in its method resolution order
            for q in self.mro(v[1])[1:]:
                if q in self.classes:
                    fq = f"{q}.{attr}"
                    if fq in self.functions:
                        return ("sym", fq)
                elif self.catalog.type_info(q) is not None:
                    return ("meth", q, attr)
            return None
        if kind == "inst":
            t = v[1]
            if t in self.classes:
                fq = self.find_method(t, attr)
                if fq is not None:
                    ref = self.functions[fq]
                    if ref.summary.kind == "property":
                        return self.function_result(fq)
                    return ("meth", t, attr)
                got = self.class_attr(t, attr)
                if got is not None:
                    return got
                for base in self.library_bases(t):
                    if self.catalog.type_info(base) is not None:
                        return self.attribute(("inst", base), attr, mod)
                return None
            at = self.catalog.attribute_type(t, attr)
            if at:
                return ("inst", at)
            return ("meth", t, attr)
        return None

    def call_result(self, v, arg0, mod: ModuleInfo):
        if v is None:
            return None
        kind = v[0]
        if kind == "mapitem":
            return v[1]
        if kind == "mapvalues":
            return ("iterof", v[1], None)
        cat = self.catalog
        if kind == "sym":
            q = v[1]
            if q in self.functions:
                return self.function_result(q)
            if q in self.classes:
                return ("inst", q)
            cq = cat.canonical(q)
            result = None
            if cq in cat.returns:
                result = ("inst", cat.returns[cq])
            elif cat.type_info(cq) is not None or cq in cat.async_names:
                result = ("inst", cq)
            if result is not None:
                if arg0 is not None and self._is_file_type(result[1]):
                    inner = self.ev(arg0, mod)
                    if inner in MEMORY_BUFFERS:
                        return inner  # a reader/writer/archive over an in-memory buffer stays in memory
                return result
            if q in _PASSTHROUGH and arg0 is not None:
                return self.ev(arg0, mod)
            if arg0 is not None and cat.offloaders.get(q) == 0:
                # await asyncio.to_thread(client.containers.get, cid): what the callable returns
                return self.call_result(self.callee_value(arg0, mod), None, mod)
            if q in ("builtins.next", "builtins.iter") and arg0 is not None:
                inner = self.ev(arg0, mod)
                return self.element(inner) if q == "builtins.next" else inner
            last = q.rsplit(".", 1)[-1]
            if last[:1].isupper() and not q.startswith("builtins."):
                return ("inst", cq)
            return None
        if kind == "meth":
            t, name = v[1], v[2]
            if t in self.classes:
                fq = self.find_method(t, name)
                if fq is not None:
                    return self.function_result(fq)
                for base in self.library_bases(t):
                    r = cat.method_returns(base, name)
                    if r:
                        return ("inst", r)
                return None
            r = cat.method_returns(t, name)
            return ("inst", r) if r else None
        if kind == "inst":
            t = v[1]
            if t in self.classes:
                fq = self.find_method(t, "__call__")
                return self.function_result(fq) if fq else None
            info = cat.type_info(t)
            if info is not None and info.call:
                return ("inst", info.call)
        return None

    def _sync_library_object(self, v) -> bool:
        return v[0] == "inst" and v[1] not in self.classes and self.catalog.type_info(v[1]) is not None

    def _is_file_type(self, t: str) -> bool:
        info = self.catalog.type_info(t)
        return info is not None and info.category == "file"

    def function_result(self, fq: str):
        if fq in self._result_memo:
            return self._result_memo[fq]
        self._result_memo[fq] = None  # recursion guard
        ref = self.functions.get(fq)
        result = None
        if ref is not None:
            fn, info = ref.summary, ref.module
            if fn.return_annotation is not None:
                ann = self.ev(fn.return_annotation, info)
                if self.useful(ann):
                    result = ann
            if result is None:
                # several different answers (a factory returning a sync or an async client by a flag):
                # do not guess
                found = []
                for e in fn.returns:
                    r = self.ev(e, info)
                    if self.useful(r) and r not in found:
                        found.append(r)
                if len(found) == 1 or found and all(self._sync_library_object(v) for v in found):
                    # several sync clients (Redis or RedisCluster, by configuration): any of them blocks
                    result = found[0]
            if fn.is_generator and not fn.is_async and not self._is_contextmanager(ref):
                result = ("iterof", result, fq)
        self._result_memo[fq] = result
        return result

    def _is_contextmanager(self, ref: FunctionRef) -> bool:
        for d in ref.summary.decorators:
            v = self.ev(d.callee, ref.module)
            if v is not None and v[0] == "sym" and v[1].endswith("contextmanager"):
                return True
        return False

    def element(self, v):
        if v is None:
            return None
        if v[0] == "iterof":
            return v[1]
        if v[0] == "inst" and v[1] not in self.classes:
            info = self.catalog.type_info(v[1])
            if info is not None and info.element:
                return ("inst", info.element)
        return None

    def entered(self, v):
        if v is None:
            return None
        if v[0] == "iterof":
            return v[1]
        if v[0] == "inst":
            t = v[1]
            if t in self.classes:
                fq = self.find_method(t, "__enter__") or self.find_method(t, "__aenter__")
                if fq is not None:
                    r = self.function_result(fq)
                    return r if r is not None else v
                return v
            info = self.catalog.type_info(t)
            if info is not None and info.enter:
                return ("inst", info.enter)
            return v
        return None

    def dependency_value(self, v):
        """What FastAPI injects for ``Depends(v)``."""
        if v is None:
            return None
        if v[0] == "sym":
            q = v[1]
            if q in self.functions:
                return _yielded(self.function_result(q))
            if q in self.classes:
                return ("inst", q)
            return None
        if v[0] == "inst" and v[1] in self.classes:
            fq = self.find_method(v[1], "__call__")
            if fq:
                return _yielded(self.function_result(fq))
        return None


def _yielded(r):
    """A generator dependency injects what it yields."""
    return r[1] if r is not None and r[0] == "iterof" else r
