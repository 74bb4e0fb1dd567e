"""Integration tests against DynamoDB Local: Amazon's engine proves conditions, transactions, races."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import boto3
import pytest

from infra.local import aws
from infra.local.dynamodb_local import DynamoDBLocal, unavailable_reason
from tests.support import assert_every_store_reconciles


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the DynamoDB Local integration tests, but {reason}")
        pytest.skip(f"DynamoDB Local integration tests skipped: {reason}")
    server = DynamoDBLocal().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def table(dynamodb_local: DynamoDBLocal, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh table on DynamoDB Local, built from the template, with every model pointed at it, and a
    zero-fee delivery zone serving everywhere unless the test is marked ``no_default_zone``.

    When the test is over, every store's balance must be the sum of its ledger entries.
    """
    from souk.db.base import configure

    name = f"souk-it-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local.endpoint, region_name="us-east-1")
    aws.create_table(client, name)
    saved = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"), os.environ.get("TABLE_NAME")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_local.endpoint
    os.environ["TABLE_NAME"] = name
    from souk.settings import get_settings

    get_settings.cache_clear()
    configure(host=dynamodb_local.endpoint, table_name=name)
    try:
        if request.node.get_closest_marker("no_default_zone") is None:
            from tests.commerce_factories import deliver_everywhere

            deliver_everywhere()
        yield name
        assert_every_store_reconciles(name)
    finally:
        client.delete_table(TableName=name)
        for key, value in zip(("AWS_ENDPOINT_URL_DYNAMODB", "TABLE_NAME"), saved, strict=True):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        configure(host=None, table_name=os.environ["TABLE_NAME"])
