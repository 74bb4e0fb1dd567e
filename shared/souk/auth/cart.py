"""Who a cart route acts for, as Powertools ``Depends`` dependencies.

A cart route acts on the signed-in caller's own cart, or on a guest cart named by the
``X-Cart-Token`` header (a purpose token that :func:`souk.cart.service.carts.create_guest_cart`
issued). These read the request; the cart service takes the
:class:`~souk.cart.service.carts.CartOwner` or :class:`~souk.cart.service.carts.MergeParties`
they build.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Request

from souk.auth.principal import optional_principal, origin, require_roles
from souk.cart.schemas import CART_TOKEN_HEADER
from souk.cart.service.carts import CART_TOKEN_PURPOSE, CartOwner, MergeParties
from souk.errors import Unauthorized, ValidationFailed
from souk.identity.jwt_tokens import verify_purpose_token


def _cart_token_subject(request: Request) -> str | None:
    token = request.resolved_event.headers.get(CART_TOKEN_HEADER.lower())
    if not token:
        return None
    return str(verify_purpose_token(token.strip(), CART_TOKEN_PURPOSE)["sub"])


def cart_owner(request: Request) -> CartOwner:
    """A ``Depends`` dependency: the caller's own cart when signed in, else the cart token's guest cart.

    No credentials and no token: 401 UNAUTHORIZED; a bad or expired token: 401 INVALID_TOKEN.
    """
    client = origin(request)
    principal = optional_principal(request)
    if principal is not None:
        return CartOwner(principal.user_id, principal, client)
    cart_id = _cart_token_subject(request)
    if cart_id is None:
        raise Unauthorized(f"Sign in, or send the {CART_TOKEN_HEADER} of a guest cart.")
    return CartOwner(cart_id, None, client)


def merge_parties(request: Request) -> MergeParties:
    """A ``Depends`` dependency for the merge: a customer (401/403 first) and a guest cart token (400 without)."""
    principal = require_roles("customer")(request)
    cart_id = _cart_token_subject(request)
    if cart_id is None:
        raise ValidationFailed.field(CART_TOKEN_HEADER, "Send the guest cart's token to merge it.")
    return MergeParties(principal, cart_id)
