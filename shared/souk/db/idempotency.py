"""Powertools Idempotency records on the single table (queue consumers and idempotent routes)."""

from __future__ import annotations

import threading
from functools import lru_cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from souk.settings import get_settings
from souk.snapstart import on_restore

_CLIENT_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _store(partition: str, table_name: str, region: str, endpoint: str | None) -> DynamoDBPersistenceLayer:
    import boto3

    # boto3's default session is not thread-safe, and the local runner runs workers in threads.
    with _CLIENT_LOCK:
        client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint)
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
    return _store(f"IDEMPOTENCY#{consumer}", settings.table_name, settings.region, settings.dynamodb_endpoint)
