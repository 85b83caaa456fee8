"""The catalog: which library APIs block, and what to use instead.

The knowledge is data (``catalog/*.toml``, format in docs/catalog-format.md);
this module loads it into lookup tables and adds the user's
``extend-blocking`` / ``extend-offload`` entries from the configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

CATALOG_DIR = os.path.dirname(os.path.abspath(__file__))

CATEGORY_CODES = {
    "http": 1,
    "sleep": 2,
    "subprocess": 3,
    "file": 4,
    "os-path": 5,
    "database": 6,
    "network": 7,
    "wait": 8,
    "console": 9,
    "loop": 10,
    "configured": 11,
    "cpu": 12,
}
CATEGORY_LABELS = {
    "http": "HTTP call",
    "sleep": "sleep",
    "subprocess": "subprocess call",
    "file": "file I/O",
    "os-path": "file-system check",
    "database": "database call",
    "network": "network client call",
    "wait": "wait on a lock, queue or future",
    "console": "console input",
    "loop": "nested event loop run",
    "configured": "call (configured as blocking)",
    "cpu": "CPU-bound call",
}
DEFAULT_OFF_CATEGORIES = frozenset({"cpu"})


def code_for(category: str, transitive: bool) -> str:
    n = CATEGORY_CODES.get(category, CATEGORY_CODES["configured"])
    return f"ASL{2 if transitive else 1}{n:02d}"


@dataclass(frozen=True, slots=True)
class Entry:
    """A blocking API."""

    api: str  # qualified name, e.g. "requests.get" or "sqlalchemy.orm.Session.execute"
    category: str
    replacement: str
    library: str
    message: str = ""
    transitive: bool = True  # does it make a sync helper that calls it blocking?


@dataclass(slots=True)
class TypeInfo:
    name: str
    library: str
    category: str
    replacement: str
    methods: frozenset = frozenset()
    all_methods: bool = False
    safe: frozenset = frozenset()
    method_overrides: dict = field(default_factory=dict)  # method -> dict(category/replacement)
    returns: dict = field(default_factory=dict)
    fluent: frozenset = frozenset()
    attributes: dict = field(default_factory=dict)
    items: str = ""
    call: str = ""
    with_blocks: bool = False
    iter_blocks: bool = False
    enter: str = ""
    element: str = ""
    is_async: bool = False


class CatalogError(Exception):
    pass


class Catalog:
    def __init__(self) -> None:
        self.functions: dict[str, Entry] = {}
        self.returns: dict[str, str] = {}
        self.types: dict[str, TypeInfo] = {}
        self.aliases: dict[str, str] = {}
        self.async_names: set[str] = set()
        self.offloaders: dict[str, int] = {}
        self.decorators: dict[str, str] = {}
        self.libraries: dict[str, dict] = {}
        self._method_cache: dict = {}

    # ------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: str = CATALOG_DIR) -> "Catalog":
        """Read every catalog file; the parsed tables are kept in the user's cache directory,
        keyed by the files' names, sizes and mtimes, since parsing the TOML costs ~0.1 s a run."""
        names = sorted(n for n in os.listdir(directory) if n.endswith(".toml")) if os.path.isdir(directory) else []
        stamp = []
        for name in names:
            st = os.stat(os.path.join(directory, name))
            stamp.append((name, st.st_size, st.st_mtime_ns))
        cached = _read_parsed(directory, stamp)
        if cached is None:
            cached = []
            for name in names:
                path = os.path.join(directory, name)
                with open(path, "rb") as fh:
                    try:
                        cached.append((name, tomllib.load(fh)))
                    except tomllib.TOMLDecodeError as exc:
                        raise CatalogError(f"{path}: {exc}") from exc
            _write_parsed(directory, stamp, cached)
        cat = cls()
        for name, data in cached:
            cat.add_file(data, source=name)
        return cat

    def add_file(self, data: dict, source: str = "") -> None:
        meta = data.get("meta", {})
        library = meta.get("library", source.rsplit(".", 1)[0])
        category = meta.get("category", "configured")
        replacement = meta.get("replacement", "await asyncio.to_thread(...)")
        lib = self.libraries.setdefault(library, {"pypi": meta.get("pypi", []), "files": []})
        lib["files"].append(source)
        for name, spec in (data.get("functions") or {}).items():
            spec = spec or {}
            self.functions[name] = Entry(
                api=name,
                category=spec.get("category", category),
                replacement=spec.get("replacement", replacement),
                library=library,
                message=spec.get("message", ""),
                transitive=spec.get("transitive", True),
            )
        for name, target in (data.get("returns") or {}).items():
            self.returns[name] = target
        for name, spec in (data.get("types") or {}).items():
            methods = spec.get("methods", [])
            info = TypeInfo(
                name=name,
                library=library,
                category=spec.get("category", category),
                replacement=spec.get("replacement", replacement),
                all_methods=methods == "*",
                methods=frozenset(methods) if isinstance(methods, list) else frozenset(),
                safe=frozenset(spec.get("safe", [])),
                method_overrides=dict(spec.get("overrides", {})),
                returns=dict(spec.get("returns", {})),
                fluent=frozenset(spec.get("fluent", [])),
                attributes=dict(spec.get("attributes", {})),
                items=spec.get("items", ""),
                call=spec.get("call", ""),
                with_blocks=bool(spec.get("with", False)),
                iter_blocks=bool(spec.get("iter", False)),
                enter=spec.get("enter", ""),
                element=spec.get("element", ""),
            )
            self.types[name] = info
            for alias in spec.get("aliases", []):
                self.aliases[alias] = name
        asyncs = data.get("async") or {}
        for name in asyncs.get("types", []) + asyncs.get("functions", []):
            self.async_names.add(name)
        for name, index in (data.get("offloaders") or {}).items():
            self.offloaders[name] = int(index)
        for name, target in (data.get("decorators") or {}).items():
            self.decorators[name] = target

    def extend(self, blocking: dict, offload) -> None:
        """Add the user's ``extend-blocking`` and ``extend-offload`` configuration."""
        for name, spec in blocking.items():
            spec = spec or {}
            category = spec.get("category", "configured")
            self.functions[name] = Entry(
                api=name,
                category=category if category in CATEGORY_CODES else "configured",
                replacement=spec.get("replacement", "await asyncio.to_thread(...)"),
                library="configuration",
                message=spec.get("message", ""),
            )
        if isinstance(offload, dict):
            for name, index in offload.items():
                self.offloaders[name] = int(index)
        else:
            for name in offload:
                self.offloaders[name] = 0
        self._method_cache.clear()

    # ------------------------------------------------------------ lookups
    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)

    def type_info(self, name: str) -> Optional[TypeInfo]:
        return self.types.get(self.aliases.get(name, name))

    def function(self, name: str) -> Optional[Entry]:
        return self.functions.get(name)

    def method(self, type_name: str, method: str) -> Optional[Entry]:
        key = (type_name, method)
        try:
            return self._method_cache[key]
        except KeyError:
            pass
        entry = None
        info = self.type_info(type_name)
        if info is None and not method.startswith("_"):
            # a method the user declared blocking (extend-blocking "mycorp.Client.charge") on a
            # class the catalog does not otherwise know
            entry = self.functions.get(f"{self.canonical(type_name)}.{method}")
        if info is not None and not method.startswith("_"):
            blocks = method in info.methods or (
                info.all_methods and method not in info.safe and method not in info.fluent
                and method not in info.attributes
            )
            explicit = self.functions.get(f"{info.name}.{method}")
            if explicit is not None:
                entry = explicit
            elif blocks:
                over = info.method_overrides.get(method, {})
                entry = Entry(
                    api=f"{info.name}.{method}",
                    category=over.get("category", info.category),
                    replacement=over.get("replacement", info.replacement),
                    library=info.library,
                    message=over.get("message", ""),
                    transitive=over.get("transitive", True),
                )
        self._method_cache[key] = entry
        return entry

    def method_returns(self, type_name: str, method: str) -> Optional[str]:
        info = self.type_info(type_name)
        if info is None:
            return None
        if method in info.returns:
            return info.returns[method]
        if method in info.fluent:
            return info.name
        return None

    def attribute_type(self, type_name: str, attr: str) -> Optional[str]:
        info = self.type_info(type_name)
        if info is None:
            return None
        if attr in info.attributes:
            return info.attributes[attr] or None
        for key, target in info.attributes.items():
            # suffix patterns: "*_set" = "django.db.models.Manager" (reverse relations)
            if len(key) > 1 and key[0] == "*" and attr.endswith(key[1:]):
                return target
        if "*" in info.attributes and not attr.startswith("_") and not self._is_method(info, attr):
            return info.attributes["*"]
        return None

    @staticmethod
    def _is_method(info: TypeInfo, attr: str) -> bool:
        return attr in info.methods or attr in info.returns or attr in info.fluent or attr in info.safe

    def with_entry(self, type_name: str) -> Optional[Entry]:
        info = self.type_info(type_name)
        if info is None or not info.with_blocks:
            return None
        return Entry(
            api=f"with {info.name}", category=info.category, replacement=info.replacement,
            library=info.library, transitive=False,
        )

    def iter_entry(self, type_name: str) -> Optional[Entry]:
        info = self.type_info(type_name)
        if info is None or not info.iter_blocks:
            return None
        return Entry(
            api=f"iteration over {info.name}", category=info.category, replacement=info.replacement,
            library=info.library,
        )


def _parsed_cache_file(directory: str) -> str:
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = hashlib.sha1(os.path.abspath(directory).encode()).hexdigest()[:12]
    return os.path.join(base, "asynclint", f"catalog-{tag}.pickle")


def _read_parsed(directory: str, stamp: list):
    import pickle

    try:
        with open(_parsed_cache_file(directory), "rb") as fh:
            saved_stamp, tables = pickle.load(fh)
    except Exception:  # missing, unreadable, from another version: parse again
        return None
    return tables if saved_stamp == stamp else None


def _write_parsed(directory: str, stamp: list, tables: list) -> None:
    import pickle
    import tempfile

    target = _parsed_cache_file(directory)
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".catalog-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((stamp, tables), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass  # a read-only home: parse every time


_DEFAULT: Optional[Catalog] = None


def default_catalog() -> Catalog:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Catalog.load()
    return _DEFAULT
