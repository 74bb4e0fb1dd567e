"""The caller of a route, as a Powertools ``Depends`` dependency.

Routes declare who may call them in their signature::

    @app.get("/api/v1/things/<thing_id>")
    def get_thing(thing_id: str, caller: Annotated[Principal, Depends(require_roles("admin", "customer"))]):
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from aws_lambda_powertools.event_handler import Request

from souk.auth.tokens import verify_access_token
from souk.http.errors import Forbidden, NotFound, Unauthorized

Role = Literal["customer", "store_owner", "courier", "admin"]
ROLES: tuple[Role, ...] = ("customer", "store_owner", "courier", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def bearer_token(request: Request) -> str | None:
    header = request.resolved_event.get_header_value("authorization", default_value="") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticated(request: Request) -> Principal:
    """The signed-in caller; 401 UNAUTHORIZED without credentials, INVALID_TOKEN for a bad token."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    claims = verify_access_token(token)
    return Principal(user_id=claims.user_id, role=claims.role, session_id=claims.session_id)


def require_roles(*roles: Role) -> Callable[[Request], Principal]:
    """A dependency admitting only the given platform roles (403 FORBIDDEN otherwise)."""
    allowed = frozenset(roles)

    def dependency(request: Request) -> Principal:
        principal = authenticated(request)
        if principal.role not in allowed:
            raise Forbidden()
        return principal

    dependency.__name__ = f"require_{'_or_'.join(sorted(allowed))}"
    return dependency


def ensure_owner(principal: Principal, owner_id: str | None) -> None:
    """Another user's resource answers 404, never 403: its existence is not revealed. Admins pass."""
    if principal.is_admin:
        return
    if owner_id is None or owner_id != principal.user_id:
        raise NotFound()
