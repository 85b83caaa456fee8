"""Plain data passed between the pipeline stages.

Summaries (the output of ``summarize``) depend only on a file's text: they are
cached on disk and built in worker processes, so they hold nothing but
strings, ints, tuples and these dataclasses.

Expressions are symbolic values written as nested tuples (``Expr``), resolved
later by ``link`` with the whole project and the catalog at hand:

    ("g", name)            a module-level name of the summarised module (or a builtin)
    ("m", "a.b.c")         an absolute import reference
    ("r", level, "a.b")    a relative import reference (``from ..a import b``)
    ("d", "Cls.meth")      a function or class defined in the summarised module
    ("a", base, attr)      attribute ``base.attr``
    ("c", func, arg0)      result of calling ``func`` (arg0: first positional argument or None)
    ("callargs", func, args, kwargs)  a Route/Mount construction, with all its (simple) arguments
    ("i", base)            an instance of the class ``base`` (from an annotation)
    ("it", base)           an element from iterating ``base``
    ("en", base)           the value bound by ``with base as x``
    ("aw", base)           the result of ``await base``
    ("sub", base)          ``base[...]``
    ("div", base)          ``base / x`` (pathlib)
    ("dep", func)          the value FastAPI injects for ``Depends(func)``
    ("self", "Cls")        ``self`` inside a method of class ``Cls``
    ("cls", "Cls")         ``cls`` inside a classmethod of ``Cls``
    ("sup", "Cls", kind)   ``super()`` inside a method of ``Cls`` (kind: "self" or "cls")
    ("alt", e1, e2)        e1 when it resolves, otherwise e2 (``a or b``, annotation vs value)
    ("either", e1, e2)     e1 or e2 depending on a branch taken at run time
    ("seqof", ann)         a list/sequence/set annotation whose items are ``ann``
    ("mapof", ann)         a dict/mapping annotation whose values are ``ann``
    ("tal", ann)           a type alias: the name stands for the annotation ``ann``
    ("s", "text")          a string literal
    ("k", value)           another literal: True, False, None, a number
    ("derive", e, m, args) a parameter normalised in place: ``x = x.replace("a", "b")``
    ("u",)                 unknown
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

Expr = Tuple[Any, ...]
UNKNOWN: Expr = ("u",)


@dataclass(slots=True)
class CallSite:
    """One place where a function body may run code: a call, a ``with``, a ``for``."""

    line: int
    col: int  # 0-based, as in ast
    end_line: int
    end_col: int
    kind: str  # "call" | "with" | "iter" | "attr"
    callee: Expr  # what is called / entered / iterated
    text: str  # short source text of the callee, e.g. "requests.get"
    awaited: bool = False
    args: Tuple[Optional[Expr], ...] = ()
    kwargs: Tuple[Tuple[str, Optional[Expr]], ...] = ()
    target: Optional[str] = None  # module-level ``name = call(...)``
    # conditions on the function's own parameters under which this site runs:
    # (param, op, value, holds, chains) with op "startswith" | "in" | "none" | "truthy"; see conditions
    guards: Tuple[Tuple[str, str, Any, bool, Any], ...] = ()


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
    lines: int = 0
    downgraded: bool = False  # parsed through LibCST because the interpreter's parser failed


@dataclass(slots=True)
class SourceFile:
    """A file to check, as discovered."""

    path: str  # absolute
    display: str  # as shown to the user
    explicit: bool = False


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
    text: str  # what is called at this hop


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
    route: Optional[str] = None
    chain: list = field(default_factory=list)  # list[str] qualified names
    hops: list = field(default_factory=list)  # list[ChainHop]
    suggestion: Optional[str] = None
    fix: Optional[str] = None
    api: Optional[str] = None  # the blocking library API at the end of the chain

    def to_json(self) -> dict:
        return {
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
        }
