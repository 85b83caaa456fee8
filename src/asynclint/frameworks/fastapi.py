"""FastAPI knowledge: routes, dependencies, and which endpoints block.

From the linked project this module finds every ``FastAPI()`` / ``APIRouter()``
object (by the type its constructor gives, across modules; bound to a global,
or kept in an attribute of a project class's objects: ``self.router``), the routes
declared on them (decorators, ``add_api_route``), how routers are included
(``include_router`` with prefixes), and the dependency graph (``Depends`` and
``Security`` in parameters, ``Annotated`` and ``dependencies=[...]``).

It then
- attaches the route(s) to every finding inside an endpoint, a dependency or
  an async helper the endpoint awaits;
- reports ``ASL301``: an ``async def`` route or dependency that never awaits
  and blocks should be a plain ``def`` (FastAPI runs those in its thread pool);
- renders the route table of ``asynclint routes``.

Sync ``def`` routes, dependencies and background tasks need no special
handling here: only coroutines produce findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..analyze.entries import (entry_coroutines, is_runner, made_where_loops_start, named_coroutine, referenced,
                               runner_places, started_coroutine, started_with_others)
from ..analyze.analysis import exit_calls
from ..analyze.callbacks import project_function
from ..analyze.propagate import LOOP_CHECKS
from ..analyze.serving import runs_alone, serves
from ..analyze.serving import async_target as _async_target
from ..analyze.serving import entered as _entered
from ..analyze.serving import enters_on_stack as _enters_on_stack
from ..analyze.serving import run_target as _run_target
from ..analyze.serving import starts_server as _starts_server
from ..analyze.serving import task_target
from ..link.values import Inst, Meth, Sym
from ..model import Diagnostic

STARTUP_CODE = "ASL402"  # blocking in code that runs only while the app starts or stops
_HOOK_KWARGS = frozenset({"lifespan", "on_startup", "on_shutdown"})
_EVENTS = frozenset({"startup", "shutdown"})
# command-line frameworks: a function registered as a command runs once per invocation of the program
CLI_TYPES = frozenset({"typer.Typer", "typer.main.Typer", "click.Group", "click.core.Group", "click.Command",
                       "click.core.Command", "asyncclick.Group", "asyncclick.core.Group", "cyclopts.App",
                       "cyclopts.core.App"})
CLI_MODULES = frozenset({"click", "typer", "asyncclick", "cyclopts"})
_CLI_DECORATORS = frozenset({"command", "callback", "group", "default"})
_LOOP_RUNNERS = frozenset({"run", "run_until_complete", "run_sync"})
APP_TYPES = {
    "fastapi.FastAPI", "fastapi.applications.FastAPI",
    "starlette.applications.Starlette",
    # libraries' subclasses of FastAPI: cadwyn's versioned app
    "cadwyn.Cadwyn", "cadwyn.applications.Cadwyn",
}
ROUTER_TYPES = {"fastapi.APIRouter", "fastapi.routing.APIRouter"}
# other servers' apps and the hooks they run once, when the server starts or stops, never for a request:
# aiohttp's signal lists (``app.on_startup.append(fn)``; ``cleanup_ctx`` takes a generator run around the
# whole serving, as a lifespan is) and Sanic's listeners (``app.register_listener(fn, "before_server_start")``,
# ``@app.listener("after_server_stop")``, ``@app.before_server_start``; a blueprint's are the app's)
AIOHTTP_APP_TYPES = frozenset({"aiohttp.web.Application", "aiohttp.web_app.Application"})
_AIOHTTP_SIGNALS = {"on_startup": "startup", "cleanup_ctx": "startup", "on_shutdown": "shutdown",
                    "on_cleanup": "shutdown"}
SANIC_APP_TYPES = frozenset({"sanic.Sanic", "sanic.app.Sanic", "sanic.Blueprint", "sanic.blueprints.Blueprint"})
_SANIC_LISTENERS = {
    "before_server_start": "startup", "after_server_start": "startup", "main_process_start": "startup",
    "main_process_ready": "startup", "reload_process_start": "startup", "server.init.before": "startup",
    "server.init.after": "startup", "main.process.start": "startup", "main.process.ready": "startup",
    "before_server_stop": "shutdown", "after_server_stop": "shutdown", "main_process_stop": "shutdown",
    "reload_process_stop": "shutdown", "server.shutdown.before": "shutdown", "server.shutdown.after": "shutdown",
    "main.process.stop": "shutdown",
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "options", "head", "trace"}
DEPENDS = {"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security",
           "fastapi.param_functions.Depends", "fastapi.param_functions.Security"}


@dataclass
class Route:
    methods: tuple
    # a part that is not a literal (a prefix from the settings) is a placeholder: "{root_path}/public"
    path: str
    function: str  # qualified name of the endpoint
    is_async: bool
    kind: str = "http"  # "http" | "websocket"
    owner: tuple = ()  # (module, global name) of the router/app it is declared on
    note: str = ""
    module_path: str = ""
    line: int = 0
    dependencies: list = field(default_factory=list)  # qualnames of dependency functions
    framework: str = "fastapi"  # "starlette" for Route(...) lists and add_route: no ASL301 there
    dynamic: bool = False  # the path holds a placeholder for a part that is not a literal

    def label(self) -> str:
        return f"{'/'.join(self.methods) if self.kind == 'http' else 'WS'} {self.path}"

    def to_json(self) -> dict:
        return {"methods": list(self.methods) if self.kind == "http" else ["WS"], "path": self.path,
                "function": self.function}


class RouteModel:
    def __init__(self, project, parts: Optional[list] = None):
        """``parts``: every module's ``RouteParts`` (``module_parts``), in the order of the project's
        modules, when the caller keeps them (``live``); else they are found here."""
        self.p = project
        self.objects: dict = {}  # (module name, global) -> kind "app" | "router"
        self.own_prefix: dict = {}  # router id -> (prefix, dynamic)
        self.object_deps: dict = {}  # router/app id -> [dependency qualnames]
        self.includes: list = []  # (parent id, child id, (prefix, dynamic), deps)
        self.routes: list = []
        self.call_index: Optional[dict] = None  # see _call_index
        self.callers: dict = {}  # function -> the async functions that make it run on the loop
        self.startup: set = set()  # lifespan functions and startup handlers: they run before any request
        self.shutdown: set = set()  # shutdown handlers: they run after the last request
        self.commands: set = set()  # coroutines command-line commands run (once per invocation)
        # what ``quiet_functions`` decided, kept while the project's calls stay the same (a long-lived
        # caller clears it on an edit: ``live.state``)
        self.quiet_memo: dict = {}
        if parts is None:
            parts = [self.module_parts(mod) for mod in project.unique_modules()]
        self._merge(parts)
        self._expand()

    # ---------------------------------------------------------------- helpers
    def object_kind(self, value) -> Optional[str]:
        """Is ``value`` a FastAPI/Starlette app ("app") or router ("router")?"""
        return self._instance_kind(value, (("app", APP_TYPES), ("router", ROUTER_TYPES)))

    def _instance_kind(self, value, kinds) -> Optional[str]:
        """The first of ``kinds`` ((name, types)) an instance ``value`` is of, or derives from."""
        if type(value) is not Inst:
            return None
        h = self.p.hierarchy
        return next((name for name, types in kinds if h.is_subclass(value.type, types)), None)

    def dep_functions(self, expr, mod) -> list:
        """Dependency functions named in a ``dependencies=[...]`` list or a ``Depends(...)``."""
        out = []
        if expr is None:
            return out
        if expr[0] == "list":
            for e in expr[1:]:
                out += self.dep_functions(e, mod)
        elif expr[0] == "dep":
            fq = self.dependency_callable(expr[1], mod)
            if fq:
                out.append(fq)
        return out

    def dependency_callable(self, expr, mod) -> Optional[str]:
        p = self.p
        match p.ev(expr, mod):
            case Sym(q) if q in p.functions:
                return q
            case Sym(q) if q in p.classes:
                return p.hierarchy.find_method(q, "__init__")
            case Inst(t) if t in p.classes:
                return p.hierarchy.find_method(t, "__call__")
        return None

    def literal(self, expr, mod=None) -> Optional[str]:
        """A string literal, or a module-level constant naming one (``prefix=API_PREFIX``)."""
        if expr is None:
            return None
        if expr[0] == "s":
            return expr[1]
        if mod is not None and expr[0] in ("g", "m", "r", "a"):
            b = self.p.values.origin(expr, mod)
            if b is not None:
                value = self.p.modules[b[0]].summary.globals.get(b[1])
                if value is not None and value[0] == "s":
                    return value[1]
        return None

    def part(self, expr, mod, what: str) -> tuple:
        """(text, dynamic) of a path or prefix: the literal, or a placeholder named after the expression
        (``prefix=settings.root_path`` -> ``{root_path}``); ("", False) for no expression."""
        if expr is None:
            return "", False
        text = self.literal(expr, mod)
        if text is not None:
            return text, False
        name = what
        if expr[0] == "a" and isinstance(expr[2], str):
            name = expr[2]
        elif expr[0] in ("g", "m") and isinstance(expr[1], str):
            name = expr[1].rsplit(".", 1)[-1]
        elif expr[0] == "r" and isinstance(expr[2], str):
            name = expr[2].rsplit(".", 1)[-1] or what
        return "{" + name + "}", True

    def project_function(self, expr, mod) -> Optional[str]:
        """The project function an expression names (an endpoint), if it names one."""
        v = self.p.ev(expr, mod) if expr is not None else None
        return v.name if type(v) is Sym and v.name in self.p.functions else None

    def object_id(self, expr, mod, parts: "RouteParts") -> Optional[tuple]:
        """Which app or router an expression names: the global it is bound to (``values.origin``), or
        the attribute of a project class's objects it is kept in (``self.router`` in the class's
        methods, ``users.router`` of an object of it elsewhere: one id, (class, ".router")); for those,
        the prefix it was made with goes into ``parts`` as a global's does."""
        got = self.p.values.origin(expr, mod)
        if got is not None or expr is None or expr[0] != "a":
            return got
        owner = self.p.ev(expr[1], mod)
        if type(owner) is not Inst or owner.type not in self.p.classes:
            return None
        oid = (owner.type, "." + expr[2])
        made = self._made_with(owner.type, expr[2])
        if made is not None:
            site_mod, passed = made
            names, values = passed[1], passed[3]
            if "prefix" in names:
                parts.own_prefix[oid] = self.part(values[names.index("prefix")] or ("u",), site_mod, "prefix")
        return oid

    def _made_with(self, cls: str, attr: str) -> Optional[tuple]:
        """(module, what the call passed: ``EXPR_FORMS``' "passed?") of the one construction the
        attribute ``attr`` of ``cls``'s objects is assigned (``self.router = APIRouter(prefix="/v1")``)."""
        self.p.values.class_attr(cls, attr)  # (what reads it: the class of the MRO that assigns it)
        classes = self.p.index.classes
        for q in self.p.hierarchy.mro(cls):
            entry = dict.get(classes, q)
            if entry is None:
                continue
            info, summary = entry
            values = summary.attrs.get(attr)
            if not values:
                continue
            if len(values) == 1 and values[0][0] == "c" and values[0][3] is not None:
                return info, values[0][3]
            return None
        return None

    def startup_hooks(self, expr, mod, into: set, fn=None) -> None:
        """``lifespan=fn`` or ``on_startup=[fn, ...]`` of an app, or one handler: the project functions
        named, added to ``into``. Written in ``fn``, a parameter of it names its default
        (``def create_app(lifespan=lifespan): return FastAPI(lifespan=lifespan)``)."""
        if expr is None:
            return
        for e in (expr[1:] if expr[0] == "list" else (expr,)):
            if e is not None and e[0] == "alt" and e[2][0] == "p":
                e = e[2]  # an annotated parameter (``lifespan: Lifespan = lifespan``)
            if e is not None and e[0] == "p" and fn is not None:
                e = next((prm.default for prm in fn.params if prm.name == e[1]), None)
            fq = self.project_function(e, mod)
            if fq is None and e is not None:
                # ``lifespan=self.lifespan``: a method of the class building its app
                v = self.p.ev(e, mod)
                if type(v) is Meth and v.type in self.p.classes:
                    fq = self.p.hierarchy.find_method(v.type, v.name)
            if fq is not None:
                into.add(fq)

    def lifespan_owner(self, e, mod) -> bool:
        """Is ``e`` an app or its router (whose ``lifespan_context`` the app runs at start-up)?"""
        if self.object_kind(self.p.ev(e, mod)) is not None:
            return True
        return e[0] == "a" and e[2] == "router" and self.object_kind(self.p.ev(e[1], mod)) == "app"

    def app_hooks(self, site, mod, parts: "RouteParts", fn=None) -> None:
        """``FastAPI(lifespan=..., on_startup=[...], on_shutdown=[...])`` anywhere (``create_app()``
        builds its app in a function, ``fn``; ``lifespan=make_lifespan(...)`` names the function
        returned)."""
        if not any(k in _HOOK_KWARGS for k, _ in site.kwargs):
            return
        cls = self.p.ev(site.callee, mod)
        if type(cls) is Sym and self.p.hierarchy.is_subclass(cls.name, APP_TYPES):
            lifespan, named = self.kwarg(site, "lifespan"), set()
            self.startup_hooks(lifespan, mod, named, fn)
            if not named and lifespan is not None and lifespan != ("k", None):
                # ``Starlette(lifespan=lifespan)`` of a factory's parameter, ``lifespan=Lifespans([...])``:
                # the lifespan is made elsewhere, of functions not named here
                parts.open_lifespan = True
            parts.startup |= named
            self.startup_hooks(self.kwarg(site, "on_startup"), mod, parts.startup, fn)
            self.startup_hooks(self.kwarg(site, "on_shutdown"), mod, parts.shutdown, fn)

    def app_lifespan(self, ref) -> bool:
        """Is this an async context manager over the app alone (``@asynccontextmanager async def
        registry(app: Starlette)``, a method taking ``self`` and the app too)? That is the shape of a
        lifespan: the app enters ``lifespan(app)`` once at start-up and leaves it at shutdown. A
        request handler, a dependency or a helper entered per request takes the request, a session,
        an id: not the app object alone."""
        s = ref.summary
        if not (s.is_async and s.is_generator) or not s.decorators:
            return False
        params = s.params[1:] if s.kind in ("method", "classmethod") else s.params
        if len(params) != 1 or params[0].kind != "pos" or params[0].annotation is None:
            return False
        if self.object_kind(self.p.ev(params[0].annotation, ref.module)) != "app":
            return False
        return self.p.values.is_contextmanager(ref)

    def cli_object(self, e, mod, depth: int = 0) -> bool:
        """Is ``e`` (what a decorator is an attribute of) a command-line app or group: a typer/click/
        cyclopts object, the module itself (``@click.command()``), or a project function made a group
        by one of them (``@click.group() def cli(): ...`` then ``@cli.command()``)?"""
        v = self.p.ev(e, mod)
        h = self.p.hierarchy
        if type(v) is Inst:
            return h.is_subclass(v.type, CLI_TYPES)
        if type(v) is not Sym:
            return False
        if v.name in CLI_MODULES:
            return True
        ref = self.p.functions.get(v.name)
        if ref is None or depth > 2:
            return False
        return any(d.kind in ("decorator", "decorator-ref") and d.callee[0] == "a" and d.callee[2] in _CLI_DECORATORS
                   and self.cli_object(d.callee[1], ref.module, depth + 1) for d in ref.summary.decorators)

    def registers_command(self, e, mod) -> bool:
        """Is ``e`` (what is called) a command-line decorator made by a call: ``app.command(name="x")``
        of a typer/click/cyclopts app, whose result registers the function it is called with?"""
        return e[0] == "c" and e[1][0] == "a" and e[1][2] in _CLI_DECORATORS and self.cli_object(e[1][1], mod)

    def command_registered(self, e, mod, parts: "RouteParts") -> None:
        """The project function ``e`` names, registered as a command by hand (``app.command(fn)``): what
        it runs runs once per invocation, as for ``@app.command()``. A sub-app or anything else is left."""
        fq = self.project_function(e, mod)
        ref = self.p.functions.get(fq) if fq is not None else None
        if ref is not None and not ref.module.library:
            self.add_command(ref, parts)

    def add_command(self, ref, parts: "RouteParts") -> None:
        """A command: the coroutine itself, or the coroutines the sync function runs."""
        parts.commands |= {ref.qualname} if ref.summary.is_async else self.coroutines_run(ref)

    def coroutines_run(self, ref) -> set:
        """The project coroutines a sync function hands to ``asyncio.run`` (``loop.run_until_complete``,
        ``anyio.run``, or a function of the project that hands it on: ``entries.runner_wrapper``):
        functions or methods (``asyncio.run(manager.fetch())``), called or handed on with their
        arguments (``anyio.run(fetch, url)``, see ``entries.started_coroutine``)."""
        out = set()
        # the functions nested in it too: a closure the command defines runs as part of it
        # (``def export_callback(path): return asyncio.run(export(path))``, handed to a file watcher)
        for r in self.p.index.scopes(ref.qualname) or [ref]:
            for site in r.summary.calls:
                if site.kind != "call" or site.awaited or not site.args:
                    continue
                if site.callee[0] == "a" and site.callee[2] in _LOOP_RUNNERS:
                    fq = started_coroutine(self.p, site, r.module)
                elif site.callee[0] != "a" and is_runner(self.p, site, r.module):
                    fq = started_coroutine(self.p, site, r.module, runner=True)  # the project's own wrapper
                else:
                    continue
                if fq is not None:
                    out.add(fq)
        return out

    def runs_on_own_loop(self, d, mod) -> bool:
        """Does this decorator run each call of the coroutine function it wraps on a loop of its own:
        a project function (``@coro``) or decorator factory (``@cliq.command(help=...)``) whose wrapper
        hands a call of the function it wraps to a loop runner (``asyncio.run(f(*args, **kwargs))``,
        also through a local: ``res = f(...)``, then ``asyncio.run(res)``), or a library's whose type
        the catalog marks ``own-loop`` (``@job(queue)`` of rq, through ``[decorators]``)?"""
        v = self.p.ev(d.callee, mod)
        if type(v) is not Sym:
            return False
        if v.name not in self.p.functions:
            cat = self.p.catalog
            made = cat.decorators.get(cat.canonical(v.name))
            info = cat.type_info(made) if made is not None else None
            return info is not None and info.own_loop
        scopes = self.p.index.scopes(v.name)
        params = {prm.name for r in scopes for prm in r.summary.params}
        for r in scopes:
            if any(s.text.rsplit(".", 1)[-1] in LOOP_CHECKS for s in r.summary.calls):
                continue  # asyncio.run only when no loop runs; from a coroutine it is awaited on the caller's
            for site in r.summary.calls:
                if site.kind != "call" or site.awaited or not site.args or site.callee[0] != "a" \
                        or site.callee[2] not in _LOOP_RUNNERS:
                    continue
                arg = site.args[0]
                if arg is not None and arg[0] == "c" and arg[1][0] == "p" and arg[1][1] in params \
                        and is_runner(self.p, site, r.module):
                    return True
        return False

    def server_kind(self, e, mod) -> Optional[str]:
        """Is ``e`` an aiohttp application ("aiohttp") or a Sanic app or blueprint ("sanic")?"""
        return self._instance_kind(self.p.ev(e, mod), (("aiohttp", AIOHTTP_APP_TYPES), ("sanic", SANIC_APP_TYPES)))

    def server_hook(self, site, mod, parts: "RouteParts", fn=None) -> bool:
        """A hook registered by a call on another server's app, which runs it once as the server starts
        or stops (``_AIOHTTP_SIGNALS``, ``_SANIC_LISTENERS``): ``app.on_startup.append(fn)`` (``.extend([...])``),
        ``app.register_listener(partial(load, path), "before_server_start")``, ``app.after_server_stop(fn)``.
        Its functions go to the start-up or shutdown hooks; True when the call was one."""
        callee = site.callee
        if site.kind != "call" or callee[0] != "a" or not site.args:
            return False
        method, recv = callee[2], callee[1]
        when = None
        if method in ("append", "extend") and recv[0] == "a" and recv[2] in _AIOHTTP_SIGNALS:
            if self.server_kind(recv[1], mod) == "aiohttp":
                when = _AIOHTTP_SIGNALS[recv[2]]
        elif method in ("register_listener", "listener") or method in _SANIC_LISTENERS:
            if self.server_kind(recv, mod) == "sanic":
                # app.listener(fn, "before_server_start") registers as register_listener does; with the
                # event alone it makes a decorator (``server_listener``)
                event = method if method in _SANIC_LISTENERS else (
                    self.literal(site.args[1], mod) if len(site.args) > 1 else self.literal(self.kwarg(site, "event"), mod))
                when = _SANIC_LISTENERS.get(event)
        if when is None:
            return False
        self.startup_hooks(site.args[0], mod, parts.startup if when == "startup" else parts.shutdown, fn)
        return True

    def server_listener(self, d, mod) -> Optional[str]:
        """A decorator that makes the function a Sanic listener: ``@app.listener("before_server_start")``,
        ``@app.before_server_start`` (``@bp.after_server_stop()`` too): "startup" or "shutdown"."""
        callee = d.callee
        if d.kind not in ("decorator", "decorator-ref") or callee[0] != "a":
            return None
        method = callee[2]
        if method == "listener" and d.kind == "decorator":
            event = self.literal(d.args[0], mod) if d.args else self.literal(self.kwarg(d, "event"), mod)
        elif method in _SANIC_LISTENERS and not d.args:
            event = method
        else:
            return None
        when = _SANIC_LISTENERS.get(event)
        return when if when is not None and self.server_kind(callee[1], mod) == "sanic" else None

    def event_hooks(self, expr, mod, parts: "RouteParts") -> set:
        """The hooks of the event an ``on_event``/``add_event_handler`` names: startup or shutdown."""
        return parts.startup if self.literal(expr, mod) == "startup" else parts.shutdown

    @staticmethod
    def kwarg(site, name):
        for k, v in site.kwargs:
            if k == name:
                return v
        return None

    # ------------------------------------------------------------------ build
    def module_parts(self, mod) -> "RouteParts":
        """What one module declares: its app and router objects (with their prefixes, dependencies
        and ``routes=[...]`` lists), the includes and routes its calls add, its decorated endpoints.
        It reads the rest of the project only through values, so an edit of another module changes
        it only when a value it read changed."""
        parts = RouteParts()
        p = self.p
        # 1. app and router objects: module-level names whose value is one
        for name, e in mod.summary.globals.items():
            if e[0] in ("m", "r", "d"):
                continue
            kind = self.object_kind(p.ev(("g", name), mod))
            if kind:
                parts.objects[(mod.name, name)] = kind
        for site in mod.summary.module_calls:
            if site.target and (mod.name, site.target) in parts.objects:
                oid = (mod.name, site.target)
                prefix_e = self.kwarg(site, "prefix")
                if prefix_e is not None:
                    parts.own_prefix[oid] = self.part(prefix_e, mod, "prefix")
                parts.object_deps[oid] = self.dep_functions(self.kwarg(site, "dependencies"), mod)
                self.route_list(self.kwarg(site, "routes"), mod, oid, ("", False), parts=parts)
        # 2. includes and imperative routes, anywhere
        sites = [(s, None) for s in mod.summary.module_calls]
        for fn in mod.summary.functions.values():
            sites += [(s, fn) for s in fn.calls]
        for site, fn in sites:
            callee = site.callee
            if site.kind == "call" and site.kwargs:
                self.app_hooks(site, mod, parts, fn)
            if site.kind == "store":
                if callee[0] == "a" and callee[2] == "lifespan_context" and site.args and self.lifespan_owner(callee[1], mod):
                    # app.router.lifespan_context = lifespan: the lifespan set after the app was made
                    self.startup_hooks(site.args[0], mod, parts.startup, fn)
                continue
            if site.kind == "call" and callee[0] == "c" and site.args and self.registers_command(callee, mod):
                # app.command(name="sync")(sync): the decorator applied by hand, as @app.command(name="sync")
                self.command_registered(site.args[0], mod, parts)
                continue
            if site.kind != "call" or callee[0] != "a":
                continue
            if self.server_hook(site, mod, parts, fn):
                continue
            method = callee[2]
            if method in _CLI_DECORATORS and site.args and self.cli_object(callee[1], mod):
                # app.command(list_command, name="list") / app.default(main): a command registered by
                # reference, as the decorator would; app.command("pkg.cli.version:version", name="version"):
                # by its path
                target = self.literal(site.args[0], mod)
                if isinstance(target, str):
                    ref = p.functions.get(target.replace(":", ".")) if ":" in target and method == "command" else None
                    if ref is not None:
                        self.add_command(ref, parts)
                else:
                    self.command_registered(site.args[0], mod, parts)
                continue
            if method == "add_event_handler" and site.args and self.literal(site.args[0], mod) in _EVENTS:
                if len(site.args) > 1 and self.object_kind(p.ev(callee[1], mod)) == "app":
                    # app.add_event_handler("startup", connect)
                    self.startup_hooks(site.args[1], mod, self.event_hooks(site.args[0], mod, parts), fn)
                continue
            if method not in ("include_router", "add_api_route", "add_api_websocket_route", "add_route",
                              "add_websocket_route"):
                continue
            recv = callee[1]
            kind = self.object_kind(p.ev(recv, mod))
            if kind is None and method == "include_router" and site.args \
                    and self.object_kind(p.ev(site.args[0], mod)) == "router":
                # ``def configure(app): app.include_router(chat, prefix="/api/chat")``: the receiver
                # is not known, but it takes a router, so it is an app or router; its prefix counts
                kind = "app"
            if kind is None:
                continue
            parent = self.object_id(recv, mod, parts) or ("<local>", f"{mod.name}:{site.line}")
            parts.wired.append((parent, kind))
            if method == "include_router":
                child_expr = site.args[0] if site.args else self.kwarg(site, "router")
                child = self.object_id(child_expr, mod, parts)
                if child is None:
                    continue
                # a prefix that is not a literal or a module constant: a placeholder
                prefix = self.part(self.kwarg(site, "prefix"), mod, "prefix")
                deps = self.dep_functions(self.kwarg(site, "dependencies"), mod)
                parts.wired_includes.append((parent, child, prefix, deps))
            elif method in ("add_api_route", "add_api_websocket_route", "add_route", "add_websocket_route"):
                path_e = site.args[0] if site.args else self.kwarg(site, "path")
                ep_e = site.args[1] if len(site.args) > 1 else self.kwarg(site, "endpoint")
                endpoint = self.project_function(ep_e, mod)
                if endpoint is None:
                    continue
                ref = p.functions[endpoint]
                if method in ("add_api_websocket_route", "add_websocket_route"):
                    methods, rkind = ("WS",), "websocket"
                else:
                    methods, rkind = self.methods_of(site, "api_route"), "http"
                    if method == "add_route" and "GET" in methods and "HEAD" not in methods:
                        methods = methods + ("HEAD",)  # Starlette routes answer HEAD for GET
                path, dynamic = self.part(path_e, mod, "path")
                parts.wired_routes.append(Route(
                    methods, path, endpoint, ref.summary.is_async, rkind, parent,
                    module_path=ref.module.display, line=ref.summary.line, dynamic=dynamic,
                    dependencies=self.dep_functions(self.kwarg(site, "dependencies"), mod)
                    + self.param_dependencies(ref),
                    framework="starlette" if method.startswith("add_") and "api" not in method else "fastapi",
                ))
        # 3. decorated endpoints
        functions = p.functions
        for lq in mod.summary.functions:
            fq = f"{mod.name}.{lq}"
            ref = dict.get(functions, fq)
            if ref is None or ref.module is not mod or ref.module.library:
                continue
            if self.app_lifespan(ref):
                # @asynccontextmanager async def registry(app: Starlette): the app's lifespan, however
                # it reaches the app (a factory's parameter, a list that a compound lifespan enters),
                # when some app's lifespan is not a function named here (``_merge``)
                parts.typed_lifespans.add(fq)
                continue
            for d in ref.summary.decorators:
                callee = d.callee
                if d.kind in ("decorator", "decorator-ref") and callee[0] == "a" and callee[2] in _CLI_DECORATORS \
                        and self.cli_object(callee[1], mod):
                    # @app.command(): the function runs once per invocation; an async one on its own loop,
                    # a sync one runs the coroutines it hands to asyncio.run on theirs
                    self.add_command(ref, parts)
                    continue
                if ref.summary.is_async and d.kind in ("decorator", "decorator-ref") and self.runs_on_own_loop(d, mod):
                    # @coro / @cliq.command(help=...): the decorator's wrapper runs the coroutine with
                    # asyncio.run, once per call of the wrapper, on a loop of its own: like a command
                    parts.commands.add(fq)
                    continue
                when = self.server_listener(d, mod)
                if when is not None:
                    # @app.listener("before_server_start") / @app.after_server_stop of a Sanic app
                    (parts.startup if when == "startup" else parts.shutdown).add(fq)
                    continue
                if d.kind != "decorator" or callee[0] != "a":
                    continue
                method = callee[2]
                if method == "on_event" and d.args and self.literal(d.args[0], mod) in _EVENTS:
                    if self.object_kind(p.ev(callee[1], mod)) is not None:
                        # @app.on_event("startup") (@router.on_event too)
                        self.event_hooks(d.args[0], mod, parts).add(fq)
                    continue
                if method not in HTTP_METHODS and method not in ("api_route", "websocket", "route", "websocket_route"):
                    continue
                kind = self.object_kind(p.ev(callee[1], mod))
                if kind is None:
                    continue
                owner = self.object_id(callee[1], mod, parts) or ("<local>", fq)
                parts.decorated_objects.append((owner, kind))
                path_e = d.args[0] if d.args else self.kwarg(d, "path")
                if method in ("websocket", "websocket_route"):
                    methods, rkind = ("WS",), "websocket"
                else:
                    methods, rkind = self.methods_of(d, method), "http"
                path, dynamic = self.part(path_e, mod, "path")
                parts.decorated.append(Route(
                    methods, path, fq, ref.summary.is_async, rkind, owner,
                    module_path=mod.display, line=ref.summary.line, dynamic=dynamic,
                    dependencies=self.dep_functions(self.kwarg(d, "dependencies"), mod) + self.param_dependencies(ref),
                ))
        return parts

    def _merge(self, parts: list) -> None:
        """The modules' parts in the order a whole build makes them: every module's objects first,
        then what calls add, then decorated endpoints."""
        for part in parts:
            self.objects.update(part.objects)
            self.own_prefix.update(part.own_prefix)
            self.object_deps.update(part.object_deps)
            self.routes += part.listed
            self.includes += part.mounted
        for part in parts:
            for oid, kind in part.wired:
                self.objects.setdefault(oid, kind)
            self.includes += part.wired_includes
            self.routes += part.wired_routes
        for part in parts:
            for oid, kind in part.decorated_objects:
                self.objects.setdefault(oid, kind)
            self.routes += part.decorated
            self.startup |= part.startup
            self.shutdown |= part.shutdown
        if any(part.open_lifespan for part in parts):
            for part in parts:
                self.startup |= part.typed_lifespans
        for part in parts:
            self.commands |= part.commands

    def route_list(self, expr, mod, owner, prefix: tuple, depth: int = 0, parts=None) -> None:
        """Starlette-style ``routes=[Route(...), WebSocketRoute(...), Mount("/x", routes=[...])]``."""
        if expr is None or depth > 6:
            return
        if expr[0] == "g":  # routes = [...] defined at module level
            b = self.p.values.origin(expr, mod)
            if b is None:
                return
            mod = self.p.modules[b[0]]
            expr = mod.summary.globals.get(b[1])
            if expr is None:
                return
        if expr[0] != "list":
            return
        for item in expr[1:]:
            if item is None or item[0] != "callargs":
                continue
            _, func, args, kwargs = item
            cls = self.p.ev(func, mod)
            name = cls.name.rsplit(".", 1)[-1] if type(cls) is Sym else ""
            kw = dict(kwargs)
            path, dynamic = self.part(args[0] if args else kw.get("path"), mod, "path")
            full = (prefix[0] + path, prefix[1] or dynamic)
            if name == "Mount":
                if "routes" in kw:
                    self.route_list(kw["routes"], mod, owner, full, depth + 1, parts)
                app_e = args[1] if len(args) > 1 else kw.get("app")
                child = self.p.values.origin(app_e, mod) if app_e is not None else None
                if child is not None:
                    parts.mounted.append((owner, child, full, []))
                continue
            ep = args[1] if len(args) > 1 else kw.get("endpoint")
            endpoint = self.project_function(ep, mod)
            if endpoint is None:
                continue
            ref = self.p.functions[endpoint]
            if name in ("WebSocketRoute", "APIWebSocketRoute"):
                methods, rkind = ("WS",), "websocket"
            else:
                m = kw.get("methods")
                methods = tuple(x[1].upper() for x in m[1:] if x is not None and x[0] == "s") if m and m[0] == "list" else ()
                methods = methods or ("GET",)
                if name == "Route" and "GET" in methods and "HEAD" not in methods:
                    methods = methods + ("HEAD",)  # Starlette routes answer HEAD for GET
                rkind = "http"
            parts.listed.append(Route(
                methods, full[0], endpoint, ref.summary.is_async, rkind, owner,
                module_path=ref.module.display, line=ref.summary.line,
                dependencies=self.param_dependencies(ref),
                framework="fastapi" if name.startswith("API") else "starlette", dynamic=full[1],
            ))

    def methods_of(self, site, method: str) -> tuple:
        if method in HTTP_METHODS:
            return (method.upper(),)
        m = self.kwarg(site, "methods")
        if m is not None and m[0] == "list":
            got = tuple(x[1].upper() for x in m[1:] if x is not None and x[0] == "s")
            if got:
                return got
        return ("GET",)

    def param_dependencies(self, ref, depth: int = 0, seen=None) -> list:
        """Dependencies in a function's parameters, recursively (sub-dependencies)."""
        seen = seen if seen is not None else set()
        out = []
        if depth > 8:
            return out
        for prm in ref.summary.params:
            exprs = [(prm.default, ref.module), (prm.annotation, ref.module)]
            ann = prm.annotation
            if ann is not None and ann[0] == "opt":
                ann = ann[1]
            if ann is not None and ann[0] == "i":
                # a parameter annotated with a type alias: X = Annotated[T, Depends(f)]
                b = self.p.values.origin(ann[1], ref.module)
                if b is not None:
                    amod = self.p.modules[b[0]]
                    exprs.append((amod.summary.globals.get(b[1]), amod))
            for e, emod in exprs:
                for dep_e in _deps_in(e):
                    fq = self.dependency_callable(dep_e, emod)
                    if fq and fq not in seen:
                        seen.add(fq)
                        out.append(fq)
                        out += self.param_dependencies(self.p.functions[fq], depth + 1, seen)
        return out

    def _expand(self) -> None:
        """Apply include_router prefixes: each route gets its full path(s) from every app it reaches."""
        parents: dict = {}
        for parent, child, prefix, deps in self.includes:
            parents.setdefault(child, []).append((parent, prefix, deps))
        expanded = []
        for r in self.routes:
            own, own_dynamic = self.own_prefix.get(r.owner, ("", False))
            base_deps = list(r.dependencies) + self.object_deps.get(r.owner, [])
            paths = self._full_prefixes(r.owner, parents, set())
            if not paths:
                paths = [("", [], False, False)]
            for prefix, deps, reached_app, dynamic in paths:
                note = r.note
                if (dynamic or own_dynamic) and not r.dynamic:
                    note = "a prefix is not a literal"
                elif r.dynamic:
                    note = "the path is not a literal"
                if not reached_app and self.objects.get(r.owner) == "router":
                    note = "router not included in an app found statically"
                expanded.append(Route(
                    r.methods, prefix + own + r.path, r.function, r.is_async, r.kind, r.owner, note,
                    r.module_path, r.line, base_deps + deps, r.framework, dynamic or own_dynamic or r.dynamic,
                ))
        self.routes = expanded

    def _full_prefixes(self, oid, parents, seen) -> list:
        """[(prefix, extra dependencies, reached an app, has a placeholder)] along every include path
        up to an app."""
        if oid in seen:
            return []
        seen = seen | {oid}
        if self.objects.get(oid) == "app":
            return [("", list(self.object_deps.get(oid, [])), True, False)]
        ups = parents.get(oid, [])
        out = []
        for parent, (prefix, dynamic), deps in ups:
            parent_own, own_dynamic = (self.own_prefix.get(parent, ("", False)) if self.objects.get(parent) == "router"
                                       else ("", False))
            for pre, pdeps, reached, pre_dynamic in self._full_prefixes(parent, parents, seen):
                out.append((pre + parent_own + prefix, pdeps + deps + self.object_deps.get(parent, []), reached,
                            pre_dynamic or dynamic or own_dynamic))
        return out


@dataclass
class RouteParts:
    """What one module contributes to the route model (``RouteModel.module_parts``)."""

    objects: dict = field(default_factory=dict)  # its module-level apps and routers -> kind
    own_prefix: dict = field(default_factory=dict)
    object_deps: dict = field(default_factory=dict)
    listed: list = field(default_factory=list)  # routes of ``routes=[...]`` lists
    mounted: list = field(default_factory=list)  # includes by ``Mount``
    wired: list = field(default_factory=list)  # (object id, kind) that calls here include into or add to
    wired_includes: list = field(default_factory=list)
    wired_routes: list = field(default_factory=list)
    decorated_objects: list = field(default_factory=list)
    decorated: list = field(default_factory=list)  # decorated endpoints
    startup: set = field(default_factory=set)  # lifespan functions and startup handlers it names
    shutdown: set = field(default_factory=set)  # shutdown handlers it names
    commands: set = field(default_factory=set)  # coroutines its command-line commands run
    # async context managers over the app alone (``RouteModel.app_lifespan``): lifespans by their shape
    typed_lifespans: set = field(default_factory=set)
    open_lifespan: bool = False  # an app made here takes a lifespan that names no function here


def _deps_in(e) -> list:
    """``("dep", callable)`` nodes inside a parameter's default or annotation expression."""
    out = []
    if e is None or not isinstance(e, tuple):
        return out
    if e and e[0] == "dep":
        out.append(e[1])
        return out
    for x in e[1:]:
        if isinstance(x, tuple):
            out += _deps_in(x)
    return out


def _overriding(project, site, ref, target: Optional[str]) -> list:
    """The subclasses' implementations a method call may run instead of ``target``, the method it
    resolves to: of an abstract method (a stub) on a receiver typed with the base class (``for plugin in
    self.plugins: await plugin.initialize()``), or of a ``self.``/``cls.`` call in the base class."""
    if target is None or site.callee[0] != "a":
        return []
    v = project.ev(site.callee, ref.module)
    if type(v) is not Meth or v.type not in project.classes:
        return []
    receiver = site.callee[1]
    if not (project.functions[target].summary.is_stub or receiver[0] in ("self", "cls")):
        return []
    return [fq for fq in project.hierarchy.overrides(v.type, v.name) if fq != target]


def _call_index(model: RouteModel, project) -> dict:
    """Call sites by the last name of what they call (or of the task they add): a cheap pre-filter."""
    index = model.call_index
    if index is None:
        index = {}
        for fq, ref in project.index.own_functions():
            for key, site in _index_keys(ref.summary.calls):
                index.setdefault(key, []).append((fq, site))
        model.call_index = index
    return index


def _sites_named(index, name: str):
    """The call sites ``_call_index`` files under ``name``, for a reader that uses nothing of their
    positions: the live analysis' table then records a read that an edit moving lines leaves as it
    was (``live.state.Multimap.get``), so findings that read them only so are not computed again."""
    if isinstance(index, dict):
        return index.get(name, ())
    return index.get(name, (), positions=False)


def _index_keys(sites):
    """(key, site) for the call sites of one function, as ``_call_index`` files them."""
    for site in sites:
        if site.kind != "call":
            continue
        yield site.text.rsplit(".", 1)[-1], site
        if _enters_on_stack(site):
            yield "__aenter__", site  # (what it runs: _async_target)
        if site.callee[0] == "a" and site.callee[2] == "add_task" and site.args and site.args[0]:
            a = site.args[0]
            name = a[1] if a[0] in ("g", "d") else a[2] if a[0] == "a" else None
            if isinstance(name, str):
                yield name.rsplit(".", 1)[-1], site


def _awaited_somewhere(model: RouteModel, project, candidates: set) -> set:
    """Which of ``candidates`` some code awaits (making those ``def`` would break that code)."""
    index = _call_index(model, project)
    found = set()
    for name in {fq.rsplit(".", 1)[-1] for fq in candidates}:
        for fq, site in index.get(name, ()):
            if site.awaited and site.text.rsplit(".", 1)[-1] == name:
                target = _async_target(project, site, project.functions[fq])
                if target in candidates:
                    found.add(target)
    return found


def routes_by_function(model: RouteModel, project, functions) -> dict:
    """For each of ``functions``: the routes it runs for — as the endpoint, a dependency, or an
    async helper they await (at any depth), schedule or add as a background task. Searched upwards
    from each function, so its cost follows the findings, not the size of the project."""
    direct: dict = {}
    for r in model.routes:
        direct.setdefault(r.function, []).append(r)
        for dep in r.dependencies:
            direct.setdefault(dep, []).append(r)
    return _entry_points(model, project, functions, direct)


def startup_by_function(model: RouteModel, project, functions) -> dict:
    """For each of ``functions``: the lifespan functions and startup handlers it runs for."""
    return _entry_points(model, project, functions, {fq: [fq] for fq in model.startup})


def startup_only(model: RouteModel, project, functions, hooks: Optional[set] = None, named: bool = True,
                 shared: frozenset = frozenset(), own_loop: Optional[dict] = None,
                 walk: Optional["_AwaitGraph"] = None) -> set:
    """Which of ``functions`` (None: the project's own coroutines) run only while the app starts or
    stops: its lifespan functions, startup and shutdown handlers, and the coroutines that only these
    (or coroutines like these) await and that nothing else names (not a route, a dependency, a task,
    a callback). Nothing is served while they run: their blocking delays the start, not a request.
    ``hooks``: other roots instead (the coroutines of command-line commands). Without ``named``, what else names them is the
    caller's to check (``analyze.entries.referenced``). ``shared``: hooks that other code may run too
    (the coroutine a command runs may be a method routes await): one of them counts only when what
    awaits it does. A call that starts a loop of its own with it (``loop.run_until_complete(
    hub.init_users())`` in a command) runs it where nothing is served: it counts for neither side
    (``own_loop``: ``entries.runner_places``, when the caller has it). ``walk``: the await graph as
    another call with the same project walked it (``quiet_functions`` asks three times)."""
    hooks = model.startup | model.shutdown if hooks is None else hooks
    if not hooks:
        return set()
    index = _call_index(model, project)
    walk = walk if walk is not None else _AwaitGraph(project, index)
    own_loop = runner_places(project) if own_loop is None else own_loop
    served = {r.function for r in model.routes} | {dep for r in model.routes for dep in r.dependencies}
    decided: dict = {}

    def only(fq: str, path: frozenset) -> bool:
        root = fq in hooks
        if root and fq not in shared:
            return True
        if fq in decided:
            return decided[fq]
        ref = project.functions.get(fq)
        if ref is None or fq in path or fq in served or not root and (not ref.summary.is_async
                                                                      or _decorated(project, ref)):
            return False  # (a cycle is not remembered: another way in may decide it)
        calls = walk.program_calls(fq, own_loop)
        if root:
            # the command starts it from sync code, on a loop of its own; a coroutine that awaits it too
            # must be like it (``proxy_config.get_config()`` run by a command and awaited by routes)
            calls = [(c, site) for c, site in calls if project.functions[c].summary.is_async]
        entered = _entered(project, fq)
        decided[fq] = (root or bool(calls)) and all((site.awaited or entered) and only(c, path | {fq})
                                                    for c, site in calls)
        return decided[fq]

    reach = walk.awaited_from(hooks)  # (only these can be: every caller's chain leads to a hook)
    if functions is None:
        functions = {fq for fq in reach if (ref := project.functions.get(fq)) is not None
                     and not ref.module.library and ref.summary.is_async}
    found = {fq for fq in functions if fq in reach and only(fq, frozenset())}
    # a coroutine awaited at startup but also handed to something (a scheduler, a callback list) runs then too
    return found - referenced(project, found - hooks) if named else found


class _AwaitGraph:
    """What the functions of one project as it is await, and which calls of the program run them
    (``_program_calls``), each function's part worked out once for every question asked of it."""

    def __init__(self, project, index: dict):
        self.project, self.index = project, index
        self._awaits: dict = {}  # fq -> the functions it awaits or enters (and their overrides)
        self._callers: dict = {}  # fq -> [(caller, call site, the caller's FunctionRef)] that run it

    def awaited_from(self, roots: set) -> set:
        """The project functions that ``roots`` await (or enter), at any depth, and ``roots``."""
        seen = set(roots)
        stack = list(roots)
        while stack:
            for fq in self._awaited(stack.pop()):
                if fq not in seen:
                    seen.add(fq)
                    stack.append(fq)
        return seen

    def _awaited(self, fq: str) -> tuple:
        got = self._awaits.get(fq)
        if got is None:
            got = ()
            ref = self.project.functions.get(fq)
            if ref is not None:
                out = []
                for site in ref.summary.calls:
                    target = _run_target(self.project, site, ref)
                    if target is not None:
                        out += (target, *_overriding(self.project, site, ref, target))
                got = tuple(out)
            self._awaits[fq] = got
        return got

    def program_calls(self, fq: str, own_loop: Optional[dict] = None) -> list:
        """``_program_calls(index, project, fq, own_loop)``."""
        got = self._callers.get(fq)
        if got is None:
            got = self._callers[fq] = _running_calls(self.index, self.project, fq)
        return _off_own_loop(got, fq, own_loop)


def quiet_functions(model: RouteModel, project, entries: Optional[set] = None,
                    own_loop: Optional[dict] = None) -> dict:
    """Every project coroutine that serves no request -> when it runs ("while the app starts or
    stops", "in a command-line command"); decided once for the project (``model.quiet_memo``).
    ``entries``: the coroutines that start a loop, when the analysis found them already;
    ``own_loop``: ``entries.runner_places``, likewise."""
    got = model.quiet_memo.get("quiet")
    if got is None:
        if own_loop is None:
            own_loop = runner_places(project)
        if entries is None:
            entries = entry_coroutines(project, own_loop)
        commands = {fq for fq in model.commands if not serves(project, fq)}
        starting = model.startup | model.shutdown | loop_enders(project, model)
        roots = commands | starting
        shared = frozenset(commands - starting)  # (what a command runs, other code may await too)
        walk = _AwaitGraph(project, _call_index(model, project))  # (the three questions below share it)
        got = {fq: "while the app starts or stops or in a command-line command"  # (reached from both)
               for fq in startup_only(model, project, None, roots, named=False, shared=shared, own_loop=own_loop,
                                      walk=walk)}
        for hooks, when in ((commands, "in a command-line command"), (starting, "while the app starts or stops")):
            if hooks and got:
                # (a loop of its own that runs one too, asyncio.run(self.cleanup()) at exit, leaves it to the
                # start or the stop; the coroutine a command runs keeps the first answer)
                loops = own_loop if hooks is starting else {}
                got.update((fq, when) for fq in startup_only(model, project, set(got), hooks, named=False,
                                                             shared=shared & hooks, own_loop=loops, walk=walk)
                           if hooks is commands or fq not in commands)
        for fq in referenced(project, set(got) - roots):  # (one look through the project for all)
            del got[fq]
        # a command, or the coroutine a program starts its loop with, that serves: what it does before it
        # starts serving is its start-up, and so are the coroutines only that part awaits
        model.quiet_memo["serving"] = (model.commands - commands) | entries | _started_by_program(model, project,
                                                                                               own_loop, entries)
        # a coroutine a loop is started with that runs alone on it (no task, no callback, no server: a
        # script): nothing else waits while it blocks, nor while what only it awaits does
        alone = {fq for fq in entries - started_with_others(project) if runs_alone(project, fq)}
        if alone:
            when = "in a program that runs nothing else on its loop"
            for fq in startup_only(model, project, None, alone, own_loop=own_loop, walk=walk):
                got.setdefault(fq, when)
        before = _serving_lines(model, project, own_loop)
        # (what code that serves no request awaits too, a prompt that both a script and a server's start-up
        # ask, is still awaited before anything is served)
        prologue = _awaited_before(model, project, before, own_loop, frozenset(got))
        if prologue:
            when = "before the program starts serving"
            for fq in startup_only(model, project, None, prologue, own_loop=own_loop, walk=walk):  # (those already in ``got`` stay)
                got.setdefault(fq, when)
        model.quiet_memo["quiet"] = got
    return got


def _started_by_program(model: RouteModel, project, own_loop: dict, entries: set) -> set:
    """The coroutines a loop runner starts (``own_loop``) that are not entry coroutines only because
    sync code also calls them, on a loop already running (``asyncio.create_task(main())`` in the same
    sync function, when it finds one) and that serve: as for an entry coroutine, what they do before
    they start serving is the program's start-up; so are the serving coroutines the sync code that
    starts a loop makes beside it for that loop (``made_where_loops_start``: servers gathered by the
    coroutine it runs). One that a coroutine calls, or that is handed on (a callback), is not one of
    them."""
    index = _call_index(model, project)
    out = set()
    for fq in (set(own_loop) | made_where_loops_start(project)) - entries:
        calls = _program_calls(index, project, fq, own_loop)
        if all(not site.awaited and not project.functions[c].summary.is_async for c, site in calls) \
                and serves(project, fq):
            out.add(fq)
    return out - referenced(project, out) if out else out


def loop_enders(project, model: RouteModel) -> set:
    """The project's coroutines that end the program: their last call stops the loop they run on
    (``await self._cleanup(); self.io_loop.stop()``, ``asyncio.get_event_loop().stop()``, or a sync
    method of the project that does only that last), and that serve nothing. They run once, when the
    program stops (a signal's handler, a shutdown request), like a shutdown handler."""
    # the sync functions whose last call stops the loop, found first: few call stop() at all; then the
    # coroutines among the callers of stop() and of those functions (``self._stop_loop()``,
    # ``stop_loop()``: the call index's key is the callee's last name), and no other (this pass runs
    # after every edit that changes a call site: going through every coroutine of the project cost
    # more than all the rest of it)
    index = _call_index(model, project)
    fns = project.functions
    stoppers = {fq for fq in {fq for fq, _ in index.get("stop", ())}
                if not fns[fq].summary.is_async and _last_stops_loop(project, fns[fq], None)}
    names = {fq.rsplit(".", 1)[-1] for fq in stoppers}
    callers = {fq for name in ("stop", *sorted(names)) for fq, _ in index.get(name, ())}
    out = set()
    for fq in sorted(callers):
        ref = fns[fq]
        fn = ref.summary
        if not fn.is_async or fn.is_generator or project.is_test(ref.module) or not fn.calls:
            continue
        if _last_stops_loop(project, ref, stoppers, names) and not serves(project, fq):
            out.add(fq)
    # a coroutine started as a task whose done-callback stops the loop ends the program too: the loop
    # stops when it is done (``task = loop.create_task(self.hub.shutdown());
    # task.add_done_callback(lambda _: loop.stop())``, as a signal's handler does)
    # (only when every call of it makes such a task: one a client's request also awaits runs then too)
    made: dict = {}  # coroutine -> {(function, callee expression) of the calls that make its stopping tasks}
    for fq, site in index.get("add_done_callback", ()):
        found = _stopping_task(project, site, fns[fq], stoppers, names)
        if found is not None:
            made.setdefault(found[0], set()).add((fq, found[1]))
    for target, calls in made.items():
        if serves(project, target):
            continue
        name = target.rsplit(".", 1)[-1]
        if all((fq, site.callee) in calls and not site.awaited for fq, site in index.get(name, ())
               if _async_target(project, site, fns[fq]) == target):
            out.add(target)
    return out


_TASK_MAKERS = frozenset({"create_task", "ensure_future"})


def _stopping_task(project, site, ref, stoppers, names) -> Optional[tuple]:
    """For ``X.add_done_callback(cb)`` in ``ref``, where ``X`` is a task made right there of a call of a
    project coroutine (``loop.create_task(coro())``, ``asyncio.ensure_future(coro())``, also through a
    local bound to it) and ``cb`` a function whose last call stops the loop: that coroutine, and the
    expression its call calls."""
    callee = site.callee
    if callee[0] != "a" or site.awaited or not site.args or site.args[0] is None:
        return None
    made = callee[1]
    if made[0] != "c" or made[1][0] != "a" or made[1][2] not in _TASK_MAKERS:
        return None
    coro = made[2]
    if coro is None or coro[0] != "c":
        return None
    callback = project.ev(site.args[0], ref.module)
    cb = project.functions.get(callback.name) if type(callback) is Sym else None
    if cb is None or cb.summary.is_async or not _last_stops_loop(project, cb, stoppers, names):
        return None
    target = named_coroutine(project, project.ev(coro[1], ref.module))
    return (target, coro[1]) if target is not None and not project.functions[target].summary.is_generator else None


def _last_stops_loop(project, ref, stoppers, names=frozenset()) -> bool:
    """Is a call on the last line with calls of ``ref`` one that stops the event loop, or (``stoppers``:
    the sync project functions of which that is so) a call of such a function?"""
    sites = [site for site in ref.summary.calls if site.kind == "call" and not site.in_handler]
    if not sites:
        return False
    last = max(site.line for site in sites)
    for site in sites:
        if site.line != last:
            continue
        if _stops_loop(project, site, ref):
            return True
        if stoppers and not site.awaited and site.text.rpartition(".")[2] in names \
                and _async_target(project, site, ref) in stoppers:
            return True
    return False


_LOOP_NAMES = frozenset({"loop", "io_loop", "ioloop", "event_loop", "aio_loop"})
_LOOP_GETTERS = ("get_event_loop()", "get_running_loop()", "IOLoop.current()", "IOLoop.instance()")


def _stops_loop(project, site, ref) -> bool:
    """``loop.stop()``, ``self.io_loop.stop()``, ``IOLoop.current().stop()``,
    ``asyncio.get_event_loop().stop()``."""
    receiver, _, name = site.text.rpartition(".")
    if name != "stop" or not receiver:
        return False
    v = project.ev(site.callee, ref.module)
    if type(v) is Meth and (v.type.endswith("EventLoop") or v.type.endswith("IOLoop")):
        return True
    # an object of no known type, named as a loop is (``self.io_loop``, ``IOLoop.current()``)
    last = receiver.rsplit(".", 1)[-1].lstrip("_").lower()
    return last in _LOOP_NAMES or receiver.endswith(_LOOP_GETTERS)


def _serving_lines(model: RouteModel, project, own_loop: Optional[dict] = None) -> dict:
    """The serving coroutines ``quiet_functions`` found -> the line where each starts serving (kept
    in ``model.quiet_memo`` apart: an edit that moves lines and changes no call keeps the rest).
    ``own_loop``: ``entries.runner_places``, when the caller has it."""
    got = model.quiet_memo.get("before")
    if got is None:
        got = model.quiet_memo["before"] = {fq: line for fq in model.quiet_memo.get("serving", ())
                                            if (line := serving_line(project, fq)) is not None}
        if got:
            _serving_within(model, project, got, runner_places(project) if own_loop is None else own_loop)
    return got


def _serving_within(model: RouteModel, project, got: dict, own_loop: dict) -> None:
    """Add to ``got`` (serving coroutine -> the line where it starts serving) the coroutines that those
    await, or start as a task, where they start serving, when nothing else runs them (``async def
    launch(self): await self.initialize(); await self.start()`` and ``async def start(self):
    self.check_config(); ...; self.http_server.listen(port)``; ``asyncio.create_task(health_server())``
    whose coroutine checks its port before ``await server._serve()``): what such a one does before its
    own serving line runs before anything is served too. A call that starts a loop of its own with it
    counts for neither side."""
    index = _call_index(model, project)
    fns = project.functions
    todo = list(got)
    while todo:
        fq = todo.pop()
        ref = fns.get(fq)
        if ref is None:
            continue
        for site in ref.summary.calls:
            if site.line != got[fq] or site.kind != "call":
                continue
            target = _run_target(project, site, ref) or task_target(project, site, ref)
            if target is None or target in got:
                continue
            line = serving_line(project, target)
            calls = _program_calls(index, project, target, own_loop)
            if line is not None and calls and all(
                    c in got and s.line == got[c] and (s.awaited or _entered(project, target)
                                                       or task_target(project, s, fns[c]) == target)
                    for c, s in calls):
                got[target] = line
                todo.append(target)


def _program_calls(index: dict, project, fq: str, own_loop: Optional[dict] = None) -> list:
    """[(caller, call site)] of the calls of coroutine ``fq`` outside test code (how tests call a
    coroutine is not how the program runs it: ``link.build.is_test_module``), also those of the base
    class's method that may run it (``_overriding``). ``own_loop``: the calls that start a loop of
    their own (``entries.runner_places``), left out."""
    return _off_own_loop(_running_calls(index, project, fq), fq, own_loop)


def _off_own_loop(calls: list, fq: str, own_loop: Optional[dict]) -> list:
    """[(caller, call site)] of ``calls`` ((caller, site, its FunctionRef) running ``fq``) but those that
    start a loop of their own with it (``own_loop``: ``entries.runner_places``)."""
    skip = own_loop.get(fq, ()) if own_loop is not None else ()
    return [(c, site) for c, site, ref in calls if (id(ref), site.line, site.col) not in skip]


def _running_calls(index: dict, project, fq: str) -> list:
    """[(caller, call site, the caller's FunctionRef)] of the calls outside test code that run ``fq``."""
    out = []
    for c, site in index.get(fq.rsplit(".", 1)[-1], ()):
        ref = project.functions[c]
        if project.is_test(ref.module):
            continue
        target = _async_target(project, site, ref)
        if target == fq or target is not None and target.rsplit(".", 1)[-1] == fq.rsplit(".", 1)[-1] \
                and fq in _overriding(project, site, ref, target):
            out.append((c, site, ref))
    return out


def _awaited_before(model: RouteModel, project, before: dict, own_loop: dict, quiet: frozenset = frozenset()) -> set:
    """The coroutines awaited (or context managers entered) by the serving coroutines ``before`` (fq ->
    the line where it starts serving) before that line, and from nowhere else but coroutines ``quiet``
    (that serve no request)."""
    index = _call_index(model, project)
    out = set()
    for fq, line in before.items():
        ref = project.functions[fq]
        for site in ref.summary.calls:
            if site.line >= line:
                continue
            target = _run_target(project, site, ref)
            if target is None or target in out:
                continue
            calls = _program_calls(index, project, target, own_loop)
            entered = _entered(project, target)
            if calls and all((s.awaited or entered) and (c in before and s.line < before[c] or c in quiet)
                             for c, s in calls):
                out.add(target)
    return out - referenced(project, out)


def serving_line(project, fq: str) -> Optional[int]:
    """The line of a serving coroutine where it starts serving: the first of its own call sites that
    starts a server, or awaits (enters) or starts as a task a coroutine that does (``serves``)."""
    ref = project.functions.get(fq)
    if ref is None:
        return None
    for site in sorted(ref.summary.calls, key=lambda x: (x.line, x.col)):
        if site.kind != "call":
            continue
        if _starts_server(project, site, ref):
            return site.line
        target = _run_target(project, site, ref) or task_target(project, site, ref)
        if target is not None and target != fq and serves(project, target):
            return site.line
    return None


def _decorated(project, ref) -> bool:
    """Wrapped by a decorator that may register or run it elsewhere (not ``staticmethod``/``classmethod``,
    nor the ``asynccontextmanager`` of a context manager its callers enter: ``_entered``)."""
    for d in ref.summary.decorators:
        if d.callee[0] in ("g", "m") and str(d.callee[1]).rsplit(".", 1)[-1] in ("staticmethod", "classmethod"):
            continue
        v = project.ev(d.callee, ref.module)
        if not (type(v) is Sym and v.name.endswith("asynccontextmanager") and ref.summary.is_generator):
            return True
    return False


def startup_coroutines(project, model: Optional[RouteModel]) -> set:
    """Every project coroutine that serves no request (ASL402's: ``quiet_functions``)."""
    if model is None:
        return set()
    return set(quiet_functions(model, project))


def _entry_points(model: RouteModel, project, functions, direct: dict) -> dict:
    """For each of ``functions``: what ``direct`` files under it or under the functions that run it
    on the loop (awaited, scheduled, added as a task), at any depth above."""
    index = _call_index(model, project)
    memo = model.callers

    def remembered(key, compute):
        if hasattr(memo, "compute"):  # a long-lived caller's memo, which records what an entry read (live)
            return memo.compute(key, compute)
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def named(name: str) -> list:
        """(caller, site, the task it adds, what it calls) of the call sites filed under ``name``: worked
        out once for every function of that name (``update``, ``run``: hundreds of classes share it)."""
        def compute():
            out = []
            for c, site in _sites_named(index, name):
                if site.kind != "call":
                    continue
                ref = project.functions[c]
                task = None
                if site.callee[0] == "a" and site.callee[2] == "add_task" and site.args and site.args[0] is not None:
                    task = project.ev(site.args[0], ref.module)  # background_tasks.add_task(notify, ...)
                out.append((c, site, task, _async_target(project, site, ref)))
            return out

        return remembered(("named", name), compute)

    def callers(fq: str) -> list:
        """The callers with a call site that makes ``fq`` run on the loop for them: one that adds it as a
        task, or calls it and awaits what it returns (or it is a coroutine function: scheduled)."""
        def compute():
            me, out = Sym(fq), []
            for c, site, task, target in named(fq.rsplit(".", 1)[-1]):
                if task == me or target == fq and (site.awaited or project.functions[fq].summary.is_async):
                    out.append(c)
            return out

        return remembered(fq, compute)

    out: dict = {}
    for fn in functions:
        if fn is None or fn in out:
            continue
        seen, stack, found = {fn}, [fn], []
        while stack:
            f = stack.pop()
            found += direct.get(f, ())
            for c in callers(f) if f in project.functions else ():
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        out[fn] = found
    return out


def _route_text(routes: list) -> Optional[str]:
    """The routes for display: at most three, and how many more (``Diagnostic.routes`` has them all)."""
    if not routes:
        return None
    labels = sorted({r.label() for r in routes}, key=lambda lab: (lab.split(" ", 1)[-1], lab))
    if len(labels) > 3:
        return ", ".join(labels[:3]) + f" (+{len(labels) - 3} more)"
    return ", ".join(labels)


def route_keys(routes: list) -> list:
    """Every route, once, in order, as the plain data ``Diagnostic.routes`` holds: (methods, path, function)."""
    keys = {(tuple(r.methods) if r.kind == "http" else ("WS",), r.path, r.function) for r in routes}
    return sorted(keys, key=lambda k: (k[1], k[0], k[2]))


# what ends the process: SystemExit leaves the task and the loop running it (an asyncio task re-raises
# it); os._exit ends the process at once
_EXITS = frozenset({"sys.exit", "os._exit"})


def _in_exit_tail(project, d, endpoints) -> bool:
    """Is the finding in a tail of its coroutine that ends by exiting the process (``FunctionSummary.
    exit_tails``), in a coroutine that is no request's handler or dependency (a request that exits
    does so only when it does: the others still wait)?"""
    ref = project.functions.get(d.function)
    if ref is None or d.function in endpoints:
        return False
    return any(first <= d.line < last and exit_calls(project, ref, last) & _EXITS
               for first, last in ref.summary.exit_tails)


def annotate_routes(project, analysis, diagnostics, cfg, model: Optional[RouteModel] = None):
    """Add route context to findings, and the ASL301 framework findings (suppression comes after):
    (diagnostics, the route model). ``model``: the project's route model from an earlier run, still valid."""
    model = model if model is not None else RouteModel(project)
    if model.startup:
        # one-time initialization that a lifespan or startup handler reaches is built before any request
        # (a cache of many entries only for the keys the start-up asks for: still reported)
        once = [d for d in diagnostics if d.callers and not d.keyed]
        at_startup = startup_by_function(model, project, {h.function for d in once for h in d.callers})
        diagnostics = [d for d in diagnostics if not (d.callers and not d.keyed and any(at_startup.get(h.function)
                                                                                        for h in d.callers))]
    # blocking in code that runs only while the app starts or stops, or in a command-line command,
    # delays that, not a request
    quiet = quiet_functions(model, project, analysis.entries if analysis is not None else None)
    before = _serving_lines(model, project)
    endpoints = {r.function for r in model.routes} | {dep for r in model.routes for dep in r.dependencies}
    for d in diagnostics:
        if d.callers:
            # one-time initialization that only code serving no request reaches (a cache of many entries
            # that the lifespan alone fills, for every key it ever holds): no request waits for it either
            whens = {quiet.get(h.function) for h in d.callers}
            when = None if None in whens else whens.pop() if len(whens) == 1 else \
                "while the app starts or stops or in a command-line command"
        else:
            when = quiet.get(d.function)
        if when is None and not d.callers and d.function in before and d.line < before[d.function]:
            when = "before the program starts serving"
        if when is None and not d.callers and _in_exit_tail(project, d, endpoints):
            when = "as the program exits"
        if when is not None and d.code != STARTUP_CODE:
            d.code = STARTUP_CODE
            d.message = f"{when}: {d.message}"
    if not model.routes:
        return diagnostics, model
    roles_fns = {r.function for r in model.routes} | {dep for r in model.routes for dep in r.dependencies}
    reached = {d.function for d in diagnostics} | {h.function for d in diagnostics for h in d.callers}
    # the routes of a route or dependency matter for ASL301 in the reported files only
    roles_fns = {fq for fq in roles_fns if fq in project.functions and project.functions[fq].module.report}
    by_fn = routes_by_function(model, project, reached | roles_fns)
    for d in diagnostics:
        # one-time initialization: the routes of the coroutines that reach it
        found = [r for h in d.callers for r in by_fn.get(h.function, [])] if d.callers else by_fn.get(d.function, [])
        d.route = _route_text(found)
        d.routes = route_keys(found)
    # ASL301: async route/dependency that never awaits and blocks
    counts: dict = {}  # per-request blocking calls by coroutine (one-time initialization aside), but the
    for d in analysis.diagnostics:  # kinds the configuration accepts (ignore = ["ASL105", "ASL205"])
        if not d.callers and not cfg.is_accepted(d.code):
            counts[d.function] = counts.get(d.function, 0) + 1
    roles: dict = {}
    for r in model.routes:
        if r.framework == "fastapi":
            roles.setdefault(r.function, ("route", r))
        for dep in r.dependencies:
            roles.setdefault(dep, ("dependency", r))
    out = list(diagnostics)
    if cfg.is_selected("ASL301"):
        candidates = {fq for fq in roles if counts.get(fq) and fq in project.functions
                      and project.functions[fq].summary.is_async and not project.functions[fq].summary.awaits}
        awaited_anywhere = _awaited_somewhere(model, project, candidates)
        for fq, (role, r) in roles.items():
            ref = project.functions.get(fq)
            # (the reported modules' routes with blocking calls first: another's summary is not read)
            n = counts.get(fq, 0)
            if ref is None or not n or not ref.module.report or not ref.summary.is_async or ref.summary.awaits:
                continue
            if fq in awaited_anywhere or (ref.summary.is_generator and role == "route"):
                continue  # an async generator dependency becomes a sync generator one: fine
            if r.kind == "websocket":
                continue  # a websocket handler cannot be a plain def
            if _async_wrapped(project, ref):
                continue  # FastAPI calls the project's async wrapper, which would await a plain def
            fn_routes = by_fn.get(fq, [])
            where = _route_text(fn_routes)
            what = f"route {where}" if role == "route" else f"dependency {ref.summary.name} (used by {where})"
            out.append(Diagnostic(
                path=ref.module.display,
                line=ref.summary.line,
                column=ref.summary.col + 1,
                end_line=ref.summary.line,
                end_column=ref.summary.col + 1 + len(f"async def {ref.summary.name}"),
                code="ASL301",
                category=None,
                message=(
                    f"async {what} never awaits but makes {n} blocking call{'s' if n != 1 else ''}: "
                    f"declare it with plain def so FastAPI runs it in the thread pool"
                ),
                function=fq,
                route=where,
                routes=route_keys(fn_routes),
                chain=[fq],
                suggestion="change `async def` to `def`",
                api=None,
                root=f"{ref.module.display}:{ref.summary.line}:async def {ref.summary.name}",
            ))
            # one fix for all of them: the route's own blocking calls are this cause
            for d in diagnostics:
                if d.function == fq and not d.callers and d.code[3] in "12":
                    d.root = out[-1].root
    return out, model


def _async_wrapped(project, ref) -> bool:
    """Is what FastAPI registers for this function a wrapper the project makes: a decorator applied
    before the route's own (written below it; all of them for a dependency or a route added by
    reference) that is a project function returning an ``async def`` it defines (``return await
    func(*args, **kwargs)``), or a factory of one (``@retry(3)``)? The route is then that coroutine,
    and a plain ``def`` under it would be awaited: ASL301's advice would break it."""
    decorators = ref.summary.decorators
    inner = decorators
    for i, d in enumerate(decorators):
        callee = d.callee
        if d.kind == "decorator" and callee[0] == "a" and (callee[2] in HTTP_METHODS or callee[2] in ("api_route", "route")):
            inner = decorators[i + 1:]
    values = project.values
    for d in inner:
        fq = project_function(project, project.ev(d.callee, ref.module))
        if fq is not None and d.kind == "decorator":  # @factory(...): the decorator is what it returns
            fq = project_function(project, values.function_result(fq))
        wrapper = project_function(project, values.function_result(fq)) if fq is not None else None
        if wrapper is not None and project.functions[wrapper].summary.is_async:
            return True
    return False


# ------------------------------------------------------------------ routes table
def route_rows(result, numbered: Optional[dict] = None) -> list:
    """Every endpoint, with the findings that stall it (those whose ``routes`` name it). ``numbered``:
    id(diagnostic) -> its index in the report, for the JSON report, whose endpoints name their findings
    by index (one finding may stall hundreds of endpoints: written once, referred to from each)."""
    project = result.project
    model = result.routes or RouteModel(project)
    findings_by_route: dict = {}
    for d in result.diagnostics:
        for key in d.routes:
            findings_by_route.setdefault(tuple(key), []).append(d)
    rows = []
    seen = set()
    for r in sorted(model.routes, key=lambda r: (r.path, r.methods, r.function)):
        key = route_keys([r])[0]
        if key in seen:  # one endpoint reached twice the same way
            continue
        ref = project.functions.get(r.function)
        if ref is not None and not ref.module.report:
            continue  # an app in test or vendored code: not one of the project's endpoints
        seen.add(key)
        found = sorted(findings_by_route.get(key, []),
                       key=lambda d: (d.code.startswith("ASL3"), d.path, d.line, d.column, d.code))
        rows.append({
            "methods": list(r.methods),
            "path": r.path,
            "function": r.function,
            "handler": r.function,
            "async": r.is_async,
            "def": "async def" if r.is_async else "def",
            "kind": r.kind,
            "location": f"{r.module_path}:{r.line}",
            "dynamic": r.dynamic,
            "status": "blocks" if found else "clean",
            "findings": len(found),
            "diagnostics": [numbered[id(d)] for d in found] if numbered is not None else [],
            "first_chain": found[0].chain if found else None,
            "first_finding": f"{found[0].path}:{found[0].line} {found[0].code}" if found else None,
            "note": r.note or None,
        })
    return rows


def render_routes(result, fmt: str = "text") -> str:
    if fmt == "json":
        import json

        from .. import __version__
        from ..report.json import SCHEMA_VERSION

        # the findings that stall some endpoint, each once; endpoints name them by their index here
        stalling = [d for d in result.diagnostics if d.routes]
        numbered = {id(d): i for i, d in enumerate(stalling)}
        rows = route_rows(result, numbered)
        return json.dumps({"version": __version__, "schema_version": SCHEMA_VERSION,
                           "diagnostics": [d.to_json() for d in stalling], "routes": rows}, indent=2)
    rows = route_rows(result)
    if not rows:
        return "No FastAPI routes found."
    table = []
    for row in rows:
        method = "WS" if row["kind"] == "websocket" else ",".join(row["methods"])
        kind = "async def" if row["async"] else "def"
        if row["status"] == "clean":
            status = "clean"
        else:
            chain = " -> ".join(row["first_chain"] or [])
            status = f"BLOCKS ({row['findings']} finding{'s' if row['findings'] != 1 else ''}; {chain})"
        if row["note"]:
            status += f"  [{row['note']}]"
        table.append((method, row["path"], row["function"], kind, status))
    widths = [max(len(r[i]) for r in table + [("METHOD", "PATH", "FUNCTION", "KIND", "STATUS")]) for i in range(4)]
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(("METHOD", "PATH", "FUNCTION", "KIND"))) + "  STATUS"]
    for r in table:
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    blocked = sum(1 for row in rows if row["status"] != "clean")
    lines.append(f"\n{len(rows)} route{'s' if len(rows) != 1 else ''}, {blocked} blocking the event loop")
    return "\n".join(lines)
