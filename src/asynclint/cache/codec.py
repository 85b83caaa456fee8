"""How cache values are encoded: built-in data as ``marshal`` bytes.

Values are built-in data only: None, booleans, integers, floats, strings,
bytes, tuples, lists, dicts, sets and frozensets, nested.  ``marshal`` is the
interpreter's own binary layout for these types; decoding it builds such
objects and nothing else: it calls no constructor of any class of ours or
the project's, imports nothing and runs no code, unlike pickle.  It keeps
the identity sharing inside a value (an object referenced twice is decoded
once), which the summaries need (see ``summaries``), where msgpack or JSON
would copy it.

Its documentation warns against unmarshalling data from an unauthenticated
source, since malformed bytes may make it fail badly: every value reaches
``loads`` only after the store has checked its HMAC, so only bytes this user
and installation wrote are ever decoded.  Where the interpreter allows it
(3.13+), code objects are refused both ways as well.  The format depends on
the Python version, which is part of every namespace (``VERSION``).
"""

from __future__ import annotations

import marshal
import sys

VERSION = f"marshal{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}"

_NO_CODE = {"allow_code": False} if sys.version_info >= (3, 13) else {}


def dumps(value) -> bytes:
    """``value`` as bytes; ``ValueError`` for anything that is not built-in data."""
    return marshal.dumps(value, marshal.version, **_NO_CODE)


def loads(data):
    """The value ``dumps`` made of these (authenticated) bytes."""
    return marshal.loads(data, **_NO_CODE)
