"""The values a string argument of a call can take, read from the source (AST), for declaration tests.

``audit.record(actor, "order.cancel", ...)`` gives ``"order.cancel"``; an argument that is a
variable is followed: to its assignments in the function (``action = "a" if x else "b"``), or,
when it is a parameter of the enclosing function, to that function's callers in the module
(``_commit(cart, actor, "cart.merge")``). What cannot be followed is reported, so a test
fails on it rather than skipping it: a declared value must be readable in the code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Found:
    where: str  # path:line of the call
    value: str | None  # None: not readable from the source


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


class _Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def values(self, expr: ast.expr, depth: int = 0) -> list[str | None]:
        """Every string ``expr`` can be; None for a part that cannot be read."""
        if depth > 5:
            return [None]
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [expr.value]
        if isinstance(expr, ast.IfExp):
            return self.values(expr.body, depth + 1) + self.values(expr.orelse, depth + 1)
        if not isinstance(expr, ast.Name):
            return [None]
        function = self.function_of(expr)
        if function is None:
            return [None]
        assigned = [node.value for node in ast.walk(function) if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)]  # fmt: skip
        if assigned:
            return [v for value in assigned for v in self.values(value, depth + 1)]
        positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        keyword_only = [a.arg for a in function.args.kwonlyargs]
        if expr.id not in positional + keyword_only:
            return [None]
        position = positional.index(expr.id) if expr.id in positional else 10_000
        callers = [
            node for node in ast.walk(self.tree) if isinstance(node, ast.Call) and _called(node) == function.name
        ]
        found: list[str | None] = []
        for call in callers:
            argument = _argument(call, position, expr.id)
            found += [None] if argument is None else self.values(argument, depth + 1)
        return found or [None]


def string_arguments(names: set[str], position: int, keyword: str, *, under: str = "shared",
                     skip: tuple[str, ...] = ()) -> Iterator[Found]:  # fmt: skip
    """For every call of a function named in ``names`` below ``under``: each value its argument can take."""
    for path in sorted((ROOT / under).rglob("*.py")):
        if any(str(path.relative_to(ROOT)).startswith(prefix) for prefix in skip):
            continue
        module = _Module(path)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and _called(node) in names:
                argument = _argument(node, position, keyword)
                for value in [None] if argument is None else module.values(argument):
                    yield Found(module.where(node), value)
