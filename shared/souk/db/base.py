"""The single table, modelled with PynamoDB.

Every entity is a subclass of :class:`SoukItem` with its own discriminator value, so a
query over a mixed partition returns the right classes. Keys are overloaded:
``pk``/``sk`` for the base table and ``gsi1``..``gsi4`` for secondary access patterns.
Key values are built only in each domain's ``keys`` module (on :func:`souk.db.keys.join`).
Every GSI projects all attributes, the discriminator included. The access patterns are
listed in ``docs/access-patterns.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from souk.settings import get_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


class Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class SoukItem(Model):
    """Base of every entity in the single table."""

    class Meta:
        # Read once at import; tests and the local runner set the environment first.
        table_name = get_settings().table_name
        region = get_settings().region
        host = get_settings().dynamodb_endpoint
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = DiscriminatorAttribute(attr_name="entity")
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utc_now, attr_name="createdAt")
    updated_at = UTCDateTimeAttribute(default=utc_now, attr_name="updatedAt")
    # DynamoDB deletes the item some time after this epoch second (usually within hours).
    expires_at = TTLAttribute(null=True, attr_name="ttl")

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # Every entity lives in this one table with these keys, so one connection serves
        # them all. PynamoDB would otherwise give each model class its own connection, each
        # with its own botocore session and client: ~75 ms of CPU per entity a cold start
        # touches (a cart's first write touched three).
        if cls is not SoukItem:
            return SoukItem._get_connection()
        return super()._get_connection()


class VersionedItem(SoukItem):
    """An entity updated concurrently: every save is conditional on the version it read."""

    version = VersionAttribute()


def all_models() -> list[type[SoukItem]]:
    """SoukItem and every entity class below it (imported so far)."""
    found: list[type[SoukItem]] = []
    pending: list[type[SoukItem]] = [SoukItem]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def configure(*, host: str | None, table_name: str | None = None) -> None:
    """Point every model at another endpoint or table (tests and tools; handlers never call it)."""
    SoukItem.Meta.host = host
    if table_name:
        SoukItem.Meta.table_name = table_name
    for cls in all_models():
        cls._connection = None


def connection() -> Connection:
    """The models' one low-level connection (transactions, the idempotency store).

    A new one would build a new botocore session and client (~75 ms of CPU each).
    ``configure`` resets it with the models.
    """
    return SoukItem._get_connection().connection
