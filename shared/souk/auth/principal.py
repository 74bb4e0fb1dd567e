"""The caller of a route, as a Powertools ``Depends`` dependency.

Routes declare who may call them in their signature::

    @app.get("/api/v1/things/<thing_id>")
    def get_thing(thing_id: str, caller: Annotated[Principal, Depends(require_roles("admin", "customer"))]):
        ...

:class:`~souk.caller.Principal` itself is a plain value of the core: services take it.
A bearer token costs one consistent GetItem (its session, so logout is immediate; the
session must be the token subject's and its role is the one used); an ``X-Api-Key`` costs
one GetItem (the key, stored hashed, carrying its owner's role), then counting the call in its owner's
usage (a team key's: the team's): one GetItem (the entitlement, for the billing period) and one two-item
transaction. A team key's principal is still its creator, with their role: the team only pays.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from aws_lambda_powertools.event_handler import Request
from pynamodb.exceptions import PynamoDBException

from souk.caller import Principal, Role
from souk.context import current_request_id
from souk.db.transactions import TransactionCancelled
from souk.errors import Forbidden, InvalidToken, SoukError, Unauthorized
from souk.identity.jwt_tokens import verify_access_token
from souk.identity.schemas.sessions import Client
from souk.identity.service.api_keys import resolve_api_key
from souk.identity.service.sessions import active_session
from souk.observability import logger
from souk.plans.service import usage
from souk.plans.service.entitlements import Subscriber

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def origin(request: Request) -> Client:
    """Caller ip and user agent, as API Gateway saw them (a ``Depends`` dependency too)."""
    event = cast("APIGatewayProxyEvent", request.resolved_event)  # every route here sits behind a REST API
    identity = event.request_context.identity
    return Client(ip=identity.source_ip, user_agent=identity.user_agent)


def bearer_token(request: Request) -> str | None:
    header = request.resolved_event.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _from_bearer(token: str, where: Client) -> Principal:
    """The caller of a signed token whose session is live and is the token subject's own.

    The role comes from the session (recorded at sign-in, unchanged by refresh; a role
    change revokes the user's sessions), never from the token's claim: a token signed
    with a stolen key still needs a live session of that user, and carries that
    session's role whatever its ``role`` claim says.
    """
    claims = verify_access_token(token)
    session = active_session(claims.session_id)
    if session is None or session.user_id != claims.user_id:
        raise InvalidToken()
    return Principal(claims.user_id, session.role, claims.session_id, ip=where.ip, user_agent=where.user_agent)


def _from_api_key(key: str, where: Client) -> Principal:
    found = resolve_api_key(key)
    if found is None:
        raise InvalidToken("The API key is invalid or revoked.")
    _count_call(Subscriber("team", found.team_id) if found.team_id else Subscriber("user", found.user_id), found.key_id)
    return Principal(found.user_id, found.role, None, api_key_id=found.key_id, ip=where.ip, user_agent=where.user_agent)


def _count_call(subscriber: Subscriber, key_id: str) -> None:
    """The call in its owner's (a team key's: the team's) usage of the billing period, once per request id
    (souk.plans.service.usage).

    Best effort: usage is shown, not billed, so a count that cannot be written never fails the request.
    """
    try:
        request_id = current_request_id.get()
        if request_id == "-":  # outside a request (no id set): counted, not deduplicated
            request_id = uuid.uuid4().hex
        usage.count_api_call(subscriber, key_id, request_id)
    except (PynamoDBException, TransactionCancelled, SoukError) as error:
        logger.warning("api call not counted", extra={"key_id": key_id, "error_type": type(error).__name__})


def optional_principal(request: Request) -> Principal | None:
    """The caller when credentials are sent (bad ones are still 401), else None."""
    where = origin(request)
    token = bearer_token(request)
    if token is not None:
        return _from_bearer(token, where)
    api_key = request.resolved_event.headers.get("x-api-key")
    if api_key:
        return _from_api_key(api_key, where)
    return None


def authenticated(request: Request) -> Principal:
    """The signed-in caller; 401 UNAUTHORIZED without credentials, INVALID_TOKEN for bad ones."""
    principal = optional_principal(request)
    if principal is None:
        raise Unauthorized()
    return principal


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
