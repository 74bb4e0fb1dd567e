"""The issue's test on DynamoDB Local: an export of 5,000 rows that crashes halfway and resumes has every row once.

The job, its cursor and the orders are on DynamoDB Local (the ``table`` fixture), so the job's conditional
updates and the orders' pages are Amazon's engine's; the file's multipart upload and the exports queue are
on a moto server (``ThreadedMotoServer``, as the local runner uses), reached over HTTP through
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_SQS``. No ``mock_aws`` here: every call leaves the process.
The scenario is the functional test's (tests/exports_support.py).

The server runs in this process, so lowering ``moto.s3.models.S3_UPLOAD_PART_MIN_SIZE`` to the 64 KiB
parts reaches it (``test_the_moto_server_keeps_s3s_minimum_part_size_unless_lowered`` checks both ways).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from infra import template
from infra.local.dynamodb_local import DynamoDBLocal
from souk.db import queues
from souk.exports import keys as exports_keys
from souk.exports.store import files
from souk.settings import get_settings
from tests.exports_support import PART, crash_after_an_uploaded_part_and_resume, lower_part_minimum
from tests.support import ApiClient

ENDPOINTS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "EXPORTS_BUCKET", "EXPORTS_QUEUE_URL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port (S3 and SQS only are used); its endpoint."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _clients_cleared() -> None:
    get_settings.cache_clear()
    files._s3_client.cache_clear()  # the cached clients were made for the previous endpoints
    queues._sqs.cache_clear()


@pytest.fixture
def exports_aws(table: str, moto_server: str) -> Iterator[dict[str, str]]:
    """The template's exports bucket and queue on the moto server, the settings pointing at them; their refs."""
    suffix = table.removeprefix("souk-it-")
    [bucket_id] = [b for b in template.buckets() if b == "ExportsBucket"]
    [queue_id] = [q for q in template.queues() if q == "ExportsQueue"]
    bucket = f"souk-it-exports-{suffix}"
    boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server).create_bucket(Bucket=bucket)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_server)
    queue_url = sqs.create_queue(QueueName=f"souk-it-exports-{suffix}")["QueueUrl"]
    saved = {key: os.environ.get(key) for key in ENDPOINTS}
    os.environ.update(dict(zip(ENDPOINTS, (moto_server, moto_server, bucket, queue_url), strict=True)))
    _clients_cleared()
    try:
        yield {bucket_id: bucket, queue_id: queue_url}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _clients_cleared()


def test_the_moto_server_keeps_s3s_minimum_part_size_unless_lowered(
    exports_aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an upload of two 64 KiB parts on the moto server, through the exports store's own client
    key = "it/min-part"
    parts = []
    upload_id = files.start_upload(key, "csv")
    for number in (1, 2):
        parts.append(files.upload_part(key, upload_id, number, b"x" * PART))
    # WHEN it is completed with S3's 5 MiB minimum: refused, as S3 would
    with pytest.raises(ClientError) as refused:
        files.complete_upload(key, upload_id, parts)
    assert refused.value.response["Error"]["Code"] == "EntityTooSmall"
    # THEN with the minimum lowered in this process, the server accepts it: the patch reaches the server
    lower_part_minimum(monkeypatch)
    files.complete_upload(key, upload_id, parts)
    assert len(boto3.client("s3").get_object(Bucket=exports_aws["ExportsBucket"], Key=key)["Body"].read()) == 2 * PART


def test_5000_rows_crashing_after_an_uploaded_part_resume_with_every_row_once(
    dynamodb_local: DynamoDBLocal, moto_server: str, table: str, exports_aws: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from infra.local.routing import Router

    lower_part_minimum(monkeypatch)
    api = ApiClient(Router())
    export_id = crash_after_an_uploaded_part_and_resume(api, exports_aws, monkeypatch, file_format="csv", count=5000,
                                                        crash_at=4)  # fmt: skip
    # the job was on DynamoDB Local, and the moto server has no table at all
    local = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=dynamodb_local.endpoint)
    job_key = {"pk": {"S": exports_keys.export(export_id)}, "sk": {"S": exports_keys.EXPORT_SK}}
    assert local.get_item(TableName=table, Key=job_key, ConsistentRead=True)["Item"]["status"] == {"S": "completed"}
    moto_dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_server)
    assert moto_dynamodb.list_tables()["TableNames"] == []
