"""Wrap the catalog's blocking APIs that exist in this process, and put them back afterwards.

The list of APIs is the static analysis' own catalog (plus the project's
``extend-blocking``), so the two never disagree. Only modules already imported
are looked at (nothing is imported here, and attributes are read without
triggering lazy module ``__getattr__``s); modules imported later are picked up
by ``scan()``, which the plugin calls again before each test. Built-in types
(``sqlite3.Connection``, ``_thread.lock``, ``io.TextIOWrapper``) cannot be
patched without writing into CPython's type objects; they are listed as not
instrumented, and only the slow-step measurement sees them.

A wrapper costs one C call (``asyncio._get_running_loop()``) when no loop
runs in the calling thread; otherwise it hands the call to ``observe``.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from dataclasses import dataclass
from typing import Callable, Optional

from asyncio import events as _aio_events

_running_loop = _aio_events._get_running_loop
_MISSING = object()
_SPOOLED = "tempfile.SpooledTemporaryFile."


@dataclass(frozen=True, slots=True)
class Api:
    """A blocking API as the catalog names it."""

    name: str  # "requests.Session.post", "time.sleep"
    category: str
    replacement: str


@dataclass(frozen=True, slots=True)
class StarType:
    """A catalog type whose every public method blocks (``methods = "*"``) but those in ``safe``."""

    name: str
    category: str
    replacement: str
    safe: frozenset
    overrides: dict


def catalog_apis(catalog, extend_blocking: Optional[dict] = None):
    """(apis, star types) from the catalog, sorted by name so that the patched set is deterministic."""
    from ..catalog import fill_replacement
    apis = {}
    for name, entry in catalog.functions.items():
        apis[name] = Api(name, entry.category, entry.replacement)
    stars = []
    for name, info in catalog.types.items():
        if info.is_async:
            continue
        if info.all_methods:
            stars.append(StarType(name, info.category, info.replacement, frozenset(info.safe), dict(info.method_overrides)))
            continue
        for method in info.methods:
            over = info.method_overrides.get(method) or {}
            apis[f"{name}.{method}"] = Api(
                f"{name}.{method}", over.get("category", info.category),
                fill_replacement(over.get("replacement", info.replacement), name, method),
            )
    for name, spec in (extend_blocking or {}).items():
        spec = spec or {}
        apis[name] = Api(name, spec.get("category", "configured"), spec.get("replacement", "await asyncio.to_thread(...)"))
    return [apis[n] for n in sorted(apis)], sorted(stars, key=lambda s: s.name)


def _static_get(obj, name: str):
    if isinstance(obj, types.ModuleType):
        return vars(obj).get(name, _MISSING)
    try:
        return inspect.getattr_static(obj, name, _MISSING)
    except Exception:  # pragma: no cover - exotic metaclasses
        return _MISSING


def resolve(name: str):
    """(owner, attribute, raw value) for a qualified name, from modules already imported;
    None when the module is not imported (yet) or has no such attribute."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod = sys.modules.get(".".join(parts[:i]))
        if mod is None:
            continue
        owner, obj = None, mod
        for part in parts[i:]:
            owner, obj = obj, _static_get(obj, part)
            if obj is _MISSING:
                return None
        return owner, parts[-1], obj
    return None


@dataclass
class _Patch:
    owner: object
    attr: str
    original: object  # _MISSING: the attribute was inherited, delete ours to restore
    api: str


class Instrumenter:
    """Patches APIs in; ``restore()`` takes every patch out again, in reverse order."""

    def __init__(self, apis, stars, observe: Callable, is_project_module: Callable) -> None:
        self._pending = list(apis)
        self._stars = list(stars)
        self._star_done: set = set()
        self._observe = observe
        self._is_project_module = is_project_module
        self._patches: list = []
        self._patched_keys: set = set()
        self._originals: dict = {}  # id(original function) -> (original, wrapper): module-level patches
        self._rebound: list = []  # (module, name, original)
        self._seen_modules = -1
        self.instrumented: dict = {}  # api name -> Api
        self.unpatchable: dict = {}  # api name -> reason

    # ------------------------------------------------------------------ patching
    def scan(self) -> None:
        """Patch whatever became importable since the last scan (cheap when nothing was imported)."""
        if len(sys.modules) == self._seen_modules:
            return
        self._seen_modules = len(sys.modules)
        still = []
        for api in self._pending:
            found = resolve(api.name)
            if found is None:
                still.append(api)
            else:
                self._patch(api, *found)
        self._pending = still
        for star in self._stars:
            self._patch_star(star)
        self._rebind_project_modules()
        self._seen_modules = len(sys.modules)

    def _patch(self, api: Api, owner, attr: str, raw) -> None:
        if isinstance(raw, type):
            # a class whose constructor blocks: wrap __init__, never replace the class itself
            owner, attr, raw = raw, "__init__", inspect.getattr_static(raw, "__init__")
            if raw is object.__init__:
                self.unpatchable[api.name] = "its constructor is not Python code"
                return
        key = (id(owner), attr)
        if key in self._patched_keys:
            return
        in_class = isinstance(owner, type)
        if not in_class and not isinstance(owner, types.ModuleType):
            # a method of a module-level object (sys.stdin.readline): wrap it bound, on that object
            self._patch_object(api, owner, attr, key)
            return
        new = self._wrap_raw(raw, api, in_class)
        if new is None:
            self.unpatchable.setdefault(api.name, f"not a function ({type(raw).__name__})")
            return
        own = vars(owner).get(attr, _MISSING) if in_class else raw
        try:
            setattr(owner, attr, new)
        except (TypeError, AttributeError):
            self.unpatchable[api.name] = f"{getattr(owner, '__qualname__', owner)} is a built-in type"
            return
        self._patches.append(_Patch(owner, attr, own, api.name))
        self._patched_keys.add(key)
        self.instrumented[api.name] = api
        if not in_class and isinstance(raw, (types.FunctionType, types.BuiltinFunctionType)):
            self._originals[id(raw)] = (raw, new)

    def _patch_object(self, api: Api, obj, attr: str, key) -> None:
        bound = getattr(obj, attr, None)
        if not callable(bound):
            self.unpatchable.setdefault(api.name, f"not a function ({type(bound).__name__})")
            return
        own = vars(obj).get(attr, _MISSING) if hasattr(obj, "__dict__") else _MISSING
        try:
            setattr(obj, attr, self._wrapper(bound, api))
        except (TypeError, AttributeError):
            self.unpatchable[api.name] = f"a {type(obj).__name__} object takes no attributes"
            return
        self._patches.append(_Patch(obj, attr, own, api.name))
        self._patched_keys.add(key)
        self.instrumented[api.name] = api

    def _patch_star(self, star: StarType) -> None:
        from ..catalog import fill_replacement

        found = resolve(star.name)
        if found is None or not isinstance(found[2], type):
            return
        roots = [found[2]]
        # service classes made at run time (botocore's S3 client) define their methods themselves
        roots += [c for c in _subclasses(found[2]) if not self._is_project_module(c.__module__)]
        for cls in roots:
            if cls in self._star_done:
                continue
            self._star_done.add(cls)
            names = dir(cls) if cls is found[2] else list(vars(cls))
            for method in sorted(names):
                if method.startswith("_") or method in star.safe:
                    continue
                raw = inspect.getattr_static(cls, method, _MISSING)
                if not isinstance(raw, (types.FunctionType, staticmethod, classmethod)):
                    continue
                over = star.overrides.get(method) or {}
                api = Api(
                    f"{star.name}.{method}",
                    over.get("category", star.category),
                    fill_replacement(over.get("replacement", star.replacement), star.name, method),
                )
                self._patch(api, cls, method, raw)

    def _wrap_raw(self, raw, api: Api, in_class: bool):
        if isinstance(raw, types.FunctionType):
            return self._wrapper(raw, api)
        if isinstance(raw, staticmethod):
            return staticmethod(self._wrapper(raw.__func__, api))
        if isinstance(raw, classmethod):
            return classmethod(self._wrapper(raw.__func__, api))
        if in_class and isinstance(raw, (types.MethodDescriptorType, types.WrapperDescriptorType)):
            return self._wrapper(raw, api)  # a Python function binds `self` like the descriptor did
        if not in_class and callable(raw) and not isinstance(raw, (type, types.ModuleType)):
            # built-in functions do not bind as methods; a staticmethod keeps it so where a class stores one
            return staticmethod(self._wrapper(raw, api))
        return None

    def _wrapper(self, fn, api: Api):
        observe = self._observe
        running = _running_loop
        getframe = sys._getframe

        if api.name.startswith(_SPOOLED):
            # a spooled temporary file is an in-memory buffer until it rolls over to disk: its
            # reads and writes before that touch no file
            def wrapper(*args, **kwargs):
                if running() is None or args and getattr(args[0], "_rolled", True) is False:
                    return fn(*args, **kwargs)
                return observe(api, fn, args, kwargs, getframe(0).f_back)
        else:
            def wrapper(*args, **kwargs):
                if running() is None:
                    return fn(*args, **kwargs)
                return observe(api, fn, args, kwargs, getframe(0).f_back)

        try:
            functools.update_wrapper(wrapper, fn)
        except (AttributeError, TypeError):  # pragma: no cover - odd callables
            pass
        wrapper.__asynclint_api__ = api.name
        return wrapper

    def _rebind_project_modules(self) -> None:
        """``from time import sleep`` run before the patch left the original in the project's
        module: point those names at the wrapper too."""
        if not self._originals:
            return
        done = {(id(m), n) for m, n, _ in self._rebound}
        for modname, module in list(sys.modules.items()):
            if module is None or not self._is_project_module(modname):
                continue
            namespace = getattr(module, "__dict__", None) or {}
            for name, value in list(namespace.items()):
                hit = self._originals.get(id(value))
                if hit is not None and hit[0] is value and (id(module), name) not in done:
                    namespace[name] = hit[1]
                    self._rebound.append((module, name, value))

    # ------------------------------------------------------------------ restoring
    def restore(self) -> None:
        for module, name, value in reversed(self._rebound):
            vars(module)[name] = value
        self._rebound.clear()
        for p in reversed(self._patches):
            if p.original is _MISSING:
                try:
                    delattr(p.owner, p.attr)
                except AttributeError:  # pragma: no cover - removed by someone else
                    pass
            else:
                setattr(p.owner, p.attr, p.original)
        self._patches.clear()
        self._patched_keys.clear()
        self._originals.clear()

    @property
    def patched(self) -> list:
        """(owner qualified name, attribute) of every patch in place, in patch order."""
        out = []
        for p in self._patches:
            owner = getattr(p.owner, "__qualname__", None) or getattr(p.owner, "__name__", "?")
            module = getattr(p.owner, "__module__", None)
            out.append((f"{module}.{owner}" if module and isinstance(p.owner, type) else owner, p.attr))
        return out


def _subclasses(cls) -> list:
    out, todo, seen = [], [cls], {cls}
    while todo:
        for sub in type.__subclasses__(todo.pop()):
            if sub not in seen:
                seen.add(sub)
                out.append(sub)
                todo.append(sub)
    return out
