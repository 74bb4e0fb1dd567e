"""The privacy hooks: every ``souk/<domain>/privacy.py``, found by :func:`souk.registry.declaring`.

A hook declares (interfaces, section 3)::

    ORDER: int                                                   # erase order, lower first
    def export(user_id, cursor) -> tuple[list[dict], str | None]  # one bounded page of the user's items
    def erase(user_id, cursor) -> str | None                      # one bounded, idempotent step

Identity's hook runs last (it anonymises the user item and frees the email). The reader names no
domain: a domain joins the export and the erasure by adding its module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from souk.registry import declaring

if TYPE_CHECKING:
    from types import ModuleType


class Hook(Protocol):
    ORDER: int

    def export(self, user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]: ...

    def erase(self, user_id: str, cursor: str | None) -> str | None: ...


@dataclass(frozen=True)
class Declared:
    name: str  # the domain: souk.<name>.privacy
    order: int
    hook: Hook


def ordered(modules: tuple[ModuleType, ...]) -> list[Declared]:
    """The hooks by (ORDER, domain name): a stable order, whatever the file system lists first."""
    found = [Declared(m.__name__.split(".")[1], int(m.ORDER), cast("Hook", m)) for m in modules]
    return sorted(found, key=lambda d: (d.order, d.name))


def hooks() -> list[Declared]:
    return ordered(declaring("privacy"))


def next_step(steps: list[str], current: str | None) -> str | None:
    """The hook after ``current`` in ``steps`` (the first when None); None after the last.

    A saved step no longer declared (a release removed it) resumes at the first declared hook
    not yet done: the caller passes the remaining ones.
    """
    if current is None:
        return steps[0] if steps else None
    if current not in steps:
        return steps[0] if steps else None
    at = steps.index(current)
    return steps[at + 1] if at + 1 < len(steps) else None
