"""The catalog's file format, checked: a misspelt table, key or category is an error.

``check_file(name, data)`` raises ``CatalogError("requests.toml:
types.\"requests.Session\".metods: unknown key ...")`` for anything the
loader would otherwise ignore. The format is described in
docs/catalog-format.md.
"""

from __future__ import annotations

import re

from ..categories import BY_NAME


class CatalogError(Exception):
    pass


# a value's expected shape: a Python type, a (list, item type) pair, or a (dict, value type) pair
_STR_LIST = (list, str)
_STR_MAP = (dict, str)

_ENTRY = {"category": "category", "replacement": str, "message": str, "transitive": bool, "unless": "conditions",
          "lazy": bool}
_META = {"library": str, "pypi": _STR_LIST, "category": "category", "replacement": str}
_TYPE = {
    "aliases": _STR_LIST, "methods": "methods", "safe": _STR_LIST, "fluent": _STR_LIST, "returns": _STR_MAP,
    "attributes": _STR_MAP, "items": str, "call": str, "with": bool, "iter": bool, "enter": str, "element": str,
    "category": "category", "replacement": str, "overrides": "overrides", "properties": _STR_LIST,
    "variants": "variants", "wraps-file": bool, "memory-safe": _STR_LIST,
    "own-loop": bool, "async-subclass": str,
}
_VARIANT = {"when": "conditions", "safe": _STR_LIST, "blocks": _STR_LIST, "inert": bool}
_CONDITION_OPS = ("is", "missing", "names", "prefix")
_ASYNC = {"types": _STR_LIST, "functions": _STR_LIST}
_TEMPLATE = re.compile(r"\{([A-Za-z_]*)\}")  # a placeholder in a replacement text
_TEMPLATE_FIELDS = ("type", "method")


def check_file(name: str, data: dict) -> None:
    for table, value in data.items():
        where = table
        if table == "meta":
            _check_keys(name, where, value, _META)
        elif table == "functions":
            _check_named(name, where, value, _ENTRY, quoted=True)
            for key, spec in value.items():
                _check_template(name, f'{where}."{key}".replacement', spec.get("replacement", ""), ())
        elif table == "types":
            _check_named(name, where, value, _TYPE, quoted=True)
            for key, spec in value.items():
                # a with/iter entry has no method to name
                fields = ("type",) if spec.get("with") or spec.get("iter") else _TEMPLATE_FIELDS
                _check_template(name, f'{where}."{key}".replacement', spec.get("replacement", ""), fields)
                for method, over in (spec.get("overrides") or {}).items():
                    _check_template(name, f'{where}."{key}".overrides.{method}.replacement',
                                    over.get("replacement", ""), _TEMPLATE_FIELDS)
        elif table == "async":
            _check_keys(name, where, value, _ASYNC)
        elif table == "returns":
            for key, target in _table(name, where, value).items():
                # a type, or a table: the first argument's type -> the result ("*": any other argument)
                _check_value(name, f'{where}."{key}"', target, str if not isinstance(target, dict) else _STR_MAP)
        elif table in ("decorators", "stubs", "objects"):
            _check_value(name, where, value, _STR_MAP)
        elif table == "offloaders":
            _check_value(name, where, value, (dict, int))
        else:
            raise CatalogError(f"{name}: unknown table [{table}] (meta, functions, returns, types, async, "
                               "offloaders, decorators, stubs, objects)")


def _check_template(name: str, where: str, text: str, fields: tuple) -> None:
    """A replacement names the call's own method and type only as ``{method}`` / ``{type}``, and only
    where there is one (a type's methods; see catalog.fill_replacement)."""
    for field in _TEMPLATE.findall(text):
        if field not in fields:
            allowed = f"only {', '.join('{' + f + '}' for f in fields)}" if fields else "none"
            raise CatalogError(f"{name}: {where}: unknown placeholder {{{field}}} ({allowed} here)")


def _check_named(name: str, where: str, value, known: dict, quoted: bool = False) -> None:
    """A table of named specs (entries, types, methods, variants), each with the keys ``known``."""
    for key, spec in _table(name, where, value).items():
        _check_keys(name, f'{where}."{key}"' if quoted else f"{where}.{key}", spec, known)


def _table(name: str, where: str, value) -> dict:
    if not isinstance(value, dict):
        raise CatalogError(f"{name}: {where} must be a table")
    return value


def _check_keys(name: str, where: str, spec, known: dict) -> None:
    for key, value in _table(name, where, spec).items():
        if key not in known:
            raise CatalogError(f"{name}: {where}.{key}: unknown key (one of {', '.join(known)})")
        _check_value(name, f"{where}.{key}", value, known[key])


def _check_value(name: str, where: str, value, shape) -> None:
    if shape == "category":
        if value not in BY_NAME:
            raise CatalogError(f"{name}: {where}: unknown category {value!r} (one of {', '.join(BY_NAME)})")
    elif shape == "methods":
        if value != "*":
            _check_value(name, where, value, _STR_LIST)
    elif shape == "conditions":
        if not isinstance(value, list):
            raise CatalogError(f"{name}: {where} must be a list of conditions")
        for i, cond in enumerate(value):
            here = f"{where}[{i}]"
            cond = _table(name, here, cond)
            ops = [k for k in cond if k in _CONDITION_OPS]
            unknown = [k for k in cond if k not in _CONDITION_OPS and k != "arg"]
            if unknown:
                raise CatalogError(f"{name}: {here}.{unknown[0]}: unknown key (arg, is, missing, names, prefix)")
            if not isinstance(cond.get("arg"), str) or len(ops) != 1:
                raise CatalogError(f"{name}: {here}: needs arg = \"name@position\" and one of is, missing, names, "
                                   "prefix")
            if "prefix" in cond and not (isinstance(cond["prefix"], list) and cond["prefix"]
                                         and all(isinstance(x, str) and x for x in cond["prefix"])):
                raise CatalogError(f"{name}: {here}.prefix must be a list of non-empty strings")
            arg_name, _, pos = cond["arg"].partition("@")
            if not arg_name or pos and not pos.isdigit():
                raise CatalogError(f"{name}: {here}.arg: {cond['arg']!r} is not name or name@position")
    elif shape == "variants":
        _check_named(name, where, value, _VARIANT)
    elif shape == "overrides":
        _check_named(name, where, value, _ENTRY)
    elif isinstance(shape, tuple):
        container, item = shape
        if not isinstance(value, container):
            raise CatalogError(f"{name}: {where} must be a {'list' if container is list else 'table'}")
        for v in value if container is list else value.values():
            if not isinstance(v, item):
                raise CatalogError(f"{name}: {where}: {v!r} is not a {item.__name__}")
    elif not isinstance(value, shape):
        raise CatalogError(f"{name}: {where} must be a {shape.__name__}")
