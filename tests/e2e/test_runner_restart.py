"""Restarts: data kept by DynamoDB Local survives, resources are created again without errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from infra.local import aws
from infra.local.dynamodb_local import unavailable_reason
from infra.template import ROOT
from tests.e2e.conftest import RunnerProcess, http

pytestmark = pytest.mark.e2e

TABLE = aws.physical_names()["Table"]


def stopped_cleanly(runner: RunnerProcess) -> None:
    code = runner.stop()
    assert code == 0, runner.output()
    assert "Stopped after" in runner.output()


@pytest.mark.skipif(unavailable_reason() is not None, reason=f"DynamoDB Local unavailable: {unavailable_reason()}")
def test_table_data_survives_a_restart(tmp_path: Path) -> None:
    # GIVEN an item written while the runner ran with DynamoDB Local
    key = {"pk": {"S": f"E2E#{uuid.uuid4().hex}"}, "sk": {"S": "PERSIST"}}
    first = RunnerProcess(tmp_path).start()
    try:
        assert "DynamoDB    DynamoDB Local:" in first.output()
        first.client("dynamodb").put_item(TableName=TABLE, Item={**key, "note": {"S": "kept"}})
    finally:
        stopped_cleanly(first)
    # WHEN the runner starts again on the same local dir (other ports: the old ones may linger)
    second = RunnerProcess(tmp_path).start()
    try:
        # THEN the existing table did not stop it, and the item is there
        item = second.client("dynamodb").get_item(TableName=TABLE, Key=key).get("Item")
        assert item is not None and item["note"]["S"] == "kept"
        assert http("GET", second.url("/api/health")).status == 200
    finally:
        stopped_cleanly(second)


def test_moto_serves_dynamodb_when_asked(tmp_path: Path) -> None:
    # GIVEN the runner told to skip DynamoDB Local
    runner = RunnerProcess(tmp_path, extra_env={"SOUK_DYNAMODB": "moto"}).start()
    try:
        # THEN it says so, and the table lives in moto
        assert "DynamoDB    moto: SOUK_DYNAMODB=moto" in runner.output()
        assert TABLE in runner.client("dynamodb").list_tables()["TableNames"]
        assert http("GET", runner.url("/api/health")).json["data"]["checks"]["table"]["ok"] is True
    finally:
        stopped_cleanly(runner)
    assert not (tmp_path / "dynamodb").exists()


def test_a_busy_port_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    # GIVEN something already listening on the API port
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        runner = RunnerProcess(tmp_path)
        runner.port = busy.getsockname()[1]
        # WHEN
        result = subprocess.run([sys.executable, "-m", "infra.local.runner"], cwd=ROOT, env=runner.env(),
                                capture_output=True, text=True, timeout=60)  # fmt: skip
    # THEN it refuses before starting anything, and says which variable to change
    assert result.returncode == 1
    assert f"port {runner.port} (the API) is in use" in result.stdout and "set PORT" in result.stdout
    assert not (tmp_path / "dynamodb").exists()
