"""Read the tests a function makes (``if`` conditions, early returns) as guards, and what it stores
as facts (see ``analyze.conditions`` for what they mean).

Subjects are the function's parameters (``"name"``, also through a local
that aliases one: ``_engine = db_engine``), one attribute of a parameter or
of the receiver (``"self.content"``; ``self`` always names a method's
receiver), and environment variables (``"env:KEY"`` for ``"KEY" in
os.environ``, ``os.environ.get("KEY")``, ``os.getenv("KEY")``). Tests on a
module-level dict literal (``key in MESSAGES``) compare with its keys; a call
to a function of the module that only returns a test (``def is_sim():
return "SIM" in os.environ``) is that test.
"""

from __future__ import annotations

import ast
from typing import Optional

from .memo import flatten

RAW = frozenset({()})
MAX_DISJUNCTS = 4  # ``a or b or c or d``: more ways than these and the test is not read
_ENV_GETTERS = {("os", "getenv"), ("environ", "get")}


def chains_of(binding, name: str):
    """If ``binding`` still holds the parameter ``name``, possibly through string normalisations
    (``x = x.replace("os.environ/", "")`` in some branch): the alternative chains of those
    normalisations, ``RAW`` for the parameter as passed; else None."""
    kind = binding[0]
    if kind == "p" or kind == "alt" and binding[2] == ("p", name):
        return RAW if (binding[1] if kind == "p" else name) == name else None
    if kind == "derive":
        inner = chains_of(binding[1], name)
        return None if inner is None else frozenset(c + ((binding[2], binding[3]),) for c in inner)
    if kind == "either":
        a, b = chains_of(binding[1], name), chains_of(binding[2], name)
        return None if a is None or b is None else a | b
    return None


def aliased_parameter(binding) -> Optional[str]:
    """The parameter a local was bound to unchanged (``_engine: Optional[Engine] = db_engine``)."""
    while binding[0] == "alt":
        binding = binding[2]
    return binding[1] if binding[0] == "p" else None


def str_values(node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return tuple(e.value for e in node.elts)
    return None


def type_names(node: ast.AST):
    """``str`` / ``(str, pathlib.PurePath)`` in ``isinstance(x, ...)``: the classes' last names."""
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    out = []
    for e in elts:
        if isinstance(e, ast.Name):
            out.append(e.id)
        elif isinstance(e, ast.Attribute):
            out.append(e.attr)
        else:
            return None
    return tuple(out) or None


def dict_literal_keys(tree: ast.Module) -> dict:
    """Module-level ``NAME = {"literal": ..., ...}`` dicts with string keys: name -> keys."""
    out = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            keys = stmt.value.keys
            if keys and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys):
                for t in targets:
                    if isinstance(t, ast.Name):
                        out[t.id] = tuple(k.value for k in keys)
    return out


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)
            and node.value.id == "os") or (isinstance(node, ast.Name) and node.id == "environ")


def env_key(node: ast.AST) -> Optional[str]:
    """``os.environ.get("K")`` / ``os.getenv("K")`` / ``os.environ["K"]``: the variable read."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str) and isinstance(node.func, ast.Attribute):
        f = node.func
        owner = f.value.attr if isinstance(f.value, ast.Attribute) else f.value.id if isinstance(f.value, ast.Name) else ""
        if (owner, f.attr) in _ENV_GETTERS and (f.attr == "getenv" or _is_environ(f.value)):
            return node.args[0].value
    if isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.slice, ast.Constant) \
            and isinstance(node.slice.value, str):
        return node.slice.value
    return None


class GuardReader:
    """Guards and facts in the current function of a summarizer (``summarizer._Summarizer``)."""

    def __init__(self, summarizer):
        self.s = summarizer
        self.dict_keys: dict = {}

    # ------------------------------------------------------------- subjects
    def subject(self, node: ast.AST):
        """(subject, chains) for an expression naming a parameter, an attribute of one or the
        receiver, or an environment variable; else None."""
        sc = self.s.current_function()
        if sc is None:
            key = env_key(node)
            return (f"env:{key}", RAW) if key is not None else None
        if isinstance(node, ast.Name):
            if node.id in sc.params:
                chains = chains_of(self.s.lookup(node.id), node.id)
                return (node.id, chains) if chains is not None else None
            bound = sc.bindings.get(node.id)
            if bound is not None:
                param = aliased_parameter(bound)
                if param is not None and param in sc.params and \
                        chains_of(self.s.lookup(param), param) == RAW:
                    return param, RAW
            return None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = self.s.lookup(node.value.id)
            if base[0] in ("self", "cls"):
                param = sc.aliases.get(f"self.{node.attr}")
                if param is not None and chains_of(self.s.lookup(param), param) == RAW:
                    return param, RAW  # self.x = x earlier in this function: the parameter itself
                return f"self.{node.attr}", RAW
            if node.value.id in sc.params and chains_of(base, node.value.id) == RAW:
                return f"{node.value.id}.{node.attr}", RAW
            return None
        key = env_key(node)
        if key is not None:
            return f"env:{key}", RAW
        return None

    # --------------------------------------------------------------- guards
    def guards_of(self, test: ast.AST, holds: bool) -> list:
        """The guards that ``test`` being ``holds`` implies."""
        t = type(test)
        if t is ast.UnaryOp and isinstance(test.op, ast.Not):
            return self.guards_of(test.operand, not holds)
        if t is ast.BoolOp:
            # a and b true -> both true; a or b false -> both false
            if isinstance(test.op, ast.And) == holds:
                return [g for v in test.values for g in self.guards_of(v, holds)]
            # a or b true (a and b false) -> one of them: a guard of its own when each is known
            if len(test.values) > MAX_DISJUNCTS:
                return []
            disjuncts = []
            for v in test.values:
                inner = self.guards_of(v, holds)
                if not inner or any(g[1] in ("any", "pred") for g in inner):
                    return []  # one way it may hold is not known: it says nothing
                disjuncts.append(tuple(inner))
            return [("", "any", tuple(disjuncts), True, RAW)]
        if t is ast.NamedExpr:
            return self.guards_of(test.value, holds)
        if t is ast.Call and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
                and len(test.args) == 1:
            found, values = self.subject(test.func.value), str_values(test.args[0])
            return [(found[0], "startswith", values, holds, found[1])] if found and values else []
        if t is ast.Call and isinstance(test.func, ast.Name) and test.func.id == "isinstance" and len(test.args) == 2:
            found, types = self.subject(test.args[0]), type_names(test.args[1])
            return [(found[0], "isinstance", types, holds, found[1])] if found and types else []
        if t is ast.Call and not test.args and not test.keywords and _plain_function(test.func):
            # a predicate function (``helpers.is_simulation()``): resolved when linked, see predicate_of
            return [("pred", "pred", self.s.expr(test.func), holds, RAW)]
        if t is ast.Compare and len(test.ops) == 1:
            return self._compare(test.left, test.ops[0], test.comparators[0], holds)
        found = self.subject(test)
        return [(found[0], "truthy", None, holds, found[1])] if found else []

    def _compare(self, left, op, right, holds: bool) -> list:
        if isinstance(op, (ast.In, ast.NotIn)) and _is_environ(right) and isinstance(left, ast.Constant) \
                and isinstance(left.value, str):
            return [(f"env:{left.value}", "truthy", None, holds == isinstance(op, ast.In), RAW)]
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(left, ast.Constant) and isinstance(left.value, str):
            # ``":memory:" in url``: the text contains it
            found = self.subject(right)
            return [(found[0], "contains", (left.value,), holds == isinstance(op, ast.In), found[1])] if found \
                else []
        found = self.subject(left)
        if found is None:
            return []
        subject, chains = found
        if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and right.value is None:
            return [(subject, "none", None, holds == isinstance(op, ast.Is), chains)]
        if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and type(right.value) is bool:
            # ``local_only is False``: the flag is that very object (a literal 0 or 1 passed is not)
            return [(subject, "in", (right.value,), holds == isinstance(op, ast.Is), chains)]
        if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, ast.Constant) and isinstance(right.value, str):
            return [(subject, "in", (right.value,), holds == isinstance(op, ast.Eq), chains)]
        if isinstance(op, (ast.In, ast.NotIn)):
            values = str_values(right)
            sc = self.s.current_function()
            if values is None and isinstance(right, ast.Name) and right.id in self.dict_keys \
                    and (sc is None or right.id not in sc.bindings):
                values = self.dict_keys[right.id]
            if values is not None:
                return [(subject, "in", values, holds == isinstance(op, ast.In), chains)]
        return []

    def predicate_of(self, node) -> tuple:
        """``def is_simulation(): return "SIM" in os.environ``: the guards a call to it stands for."""
        if node.args.args or node.args.kwonlyargs or node.args.vararg or node.args.kwarg:
            return ()
        body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            guards = self.guards_of(body[0].value, True)
            if len(guards) == 1 and guards[0][0].startswith("env:"):
                return tuple(guards)
        return ()

    def parameter_stored(self, target: ast.AST, value: Optional[ast.AST]):
        """``self.x = x`` with ``x`` a parameter as passed: ("self.x", "x")."""
        sc = self.s.current_function()
        if sc is None or not isinstance(target, ast.Attribute) or not isinstance(target.value, ast.Name) \
                or not isinstance(value, ast.Name) or value.id not in sc.params:
            return None
        if self.s.lookup(target.value.id)[0] not in ("self", "cls"):
            return None
        if chains_of(self.s.lookup(value.id), value.id) != RAW:
            return None
        return f"self.{target.attr}", value.id

    # ---------------------------------------------------------------- facts
    def facts_of_store(self, target: ast.AST, value: Optional[ast.AST]) -> list:
        """What storing ``value`` into ``target`` tells about a subject: [(subject, fact)]."""
        out = []
        for tgt in flatten(target):
            found = None
            if isinstance(tgt, ast.Attribute):
                found = self.subject(tgt)
            elif isinstance(tgt, ast.Subscript):
                key = env_key(tgt)
                found = (f"env:{key}", RAW) if key is not None else None
            if found is None:
                continue
            subject = found[0]
            if value is None or isinstance(target, (ast.Tuple, ast.List)):
                out.append((subject, (subject, "dirty", None, True, RAW)))
            elif isinstance(value, ast.Constant):
                if subject.startswith("env:"):
                    out.append((subject, (subject, "truthy", None, bool(value.value), RAW)))
                elif value.value is None:
                    out.append((subject, (subject, "none", None, True, RAW)))
                else:
                    out.append((subject, (subject, "none", None, False, RAW)))
            elif isinstance(value, (ast.Call, ast.Dict, ast.List, ast.Set, ast.Tuple, ast.JoinedStr, ast.Lambda)) \
                    and not subject.startswith("env:"):
                # a constructed object (a call may still return None: only constructors count)
                constructed = not isinstance(value, ast.Call) or _looks_like_constructor(value.func)
                out.append((subject, (subject, "none", None, False, RAW) if constructed
                            else (subject, "dirty", None, True, RAW)))
            else:
                out.append((subject, (subject, "dirty", None, True, RAW)))
        return out


def _plain_function(func: ast.AST) -> bool:
    """``name`` or ``module.name`` (not a method of a local object)."""
    if isinstance(func, ast.Name):
        return True
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id[:1].islower()


def _looks_like_constructor(func: ast.AST) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name[:1].isupper()
