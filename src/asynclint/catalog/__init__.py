"""The catalog: which library APIs block, and what to use instead.

The knowledge is data (``catalog/*.toml``, format in docs/catalog-format.md);
this module loads it into lookup tables and adds the user's
``extend-blocking`` / ``extend-offload`` entries from the configuration.
"""

from __future__ import annotations

import os
import dataclasses
from dataclasses import dataclass, field
from typing import Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from ..categories import BY_NAME, canonical, label_for
from .schema import CatalogError, check_file

CATALOG_DIR = os.path.dirname(os.path.abspath(__file__))
_FORMAT = 2  # of the parsed tables kept in the user's cache (2: checked by schema.check_file)


@dataclass(frozen=True, slots=True)
class Entry:
    """A blocking API."""

    api: str  # qualified name, e.g. "requests.get" or "sqlalchemy.orm.Session.execute"
    category: str
    replacement: str
    library: str
    message: str = ""
    transitive: bool = True  # does it make a sync helper that calls it blocking?
    # argument values that make the call not block: (name, position, "is", value) -- the argument is
    # this literal (``shutdown(wait=False)``); (name, position, "missing", True) -- it is not passed;
    # (name, position, "names", "WNOHANG") -- it is that constant (``os.waitpid(pid, os.WNOHANG)``);
    # (name, position, "prefix", ("/proc/",)) -- a string that begins so (a literal, or an f-string)
    unless: tuple = ()
    # it returns an iterator and does its work as that is consumed (``Path.glob``, ``os.walk``): a call
    # made in the arguments of an offloader (``to_thread(list, p.iterdir())``) is consumed in the thread
    lazy: bool = False


def conditions(specs) -> tuple:
    """``[{arg = "wait@0", is = false}, {arg = "maxsize@0", missing = true}]`` as tuples."""
    out = []
    for spec in specs or ():
        name, _, pos = spec["arg"].partition("@")
        op = next(k for k in ("is", "missing", "names", "prefix") if k in spec)
        value = spec.get(op)
        out.append((name, int(pos) if pos else None, op, tuple(value) if op == "prefix" else value))
    return tuple(out)


def fill_replacement(text: str, type_name: str, method: str) -> str:
    """A type's replacement may name the call's own twin: ``{method}`` is the method called,
    ``{type}`` the type's name as the code reached it (an alias when called through one):
    ``"await {type}.{method}_async(...)"`` tells ``stripe.Invoice.retrieve()`` to use
    ``stripe.Invoice.retrieve_async(...)``."""
    if "{" not in text:
        return text
    return text.replace("{type}", type_name.partition("#")[0]).replace("{method}", method)


def _same_literal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def argument_holds(cond, args, kwargs) -> bool:
    """Does a call passing ``args`` (positional expressions) and ``kwargs`` ((name, expression)
    pairs; names only will do for "missing") satisfy the condition?"""
    name, pos, op, value = cond
    found, passed = None, False
    for k, v in kwargs:
        if k == name:
            found, passed = v, True
        elif k == "**":
            return False  # anything may be in there
    if not passed and pos is not None and pos < len(args):
        found, passed = args[pos], True
    if op == "missing":
        return not passed if value else passed
    if not passed or found is None:
        return False
    if op == "prefix":
        # a literal, or text made at run time whose literal beginning the summary kept (``f"/proc/{pid}"``)
        head = found[1] if found[0] == "s" else found[2] if found[0] == "text" else None
        return type(head) is str and head.startswith(value)
    if op == "names":
        # os.WNOHANG, WNOHANG imported at module level, or imported in the function (from os import WNOHANG)
        return (found[0] == "a" and found[2] == value or found[0] == "g" and found[1] == value
                or found[0] == "m" and found[1].rpartition(".")[2] == value)
    return found[0] in ("k", "s") and _same_literal(found[1], value)


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
    properties: frozenset = frozenset()  # attributes whose read runs a blocking property
    variants: tuple = ()  # (type name of the variant, conditions on the constructor's arguments)
    wraps_file: bool = False  # reads or writes the object it is built on: no I/O unless that is a file
    # the type of one built over an in-memory buffer, when some of its methods still do I/O of their own
    # (a Pillow image decoded from a BytesIO is saved to a path): "" for the buffer itself
    in_memory: str = ""
    # a decorator's type (``[decorators]``) whose library runs a coroutine function it decorates on a loop
    # of its own, one per call (rq's worker hands each async job to asyncio.run): nothing else waits there
    own_loop: bool = False
    # the library's async twin is a subclass of this type (zmq.asyncio.Socket is a zmq.Socket): an
    # annotation naming this type holds for the async object too, so it does not say what blocks
    async_subclass: str = ""


class Catalog:
    def __init__(self) -> None:
        self.functions: dict[str, Entry] = {}
        self.returns: dict[str, str] = {}
        self.returns_by_arg: dict[str, dict[str, str]] = {}  # factory -> first argument's type -> result
        self.types: dict[str, TypeInfo] = {}
        self.aliases: dict[str, str] = {}
        self.async_names: set[str] = set()
        self.offloaders: dict[str, int] = {}
        self.decorators: dict[str, str] = {}
        self.stubs: dict[str, str] = {}  # channel type -> what a *Stub class built on it is
        self.objects: dict[str, str] = {}  # a library's module-level object -> its type (sys.stdin)
        self.libraries: dict[str, dict] = {}
        self._method_cache: dict = {}
        self._modules = None  # the modules the catalog describes something in (knows_module)

    # ------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: str = CATALOG_DIR) -> "Catalog":
        """Read every catalog file; the parsed tables are kept in the user's cache directory,
        keyed by the files' names, sizes and mtimes, since parsing the TOML costs ~0.1 s a run."""
        names = sorted(n for n in os.listdir(directory) if n.endswith(".toml")) if os.path.isdir(directory) else []
        stamp: list = [("format", _FORMAT)]
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
                        data = tomllib.load(fh)
                    except tomllib.TOMLDecodeError as exc:
                        raise CatalogError(f"{path}: {exc}") from exc
                check_file(path, data)
                cached.append((name, data))
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
                unless=conditions(spec.get("unless")),
                lazy=spec.get("lazy", False),
            )
        for name, target in (data.get("returns") or {}).items():
            if isinstance(target, dict):
                # by the type of the first argument (sqlalchemy.inspect(engine) vs inspect(orm_object))
                by_arg = dict(target)
                default = by_arg.pop("*", None)
                if default:
                    self.returns[name] = default
                self.returns_by_arg[name] = by_arg
            else:
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
                properties=frozenset(spec.get("properties", [])),
                wraps_file=bool(spec.get("wraps-file", False)),
                own_loop=bool(spec.get("own-loop", False)),
                async_subclass=spec.get("async-subclass", ""),
            )
            self.types[name] = info
            for alias in spec.get("aliases", []):
                self.aliases[alias] = name
            variants = []
            for vname, vspec in (spec.get("variants") or {}).items():
                # the same type, built in a way that changes which methods wait (a bounded queue's put)
                safe, blocks = frozenset(vspec.get("safe", [])), frozenset(vspec.get("blocks", []))
                key = f"{name}#{vname}"
                if vspec.get("inert"):
                    # built so that nothing it does waits (sqlite3 on ":memory:"): no method, no `with`
                    # or `for` blocks, and what its methods return is nothing the catalog knows
                    self.types[key] = dataclasses.replace(
                        info, methods=frozenset(), all_methods=False, safe=info.safe | info.methods,
                        method_overrides={}, returns={}, fluent=frozenset(), attributes={}, items="", call="",
                        with_blocks=False, iter_blocks=False, enter="", element="", properties=frozenset(),
                        variants=(), in_memory="")
                else:
                    self.types[key] = dataclasses.replace(info, methods=(info.methods - safe) | blocks,
                                                          safe=(info.safe | safe) - blocks, variants=())
                variants.append((key, conditions(vspec.get("when"))))
            info.variants = tuple(variants)
            memory_safe = spec.get("memory-safe")
            if memory_safe is not None:
                # built over io.BytesIO: these methods only touch that memory, and what they return is
                # memory too (a member an in-memory archive opens); the others (save(path))
                # still do I/O of their own
                key = f"{name}#memory"
                safe = frozenset(memory_safe)
                self.types[key] = dataclasses.replace(info, methods=info.methods - safe, safe=info.safe | safe,
                                                      returns={m: "io.BytesIO" if m in safe and isinstance(t, str) else t
                                                               for m, t in info.returns.items()},
                                                      variants=())
                info.in_memory = key
        asyncs = data.get("async") or {}
        for name in asyncs.get("types", []) + asyncs.get("functions", []):
            self.async_names.add(name)
        for name, index in (data.get("offloaders") or {}).items():
            self.offloaders[name] = int(index)
        for name, target in (data.get("decorators") or {}).items():
            self.decorators[name] = target
        for name, target in (data.get("stubs") or {}).items():
            self.stubs[name] = target
        for name, target in (data.get("objects") or {}).items():
            self.objects[name] = target

    def extend(self, blocking: dict, offload) -> None:
        """Add the user's ``extend-blocking`` and ``extend-offload`` configuration."""
        for name, spec in blocking.items():
            spec = spec or {}
            category = canonical(spec.get("category", "configured"))
            self.functions[name] = Entry(
                api=name,
                category=category if category in BY_NAME else "configured",
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
        self._modules = None

    # ------------------------------------------------------------ lookups
    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)

    def type_info(self, name: str) -> Optional[TypeInfo]:
        return self.types.get(self.aliases.get(name, name))

    def function(self, name: str) -> Optional[Entry]:
        return self.functions.get(name)

    def knows(self, name: str) -> bool:
        """Does the catalog say anything about this qualified name (a blocking function or type, an
        async twin, an offloader, a factory, a decorator, a known non-blocking call)? Such a name
        is never replaced by what its library's source would suggest."""
        return (name in self.functions or name in self.types or name in self.aliases or name in self.returns
                or name in self.async_names or name in self.offloaders or name in self.decorators
                or name in self.returns_by_arg or name in self.objects)

    def knows_module(self, name: str) -> bool:
        """Does the catalog describe anything in the module (or package) ``name``?"""
        modules = self._modules
        if modules is None:
            modules = set()
            for table in (self.functions, self.types, self.returns, self.returns_by_arg, self.aliases, self.objects):
                for q in table:
                    parts = q.split(".")
                    modules.update(".".join(parts[:i]) for i in range(1, len(parts)))
            self._modules = modules
        return name in modules

    def replacement_of(self, api: str) -> str:
        """What the catalog says to use instead of ``api`` (a function, or ``Type.method``): "" if nothing."""
        if not api:
            return ""
        entry = self.function(api)
        if entry is None and "." in api:
            entry = self.method(*api.rsplit(".", 1))
        return (entry.replacement or "") if entry is not None else ""

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
                    replacement=fill_replacement(over.get("replacement", info.replacement), type_name, method),
                    library=info.library,
                    message=over.get("message", ""),
                    transitive=over.get("transitive", True),
                    unless=conditions(over.get("unless")),
                    lazy=over.get("lazy", False),
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
            # (the type as asked: a variant stays that variant, an image from memory stays one)
            return type_name if type_name in self.types else info.name
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

    def property_entry(self, type_name: str, attr: str) -> Optional[Entry]:
        """Reading ``obj.attr`` on an object of this type runs a blocking property (``container.image``)."""
        info = self.type_info(type_name)
        if info is None or attr not in info.properties:
            return None
        over = info.method_overrides.get(attr, {})
        category = over.get("category", info.category)
        return Entry(
            api=f"read of {info.name}.{attr}", category=category,
            replacement=fill_replacement(over.get("replacement", info.replacement), type_name, attr),
            library=info.library,
            message=over.get("message", f"reading .{attr} of a {info.name.rsplit('.', 1)[-1]} is a blocking "
                                        f"{label_for(category)} (a property that calls the API)"),
        )

    def with_entry(self, type_name: str) -> Optional[Entry]:
        info = self.type_info(type_name)
        if info is None or not info.with_blocks:
            return None
        return Entry(
            api=f"with {info.name}", category=info.category,
            replacement=fill_replacement(info.replacement, type_name, ""),
            library=info.library, transitive=False,
        )

    def iter_entry(self, type_name: str) -> Optional[Entry]:
        info = self.type_info(type_name)
        if info is None or not info.iter_blocks:
            return None
        return Entry(
            api=f"iteration over {info.name}", category=info.category,
            replacement=fill_replacement(info.replacement, type_name, ""),
            library=info.library,
        )


def _parsed_store(directory: str, load: bool = True):
    """The parsed tables of ``directory`` live in the user cache (a ``cache.store.Store``: built-in
    data only, authenticated), one file per catalog directory."""
    import hashlib

    from ..cache import codec
    from ..cache.store import Store, user_cache_dir

    tag = hashlib.sha256(os.path.abspath(directory).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Store(user_cache_dir(), f"catalog-{tag}.cache", f"catalog/{codec.VERSION}/{os.path.abspath(directory)}",
                 project=False, load=load)


def _stamp_key(stamp: list) -> bytes:
    import hashlib

    return hashlib.sha256(repr(stamp).encode("utf-8", "surrogatepass")).digest()


def _read_parsed(directory: str, stamp: list):
    """The tables parsed from these very files (``stamp``: names, sizes, mtimes), or None."""
    from ..cache import codec

    blob = _parsed_store(directory).get(_stamp_key(stamp))
    if blob is None:
        return None
    try:
        return [(name, data) for name, data in codec.loads(blob)]
    except Exception:  # authenticated but unusable: parse again
        return None


def _write_parsed(directory: str, stamp: list, tables: list) -> None:
    from ..cache import codec

    try:
        blob = codec.dumps(tables)
    except ValueError:
        return  # a value that is not built-in data (a TOML date): parse every time
    store = _parsed_store(directory, load=False)
    store.put(_stamp_key(stamp), blob)
    store.save()  # a read-only home: parse every time


_DEFAULT: Optional[Catalog] = None


def catalog_for(extend_blocking: dict, extend_offload) -> Catalog:
    """The default catalog, plus the user's ``extend-blocking`` / ``extend-offload``."""
    base = default_catalog()
    if not extend_blocking and not extend_offload:
        return base
    cat = Catalog()
    cat.functions = dict(base.functions)
    cat.returns = dict(base.returns)
    cat.returns_by_arg = dict(base.returns_by_arg)
    cat.types = dict(base.types)
    cat.aliases = dict(base.aliases)
    cat.async_names = set(base.async_names)
    cat.offloaders = dict(base.offloaders)
    cat.decorators = dict(base.decorators)
    cat.stubs = dict(base.stubs)
    cat.objects = dict(base.objects)
    cat.libraries = dict(base.libraries)
    cat.extend(extend_blocking, extend_offload)
    return cat


def default_catalog() -> Catalog:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Catalog.load()
    return _DEFAULT
