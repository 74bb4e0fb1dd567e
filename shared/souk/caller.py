"""Who is calling, as plain values every domain takes (part of the core).

:class:`Principal` is the authenticated caller that ``souk.auth.principal``'s ``Depends``
resolvers build from a request; services take it and never see the request.
:class:`Actor` is who did something, as the audit log records it (a principal, a guest,
Stripe, a job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from souk.errors import NotFound

Role = Literal["customer", "store_owner", "courier", "admin"]
ROLES: tuple[Role, ...] = ("customer", "store_owner", "courier", "admin")


@dataclass(frozen=True)
class Actor:
    """Who did something, as the audit log records it."""

    user_id: str
    role: str | None = None
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Principal:
    """The signed-in caller of a route: a user with a session, or an API key's owner."""

    user_id: str
    role: str
    session_id: str | None
    api_key_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> Actor:
        """The principal as the audit log records it."""
        return Actor(user_id=self.user_id, role=self.role, ip=self.ip, user_agent=self.user_agent)


def ensure_owner(principal: Principal, owner_id: str | None) -> None:
    """Another user's resource answers 404, never 403: its existence is not revealed. Admins pass."""
    if principal.is_admin:
        return
    if owner_id is None or owner_id != principal.user_id:
        raise NotFound()
