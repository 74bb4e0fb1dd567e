"""JSON read the guarded way (part of the core): depth, number sizes and control characters.

Every request body goes through :func:`parse_json` (:mod:`souk.http.guard` hands it to the
resolver), and so do pagination cursors (:mod:`souk.db.paging`) and Stripe's signed webhook
bodies. It refuses, as a 400 in the contract's envelope:

- nesting deeper than :data:`MAX_DEPTH`, found by a linear scan of the brackets outside
  strings *before* ``json.loads`` runs (its recursive descent would raise RecursionError
  on 100,000 brackets, a 200 KB body);
- integers longer than :data:`MAX_INT_DIGITS` digits (Python refuses to convert more
  than 4,300 and no field of ours needs more than 30), floats that are not finite or
  longer than :data:`MAX_FLOAT_CHARS`, and ``NaN`` / ``Infinity`` (not JSON);
- control characters in any string or key (:data:`CONTROL_CHARACTERS`: C0 except tab,
  line feed and carriage return, DEL, C1; NUL always). Tabs and newlines are refused by
  single-line fields themselves (:data:`souk.schema.OneLine`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from souk.errors import BadRequest, ValidationFailed

MAX_DEPTH = 32
MAX_INT_DIGITS = 30
MAX_FLOAT_CHARS = 40
MAX_DETAILS = 20
# C0 controls but tab, LF and CR; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A JSON string (unrolled, so linear) or one bracket: what the depth scan looks at.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class _Refused:
    """A number that ``json.loads`` met and the guard refuses; reported with its field after parsing."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return _Refused(f"Numbers have at most {MAX_INT_DIGITS} digits.")
    return int(text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    if len(text) > MAX_FLOAT_CHARS or not math.isfinite(value):
        return _Refused(f"Send a finite number of at most {MAX_FLOAT_CHARS} characters.")
    return value


def _constant(text: str) -> _Refused:
    return _Refused(f"{text} is not a number JSON allows.")


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects deeper than ``limit`` (brackets inside strings ignored)."""
    if text.count("[") + text.count("{") <= limit:  # the common case: no scan at all
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _path(parts: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in parts) or "body"


def _problems(document: Any, *, controls: bool) -> list[dict[str, str]]:
    """Refused numbers and control characters, each with its field (``items.0.quantity``)."""
    found: list[dict[str, str]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack and len(found) < MAX_DETAILS:  # iterative: the depth is bounded, but no recursion needed
        path, value = stack.pop()
        if isinstance(value, _Refused):
            found.append({"field": _path(path), "message": value.reason})
        elif isinstance(value, str):
            if controls and CONTROL_CHARACTERS.search(value):
                found.append({"field": _path(path), "message": "Control characters are not allowed."})
        elif isinstance(value, dict):
            for key, item in value.items():
                if controls and CONTROL_CHARACTERS.search(key):
                    found.append({"field": _path(path), "message": "Control characters are not allowed in keys."})
                    continue
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in reversed(list(enumerate(value))))
    return found


def parse_json(text: str | bytes, *, controls: bool = True) -> Any:
    """The JSON document in ``text``, or a 400 for what the guard refuses.

    Parameters
    ----------
    text
        The body, as text or UTF-8 bytes.
    controls
        Refuse control characters in strings and keys (off for bodies we did not write
        the rules for, such as Stripe's events).

    Raises
    ------
    BadRequest
        Too deep.
    ValidationFailed
        An oversized or non-finite number, or a control character, with the field in ``details``.
    json.JSONDecodeError
        Not JSON at all (the resolver answers it as 400 BAD_REQUEST).
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    if too_deep(text):
        raise BadRequest(f"The body nests deeper than {MAX_DEPTH} levels.")
    document = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    problems = _problems(document, controls=controls)
    if problems:
        raise ValidationFailed(details=problems)
    return document
