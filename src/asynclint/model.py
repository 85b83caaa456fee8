"""Plain data passed between the pipeline stages.

Summaries (the output of ``summarize``) depend only on a file's text: they are
cached on disk and built in worker processes, so they hold nothing but
strings, ints, tuples and these dataclasses.

Expressions are symbolic values written as compact nested tuples (``Expr``),
``(tag, *fields)``, resolved later by ``link`` (to ``link.values``) with the
whole project and the catalog at hand. ``EXPR_FORMS`` below is the one
description of every tag and its fields; tests/test_summary_forms.py checks
every summary of the fixtures against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

Expr = Tuple[Any, ...]
UNKNOWN: Expr = ("u",)

# the keywords that pass the file object a reader, writer or archive works on when it is not the first
# positional argument: tarfile.open(fileobj=...), gzip.GzipFile(fileobj=...), zipfile.ZipFile(file=...),
# Image.open(fp=...), csv.DictWriter(f=...), csv.writer(csvfile=...)
FILE_KEYWORDS = ("fileobj", "file", "fp", "f", "csvfile")

# tag -> (its fields, what it stands for). Field kinds: "str", "int", "literal" (None, bool, int,
# float), "expr", "expr?" (an expression or None), "exprs?" (a tuple of those), "kwexprs?" (a tuple
# of (keyword, expression or None)), "strs" (a tuple of strings), "*expr?" (the remaining fields),
# "passed?" (None, or (number of positional arguments, tuple of keyword names, the values of the
# positional arguments after the first and of the keyword arguments when each is a literal or a
# named constant, else None: two tuples of "expr?")).
EXPR_FORMS = {
    "g": (("str",), "a name of the summarised module's global scope (or a builtin)"),
    "m": (("str",), "an absolute import reference: ``import a.b`` / ``from a import b`` -> 'a.b'"),
    "r": (("int", "str"), "a relative import reference ``from ..a import b``: level, 'a.b'"),
    "d": (("str",), "a function, class or lambda defined in the summarised module, by local qualname"),
    "a": (("expr", "str"), "attribute ``base.attr``"),
    "c": (("expr", "expr?", "passed?"), "the result of calling ``func``: its first positional argument if simple "
                                         "(with none, the file object passed by a FILE_KEYWORDS keyword), "
                                         "and what was passed, (number of positional arguments, keyword names, "
                                         "simple values of the other arguments)"),
    "callargs": (("expr", "exprs?", "kwexprs?"), "a Route/Mount construction with its simple arguments"),
    "i": (("expr",), "an instance of the class (from an annotation)"),
    "opt": (("expr",), "an annotation that admits more than its class: None (``Optional[X]``, ``X | None``) "
                       "or another class (``X | Y``, ``Union[X, Y]``, read as X)"),
    "it": (("expr",), "an element of iterating ``base``"),
    "en": (("expr",), "what ``with base as x`` binds"),
    "aw": (("expr",), "the result of ``await base``"),
    "sub": (("expr",), "``base[...]``"),
    "div": (("expr",), "``base / x`` (a pathlib path)"),
    "dep": (("expr",), "what FastAPI injects for ``Depends(func)``"),
    "self": (("str",), "``self`` inside a method of the class (local qualname)"),
    "cls": (("str",), "``cls`` inside a classmethod of the class (local qualname)"),
    "sup": (("str", "str"), "``super()`` inside a method of the class; kind 'self' or 'cls'"),
    "alt": (("expr", "expr"), "the first when it resolves, else the second (``a or b``, annotation vs value)"),
    "cast": (("expr", "expr"), "``typing.cast(T, x)``: the instance annotation ``T`` says (``i``/``opt``) when it "
                               "resolves, else the value ``x``; the programmer's word at that point, not a declaration "
                               "callers may not keep"),
    "either": (("expr", "expr"), "one or the other, by a branch taken at run time"),
    "seqof": (("expr",), "a sequence (list/set annotation, comprehension, literal) of such items"),
    "mapof": (("expr",), "a mapping whose values are such (a dict annotation, a dict literal of alike values)"),
    "tal": (("expr",), "a type alias: the name stands for this annotation"),
    "s": (("str",), "a string literal"),
    "k": (("literal",), "another literal: None, True, False, a number"),
    "p": (("str",), "the function's own parameter, by name"),
    "list": (("*expr?",), "a list or tuple literal of simple arguments (``dependencies=[...]``)"),
    "derive": (("expr", "str", "strs"), "a parameter normalised in place: ``x = x.replace('a', 'b')``"),
    "lv": (("str",), "a local variable of the function, of no known value (``path = base / name``)"),
    "text": (("str", "str"), "a str of no known value, built at run time (an f-string): the local it is bound "
                              "to (``path = f'{base}/x'``), as ``lv``, or '' written in place; and the literal text "
                              "it begins with (``f'/proc/{pid}/stat'``: '/proc/'; '' when none)"),
    "tup": (("exprs?",), "a tuple literal a function returns (``return session, conn``), or a tuple annotation, item by item"),
    "part": (("expr", "int"), "one of the values a call returned, unpacked into several names (``fd, path = mkstemp()``)"),
    "u": ((), "unknown"),
}
# CallSite.kind values
SITE_KINDS = {
    "call": "a call", "with": "entering a ``with`` context", "iter": "iterating in ``for``/a comprehension",
    "attr": "an attribute read that may run a property", "decorator": "a decorator written as a call",
    "decorator-ref": "a decorator written as a name",
    "store": "an assignment to an attribute the framework stage reads (``app.router.lifespan_context = fn``): "
             "``callee`` is the attribute, ``args`` the value; nothing runs there",
}


@dataclass(slots=True)
class CallSite:
    """One place where a function body may run code: a call, a ``with``, a ``for``."""

    line: int
    col: int  # 0-based, as in ast
    end_line: int
    end_col: int
    kind: str  # one of SITE_KINDS
    callee: Expr  # what is called / entered / iterated
    text: str  # short source text of the callee, e.g. "requests.get"
    awaited: bool = False
    args: Tuple[Optional[Expr], ...] = ()
    # (keyword, value) of the keyword arguments; ("**", value) for a mapping unpacked into the call, and
    # ("*", None) when the positions after ``args`` are not known (``*args`` unpacked, or more positional
    # arguments than are kept). Without it a None in ``args`` is an argument at its known position whose
    # expression is not kept (``a if c else b``, ``x + y``): the arguments after it keep theirs.
    kwargs: Tuple[Tuple[str, Optional[Expr]], ...] = ()
    target: Optional[str] = None  # module-level ``name = call(...)``
    # the tests the function made before this site (on its entry state), see analyze.conditions:
    # (subject, op, value, holds, chains) with op "startswith" | "contains" | "in" | "none" | "truthy" | "pred"
    guards: Tuple[Tuple[str, str, Any, bool, Any], ...] = ()
    once: bool = False  # in one-time initialization: runs on the first call only (see summarize.memo)
    # the cache that initialization fills, as written (summarize.memo.Subject): ("name", global) or
    # ("attr", base name, attribute); () for a memoized function; prefixed with ("keyed",) for a cache
    # of many entries, ("reopen",) for a client rebuilt only after it was closed
    once_of: tuple = ()
    # what the function stored before this site: (subject, op, value, holds, chains) or op "dirty"
    facts: Tuple[Tuple[str, str, Any, bool, Any], ...] = ()
    body_awaits: bool = False  # a ``with`` whose body awaits: what it entered is held across the await
    body_end: int = 0  # a ``with``: the last line of its body
    in_handler: bool = False  # off the common path: in an ``except`` block, or a platform's own branch
    # runs before the function's first await (and not again in a loop after one): in the coroutine a
    # loop is started with, nothing else has run yet (see analyze.entries)
    before_await: bool = False
    # a queue's get() under a test that the queue holds an item (`if not q.empty(): q.get()`,
    # `while q.qsize() > 0: q.get()`): it returns at once for the one consumer
    filled: bool = False
    returned: bool = False  # the value of a ``return`` statement (``return p.glob("*")``)
    # what is taken (``x.acquire()``, ``with x:``) was made right there, or bound to a local just before
    # and not used otherwise since (``summarize.fresh``): a lock made so is held by nobody else
    fresh: bool = False
    # a ``with`` on a local that a function (this one or one it is nested in) binds once to a call and
    # uses nowhere else but in ``with`` statements, its own and its closures' (``summarize.fresh``):
    # "<local qualname of that function>:<name>"; every section of what it holds is one of those blocks
    # (also on a ``wait()``/``wait_for()`` call on such a condition inside one of them)
    private: str = ""


@dataclass(slots=True)
class Param:
    name: str
    annotation: Optional[Expr]
    default: Optional[Expr]
    kind: str = "pos"  # "pos" | "kwonly" | "vararg" | "kwarg"


@dataclass(slots=True)
class FunctionSummary:
    qualname: str  # local to the module: "f", "Cls.meth", "outer.inner", "outer.<lambda:12>"
    name: str
    is_async: bool
    line: int
    col: int
    end_line: int
    class_name: Optional[str] = None  # local qualname of the class for methods
    parent: Optional[str] = None  # enclosing function for nested defs and lambdas
    decorators: Tuple[CallSite, ...] = ()
    params: Tuple[Param, ...] = ()
    returns: Tuple[Expr, ...] = ()
    return_annotation: Optional[Expr] = None
    is_generator: bool = False
    awaits: bool = False  # has await / async for / async with in its own body
    calls: list = field(default_factory=list)  # list[CallSite]
    kind: str = "function"  # "function" | "method" | "staticmethod" | "classmethod" | "property" | "lambda"
    is_stub: bool = False  # only a docstring, pass, ... or raise NotImplementedError (abstract)
    predicate: tuple = ()  # ``def f(): return "K" in os.environ``: the guards a call to it stands for
    # statements that run only as the program ends: (first line, line of the exit call) of each tail of
    # the body or of an ``except`` handler (in a coroutine, after its last await) when the tail ends by
    # calling exit()/_exit()/abort()/kill() (``summarize.summarizer._exit_tails``; the frameworks check a
    # coroutine's is sys.exit or os._exit, ``analyze.analysis`` a sync function's ends the process at once)
    exit_tails: tuple = ()


@dataclass(slots=True)
class ClassSummary:
    qualname: str
    name: str
    line: int
    bases: Tuple[Expr, ...] = ()
    decorators: Tuple[CallSite, ...] = ()
    attrs: dict = field(default_factory=dict)  # name -> tuple[Expr, ...] (self.x = ..., class-level x: T)
    methods: Tuple[str, ...] = ()


@dataclass(slots=True)
class ModuleSummary:
    globals: dict = field(default_factory=dict)  # name -> Expr
    star_imports: Tuple[Expr, ...] = ()
    functions: dict = field(default_factory=dict)  # local qualname -> FunctionSummary
    classes: dict = field(default_factory=dict)  # local qualname -> ClassSummary
    module_calls: list = field(default_factory=list)  # list[CallSite] at module level
    noqa: dict = field(default_factory=dict)  # line -> None (all codes) | frozenset of codes
    downgraded: bool = False  # parsed through LibCST because the interpreter's parser failed
    # every name the call sites' arguments, keywords and callees mention (``summarize.names``): where
    # a whole-project pass looks for the uses of a function (``analyze.entries``) it reads this first
    names: frozenset = frozenset()
    # every import the module makes, at its top or in a function or class, once each, in order:
    # ("m", "a.b") for ``import a.b`` and ``from a import b``, ("r", level, "a.b") for ``from .a import b``
    # (``analyze.serving``: which modules a program can run)
    imports: tuple = ()


@dataclass(slots=True)
class SourceFile:
    """A file to check, as discovered."""

    path: str  # absolute
    display: str  # as shown to the user
    explicit: bool = False
    test: bool = False  # a test module found in a directory walk (tests/, test_*.py, conftest.py)
    vendored: bool = False  # found in a directory walk below vendor/, _vendor/, thirdparty/, third_party/


# how a message about a failure caused by a bug of asynclint's (not by the file) begins
INTERNAL_ERROR = "internal error"


@dataclass(slots=True)
class FileError:
    path: str
    message: str
    internal: bool = False  # failed through a bug of asynclint's, not because of the file


@dataclass(slots=True)
class ChainHop:
    function: str  # qualified name of the function at this hop, or the library API at the end
    path: Optional[str]
    line: Optional[int]
    text: str  # what is called at this hop, as written: "helpers.is_file()", "with lock", "iterating rows"
    library: Optional[str] = None  # "distribution version" when this hop is in library code read from source
    column: Optional[int] = None  # 1-based column of the call at this hop
    symbol: Optional[str] = None  # the callee as written at the call site: "helpers.is_file"

    def to_json(self, calls: Optional[str] = None) -> dict:
        """``calls``: what the call at this hop resolves to (the next hop's function)."""
        return {"function": self.function, "path": self.path, "line": self.line, "column": self.column,
                "symbol": self.symbol, "text": self.text, "calls": calls, "library": self.library}


@dataclass(slots=True)
class Diagnostic:
    path: str
    line: int
    column: int  # 1-based
    end_line: int
    end_column: int
    code: str
    category: Optional[str]
    message: str
    function: Optional[str]
    route: Optional[str] = None  # the routes it stalls, for display (at most three, "(+N more)")
    routes: list = field(default_factory=list)  # every one: (methods, path, endpoint function)
    chain: list = field(default_factory=list)  # list[str] qualified names
    hops: list = field(default_factory=list)  # list[ChainHop]
    suggestion: Optional[str] = None
    fix: Optional[str] = None
    api: Optional[str] = None  # the blocking library API at the end of the chain
    root: Optional[str] = None  # where the blocking happens ("path:line:api"); shared by one cause's findings
    callers: list = field(default_factory=list)  # ASL401: the async call sites (ChainHop) that reach it
    # set when the chain runs through installed library code (see libraries.inferred); the JSON
    # field "inferred" is present only then
    inferred: Optional[dict] = None
    # what the findings of one cause in one coroutine share, for the text report ("file access",
    # "SMTP object"); not part of the JSON output
    access: Optional[str] = None
    # ASL401: the initializer fills a cache of many entries (once per key, not once per process); not
    # part of the JSON output
    keyed: bool = False
    # the blocking function runs in a coroutine awaited here, which calls it because it was passed it
    # (``analyze.classify``): the awaited call is nothing to offload, so no fix; not part of the JSON output
    passed: bool = False
    # found in a sync callback the event loop runs (``analyze.callbacks``): how it was scheduled
    # (``loop.add_reader``); no ``await`` can be written there, so no fix; not part of the JSON output
    callback: str = ""

    def to_json(self) -> dict:
        out = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "category": self.category,
            "message": self.message,
            "function": self.function,
            "route": self.route,
            "chain": list(self.chain),
            "suggestion": self.suggestion,
            "fix": self.fix,
            "root": self.root,
            "callers": [{"function": h.function, "path": h.path, "line": h.line, "column": h.column,
                         "symbol": h.symbol} for h in self.callers],
            # added in schema version 2
            "routes": [{"methods": list(m), "path": p, "function": f} for m, p, f in self.routes],
            "hops": [h.to_json(self.hops[i + 1].function if i + 1 < len(self.hops) else None)
                     for i, h in enumerate(self.hops)],
            "api": self.api,
        }
        if self.inferred is not None:
            out["inferred"] = self.inferred
        return out
