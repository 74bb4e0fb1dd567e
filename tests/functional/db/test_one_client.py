"""Every entity, transaction and idempotency record goes through one DynamoDB client.

PynamoDB gives each model class a connection of its own, each with its own botocore
session and client (~75 ms of CPU to build on a cold start); Powertools' idempotency
store would build a boto3 client on top. A cold start that touches several entities
paid for each. ``SoukItem`` shares one connection and the store borrows its client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from souk.db import base
from souk.db.base import SoukItem, VersionedItem
from souk.db.idempotency import idempotency_store
from souk.db.transactions import WriteTransaction


class Tally(VersionedItem, discriminator="TestTally"):
    value = NumberAttribute(default=0)


class Note(SoukItem, discriminator="TestNote"):
    text = UnicodeAttribute()


@pytest.fixture
def created_clients(aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The service name of every botocore client built from now on, on fresh connections."""
    base.configure(host=None)  # forget the connections earlier tests built
    built: list[str] = []
    create = botocore.session.Session.create_client

    def counting(self: botocore.session.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        built.append(service_name)
        return create(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    yield built
    base.configure(host=None)


def test_entities_transactions_and_idempotency_share_one_client(created_clients: list[str]) -> None:
    # WHEN a request touches two entity classes, a transaction and the idempotency store
    Note(pk="NOTE#1", sk="A", text="one").save()
    with WriteTransaction() as tx:
        tx.put(Tally(pk="TALLY#1", sk="A", value=1), Tally.pk.does_not_exist(), label="tally")
    assert Tally.get("TALLY#1", "A").value == 1
    assert Note.get("NOTE#1", "A").text == "one"
    store = idempotency_store("TEST")
    # THEN one DynamoDB client was built, and the store uses that same client
    assert created_clients == ["dynamodb"]
    assert store.client is base.connection().client
    assert Note._get_connection() is Tally._get_connection() is SoukItem._get_connection()
