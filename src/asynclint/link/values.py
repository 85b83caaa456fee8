"""What an expression of a summary stands for, once the whole project is known.

A summary records expressions symbolically (``model.Expr``: "the global
``get_db``", "the result of calling ``requests.Session``"); ``link`` evaluates
them against every module and the catalog to one of these values, or to
``None`` when it cannot tell. They are small immutable records, compared by
value and matched with ``match``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union


@dataclass(frozen=True, slots=True)
class Sym:
    """A global name by its qualified name: a module, function or class, of the project or a library."""

    name: str


@dataclass(frozen=True, slots=True)
class Inst:
    """An instance of the class ``type`` (qualified name, project or library)."""

    type: str


@dataclass(frozen=True, slots=True)
class Meth:
    """The method ``name`` bound to an instance of ``type``."""

    type: str
    name: str


@dataclass(frozen=True, slots=True)
class IterOf:
    """Something iterated for ``item`` (a sequence, what a sync generator function returns);
    ``generator`` is the project generator function whose body runs while it is iterated."""

    item: Optional["Value"]
    generator: Optional[str] = None


@dataclass(frozen=True, slots=True)
class MapOf:
    """A mapping whose values are ``value`` (``Dict[str, Client]``)."""

    value: "Value"


@dataclass(frozen=True, slots=True)
class MapItem:
    """A mapping's ``get``/``pop``/``setdefault``/``__getitem__``: calling it gives ``value``."""

    value: "Value"


@dataclass(frozen=True, slots=True)
class MapValues:
    """A mapping's ``values``: calling it gives something iterated for ``value``."""

    value: "Value"


@dataclass(frozen=True, slots=True)
class TypeAlias:
    """A name standing for a type annotation (``DB = Annotated[Session, Depends(get_db)]``)."""

    value: Optional["Value"]


@dataclass(frozen=True, slots=True)
class Super:
    """``super()`` inside a method of ``cls``: attributes are looked up after ``cls`` in its MRO."""

    cls: str


Value = Union[Sym, Inst, Meth, IterOf, MapOf, MapItem, MapValues, TypeAlias, Super]

# in-memory file objects: a reader or archive over one of these does no I/O
MEMORY_BUFFERS = (Inst("io.BytesIO"), Inst("io.StringIO"))
# a spooled temporary file stays in memory until more than its max_size is written to it
SPOOLED = Inst("tempfile.SpooledTemporaryFile")


def in_memory(expr, value) -> bool:
    """Is ``value``, what ``expr`` evaluates to, an in-memory file: an ``io.BytesIO`` or ``io.StringIO``,
    or a spooled temporary file that ``expr`` makes right there (``SpooledTemporaryFile(...)``, also
    bound to a local or by ``with``)? Not one handed in (an upload's ``.file``, a parameter): it may
    already have rolled over to disk."""
    if value in MEMORY_BUFFERS:
        return True
    return value == SPOOLED and expr is not None and (expr[0] == "c" or expr[0] == "en" and expr[1][0] == "c")


def qualified_callable(v) -> Optional[str]:
    """The qualified name a called value stands for: ``requests.get``, ``redis.Redis.get``."""
    match v:
        case Sym(name):
            return name
        case Meth(t, name):
            return f"{t}.{name}"
    return None
