"""Powertools Idempotency on the single table: its records, and ``idempotent_call`` for services.

The contract's ``Idempotency-Key`` (POSTs that move money or create orders): a replay with
the same key and body returns the first response; the same key with another body is 409
IDEMPOTENCY_CONFLICT. Keys are scoped to the caller (one customer cannot replay another's
key) and to the operation. While the first request is still running, a concurrent one with
the same key gets 409 CONFLICT with ``Retry-After`` rather than a second order. Records
live 24 hours. Usage in a service::

    return idempotent_call("ORDERS", caller.user_id, key, request, lambda: _checkout(...), OrderOut)

Queue consumers use :func:`idempotency_store` with Powertools' decorators directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from souk.db.base import connection
from souk.errors import Conflict, IdempotencyConflict, ValidationFailed
from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from aws_lambda_powertools.utilities.typing import LambdaContext

T = TypeVar("T", bound=BaseModel)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RECORD_SECONDS = 24 * 3600
_CLIENT_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _store(partition: str, table_name: str, client: Any) -> DynamoDBPersistenceLayer:
    # Deferred for cold start: routes import this module, only requests with a key need it.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=partition,
        # The table's TTL attribute: DynamoDB deletes expired records for free.
        expiry_attr="ttl",
        boto3_client=client,
    )


on_restore(_store.cache_clear)  # SnapStart: no client outlives a restore


def idempotency_store(consumer: str) -> DynamoDBPersistenceLayer:
    """A Powertools idempotency store on the single table, one partition per consumer.

    Records are ``pk = IDEMPOTENCY#<consumer>``, ``sk = <key prefix>#<hash>``, expiring
    through the table's ``ttl`` attribute. They carry no ``entity`` discriminator and no
    GSI keys, so no entity query ever meets them.

    One partition per consumer is a deliberate trade: the records stay out of every
    entity's key space, at the cost of one partition's write ceiling (about 500 records/s
    at two writes each), far above what one consumer sends.

    Parameters
    ----------
    consumer
        Short upper-case name, e.g. ``"NOTIFY"``.
    """
    settings = get_settings()
    # The models' botocore client (same region and endpoint): a boto3 client of its own
    # would cost a session and a client, ~75 ms of CPU on the first keyed request. It is
    # part of the cache key, so pointing the models elsewhere (db.base.configure) follows.
    with _CLIENT_LOCK:  # botocore builds clients thread-unsafely; the runner has threads
        client = connection().client
    return _store(f"IDEMPOTENCY#{consumer}", settings.table_name, client)


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
    # Deferred for cold start: a request without a key never loads Powertools Idempotency.
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

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
