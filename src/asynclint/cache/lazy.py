"""What the objects read back from a cache with some fields left encoded share.

A slotted dataclass subclass leaves a field unset until it is first read
(``__getattr__`` runs only for an unset slot, and then sets it): ``is_set``
tells whether that happened without setting it, and ``equal_fields`` makes
such an object equal to the plain dataclass with the same fields (the
generated ``__eq__`` compares only objects of the very same class).
"""

from __future__ import annotations


def is_set(obj, name: str) -> bool:
    """Has slot ``name`` of ``obj`` a value (without decoding it)?"""
    try:
        object.__getattribute__(obj, name)
    except AttributeError:
        return False
    return True


def equal_fields(obj, other, base: type, fields: tuple):
    """``obj == other`` for an ``obj`` whose class derives from dataclass ``base`` (``fields``: its
    field names)."""
    if not isinstance(other, base):
        return NotImplemented
    return all(getattr(obj, name) == getattr(other, name) for name in fields)
