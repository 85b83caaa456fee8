"""Parse files whose syntax is newer than the running interpreter.

The interpreter's parser only knows its own Python version; LibCST's parser
knows every version up to 3.14.  When ``ast.parse`` fails, the file is parsed
with LibCST and lowered to equivalent syntax that the running interpreter
accepts, keeping every line where it was, so that positions stay right:

- PEP 695: ``type X = ...`` becomes ``X = ...``; type parameter lists are dropped;
- PEP 758: ``except A, B:`` becomes ``except (A, B):``;
- PEP 701: an f-string becomes a tuple of its replacement fields (the calls
  inside them are what matters here), padded to keep its line count.

If LibCST cannot parse the file either, the original ``SyntaxError`` is reported.

LibCST's time and memory grow much faster than linearly with nesting (1000
nested calls: minutes and gigabytes), so it is only tried within bounds: not
for errors that are limits of every Python version (too many nested
parentheses, ...), not for files over ``MAX_BYTES``, and not when the
brackets nest deeper than ``MAX_NESTING`` or add up to more than
``MAX_NESTING_WORK`` (the sum, over every opening bracket, of how deep it is;
about 10 µs each).  Within them a file costs at most a few seconds and a few
hundred megabytes; beyond them it is reported as not parsed, with the reason.
"""

from __future__ import annotations

import ast
import re

from ..deep import run_deep
from .summarizer import ParseFailure

MAX_BYTES = 300_000
MAX_NESTING = 100
MAX_NESTING_WORK = 200_000

# limits that no Python version lifts: the newer parser would not succeed either
_LIMITS = ("too many nested parentheses", "too many statically nested blocks", "too many levels of indentation",
           "too deeply nested", "too complex", "too many indentation levels")
_BRACKETS = re.compile(r"[][(){}]")


def lower_to_ast(text: str, original: SyntaxError) -> ast.Module:
    import libcst as cst

    _check_bounds(text, original)
    try:
        module = cst.parse_module(text)
    except Exception:  # LibCST raises ParserSyntaxError, sometimes others on odd input
        raise ParseFailure(_describe(original)) from None
    try:
        lowered = run_deep(module.visit, _Lower(module))  # LibCST's visitor recurses per level
        return ast.parse(lowered.code)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise ParseFailure(_describe(original)) from None


def _check_bounds(text: str, original: SyntaxError) -> None:
    """``ParseFailure`` for a file the parser of newer syntax is not tried on (see the module doc)."""
    msg = str(original.msg or "")
    if any(limit in msg for limit in _LIMITS):
        raise ParseFailure(_describe(original))
    if len(text) > MAX_BYTES:
        raise ParseFailure(f"{_describe(original)} (a file over {MAX_BYTES:,} characters is not tried with the "
                           "parser for newer syntax)")
    depth = deepest = work = 0
    for m in _BRACKETS.finditer(text):  # brackets inside strings count too: a bound, not a parse
        if m.group() in "([{":
            depth += 1
            work += depth
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1
    if deepest > MAX_NESTING or work > MAX_NESTING_WORK:
        raise ParseFailure(f"{_describe(original)} (brackets nest too deeply for the parser for newer syntax: "
                           f"gave up)")


def _describe(exc: SyntaxError) -> str:
    if not exc.lineno:
        return f"syntax error: {exc.msg}"
    where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
    return f"syntax error at {where}: {exc.msg}"


class _Lower:
    """A LibCST transformer, built lazily so that importing this module stays cheap."""

    def __new__(cls, module):
        import libcst as cst

        class Lower(cst.CSTTransformer):
            def leave_TypeAlias(self, original, updated):
                return cst.Assign(
                    targets=[cst.AssignTarget(target=updated.name)],
                    value=updated.value,
                    semicolon=updated.semicolon,
                )

            def leave_FunctionDef(self, original, updated):
                if getattr(updated, "type_parameters", None) is not None:
                    return updated.with_changes(type_parameters=None)
                return updated

            def leave_ClassDef(self, original, updated):
                if getattr(updated, "type_parameters", None) is not None:
                    return updated.with_changes(type_parameters=None)
                return updated

            def leave_ExceptHandler(self, original, updated):
                t = updated.type
                if isinstance(t, cst.Tuple) and not t.lpar:
                    return updated.with_changes(type=t.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
                return updated

            def leave_ExceptStarHandler(self, original, updated):
                return self.leave_ExceptHandler(original, updated)

            def _as_tuple(self, original, strings):
                """A tuple of the replacement fields of f-strings, as many lines long as ``original``."""
                exprs = []
                for string in strings:
                    if isinstance(string, cst.FormattedString):
                        exprs += [p.expression for p in string.parts if isinstance(p, cst.FormattedStringExpression)]
                old_lines = module.code_for_node(original).count("\n")
                new_lines = sum(module.code_for_node(e).count("\n") for e in exprs)
                elements = [cst.Element(e) for e in exprs]
                elements.append(cst.Element(cst.SimpleString('"""' + "\n" * max(old_lines - new_lines, 0) + '"""')))
                return cst.Tuple(elements=elements)

            concat_depth = 0

            def visit_ConcatenatedString(self, node):
                self.concat_depth += 1
                return True

            def leave_ConcatenatedString(self, original, updated):
                self.concat_depth -= 1
                if self.concat_depth:
                    return updated  # the outermost concatenation is replaced whole
                strings, stack = [], [updated]
                while stack:
                    node = stack.pop()
                    if isinstance(node, cst.ConcatenatedString):
                        stack += [node.right, node.left]
                    else:
                        strings.append(node)
                if not any(isinstance(x, cst.FormattedString) for x in strings):
                    return updated
                return self._as_tuple(original, strings)

            def leave_FormattedString(self, original, updated):
                # inner f-strings were already replaced (children are left first)
                if self.concat_depth:
                    return updated
                return self._as_tuple(original, [updated])

        return Lower()
