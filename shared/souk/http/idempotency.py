"""``Idempotency-Key`` for POSTs that move money or create orders (Powertools Idempotency).

The contract: a replay with the same key and body returns the first response; the same
key with another body is 409 IDEMPOTENCY_CONFLICT. Keys are scoped to the caller (one
customer cannot replay another's key) and to the route. While the first request is still
running, a concurrent one with the same key gets 409 CONFLICT with ``Retry-After``
rather than a second order. Records live 24 hours on the single table.

Usage in a service::

    return idempotent_call("ORDERS", caller.user_id, key, request, lambda: _checkout(...), OrderOut)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel

from souk.errors import Conflict, IdempotencyConflict, ValidationFailed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

T = TypeVar("T", bound=BaseModel)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RECORD_SECONDS = 24 * 3600

# The header as a route parameter, so the OpenAPI document declares it; check_key validates it.
IdempotencyKey = Annotated[
    str | None,
    Header(alias=HEADER, description="Any unique string per intended operation; a retry replays the first answer "
                                     "for 24 hours."),
]  # fmt: skip


def check_key(key: str | None) -> str | None:
    """A usable key or None; a blank or oversized one is a 400 on the header."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.field(HEADER, f"Send 1 to {MAX_KEY_LENGTH} printable characters.")
    return key


def idempotent_call(scope: str, caller_id: str, key: str | None, request: BaseModel, run: Callable[[], T],
                    result_type: type[T], *, context: LambdaContext | None = None) -> T:  # fmt: skip
    """``run()`` once per ``(scope, caller, key)``; replays get its stored result.

    Without a key ``run()`` simply runs. ``request`` is the parsed body: its JSON is what a
    replay must match. ``context`` (the Lambda context) bounds how long an interrupted
    first attempt blocks the key.
    """
    key = check_key(key)
    if key is None:
        return run()
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    from souk.db.idempotency import idempotency_store

    config = IdempotencyConfig(event_key_jmespath="[caller, key]", payload_validation_jmespath="body",
                               raise_on_no_idempotency_key=True, expires_after_seconds=RECORD_SECONDS)  # fmt: skip
    if context is not None:
        config.register_lambda_context(context)

    @idempotent_function(data_keyword_argument="data", persistence_store=idempotency_store(scope), config=config,
                         output_serializer=PydanticSerializer(model=result_type))  # fmt: skip
    def once(data: dict[str, Any]) -> T:
        return run()

    try:
        return once(data={"caller": caller_id, "key": key, "body": request.model_dump(mode="json")})
    except IdempotencyValidationError as error:
        raise IdempotencyConflict("This Idempotency-Key was used with a different request body.") from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.",
                       headers={"Retry-After": "1"}) from error  # fmt: skip
