"""``Depends`` dependencies that read what a service needs from the request, as plain values.

Services never take the Powertools ``Request``: a route declares one of these and hands
the service what it returns (the caller is :mod:`souk.auth.principal`'s).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, cast

from aws_lambda_powertools.event_handler import Request

from souk.errors import BadRequest
from souk.settings import get_settings
from souk.webhooks.schemas import Delivery  # not the service: public_base_url's users would load it all

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def public_base_url(request: Request) -> str:
    """The API's public base URL (OAuth callbacks): the setting, else from the request.

    In AWS the request's ``requestContext.path`` carries what precedes the route path as the
    client sees it (``/dev`` on the execute-api host, nothing on a custom domain). Locally
    the runner serves routes at the root, over plain HTTP.
    """
    settings = get_settings()
    if settings.public_api_url:
        return settings.public_api_url.rstrip("/")
    event = cast("APIGatewayProxyEvent", request.resolved_event)  # the REST resolver's event type
    host = event.headers.get("host") or "localhost"
    if settings.is_local:
        return f"http://{host}"
    full_path = event.request_context.path or event.path
    prefix = full_path[: -len(event.path)] if full_path.endswith(event.path) else ""
    return f"https://{host}{prefix}"


def stripe_delivery(request: Request) -> Delivery:
    """The raw body and ``Stripe-Signature`` of a webhook request: never re-serialized JSON."""
    event = request.resolved_event
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise BadRequest("The webhook body is not valid base64.") from error
    else:
        raw = body.encode("utf-8")
    return Delivery(raw=raw, signature=event.headers.get("stripe-signature"))
