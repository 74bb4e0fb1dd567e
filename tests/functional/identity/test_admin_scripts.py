"""`make admin` and `make seed` (infra.admin, infra.seed) against moto, through their main()."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from infra import admin, seed, stack
from infra.local import stackfile
from souk.identity import keys
from souk.identity.models import Address, User
from souk.identity.service.users import find_user_by_email
from tests.support import ApiClient, assert_error

STRONG = "Adm1n-Sparkling-Otter"


@pytest.fixture
def table(aws_resources: dict[str, str]) -> Iterator[str]:
    """The moto table's name; the models are pointed back at the test table afterwards."""
    from souk.db.base import SoukItem, configure

    original = SoukItem.Meta.table_name, SoukItem.Meta.host
    yield aws_resources["Table"]
    configure(host=original[1], table_name=original[0])


def _login(api: ApiClient, email: str, password: str):
    return api.post("/api/v1/auth/login", json_body={"email": email, "password": password})


# --- admin
def test_admin_creates_an_active_admin_who_can_sign_in(api: ApiClient, table: str, capsys) -> None:
    # WHEN
    code = admin.main(["--email", "Boss@Example.com", "--password", STRONG, "--name", "The Boss", "--table", table])
    # THEN
    assert code == 0
    assert "Created admin boss@example.com" in capsys.readouterr().out
    user = find_user_by_email("boss@example.com")
    assert user is not None and (user.role, user.status, user.name) == ("admin", "active", "The Boss")
    signed_in = _login(api, "boss@example.com", STRONG)
    assert signed_in.status == 200 and signed_in.json["data"]["user"]["role"] == "admin"


def test_admin_refuses_an_existing_email_and_changes_nothing(table: str, capsys) -> None:
    assert admin.main(["--email", "boss@example.com", "--password", STRONG, "--table", table]) == 0
    before = find_user_by_email("boss@example.com")
    # WHEN the same email is used again, with another password
    code = admin.main(["--email", "BOSS@example.com", "--password", STRONG + "x", "--table", table])
    # THEN refused clearly, the first account untouched
    assert code == 1
    assert "already exists" in capsys.readouterr().err
    after = find_user_by_email("boss@example.com")
    assert after is not None and before is not None and after.password_hash == before.password_hash


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("boss@example.com", "short", "password policy"),
        ("boss@example.com", "password1", "password policy"),
        ("not-an-email", STRONG, "not an email address"),
        ("admin@souk.local", STRONG, "not an email address"),  # the API would refuse it at sign-in
    ],
)
def test_admin_refuses_bad_input_and_creates_nothing(table: str, capsys, email: str, password: str,
                                                     message: str) -> None:  # fmt: skip
    assert admin.main(["--email", email, "--password", password, "--table", table]) == 1
    assert message in capsys.readouterr().err
    assert find_user_by_email("boss@example.com") is None


def test_admin_without_email_prints_the_usage(table: str, capsys) -> None:
    # `make admin` with no EMAIL passes an empty string
    assert admin.main(["--email", "", "--password", "", "--table", table]) == 2
    assert "make admin EMAIL=" in capsys.readouterr().err


def test_admin_against_a_missing_table_says_so(aws_resources: dict[str, str], capsys) -> None:
    assert admin.main(["--email", "boss@example.com", "--password", STRONG, "--table", "no-such-table"]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err


def test_the_local_stack_is_found_by_the_runners_table_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no table named and an endpoint from the environment, as the local runner exports it
    env = {"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}
    # THEN the runner's table at that endpoint
    target = stack.resolve(None, None, env)
    assert (target.table, target.endpoint, target.local) == ("souk-local-table", "http://127.0.0.1:8000", True)
    # AND a named table is a deployed one, at AWS itself
    deployed = stack.resolve("souk-dev", None, {})
    assert (deployed.table, deployed.endpoint, deployed.local) == ("souk-dev", None, False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def no_target_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No table or endpoint named; the credentials the scripts switch to are restored afterwards."""
    from souk.db.base import SoukItem, configure

    for name in ("TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
    original = SoukItem.Meta.table_name, SoukItem.Meta.host
    yield
    configure(host=original[1], table_name=original[0])


def _stack_file(directory: Path, *, pid: int, endpoint: str, table: str = "souk-local-table") -> None:
    """A stack.json as the runner writes it (only the fields the scripts read matter)."""
    stackfile.write(directory, {"pid": pid, "apiUrl": "http://127.0.0.1:1", "table": table,
                                "endpoints": {"dynamodb": endpoint}})  # fmt: skip


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("stack", ["missing", "runner gone"])
def test_with_no_local_stack_running_it_says_to_start_one(
    no_target_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys, stack: str
) -> None:
    # GIVEN no stack.json in the local dir, or one whose runner is no longer alive (killed)
    monkeypatch.setenv("SOUK_LOCAL_DIR", str(tmp_path))
    if stack == "runner gone":
        _stack_file(tmp_path, pid=_dead_pid(), endpoint=f"http://127.0.0.1:{_free_port()}")
    # WHEN
    code = admin.main(["--email", "boss@example.com", "--password", STRONG])
    # THEN refused, saying how to start one, without trying any port
    assert code == 1
    assert "no local stack is running: start it with `make run`" in capsys.readouterr().err


def test_the_running_local_stack_is_found_through_its_stack_file(
    no_target_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN a local stack serving DynamoDB on a port no default names, described by its stack.json
    from moto.server import ThreadedMotoServer

    from infra.local import aws

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint)
        aws.create_table(dynamodb, "souk-local-table")
        monkeypatch.setenv("SOUK_LOCAL_DIR", str(tmp_path))
        _stack_file(tmp_path, pid=os.getpid(), endpoint=endpoint)
        # WHEN
        assert admin.main(["--email", "local-boss@example.com", "--password", STRONG]) == 0
        # THEN the admin is in the local stack's table
        found = dynamodb.get_item(
            TableName="souk-local-table",
            Key={"pk": {"S": keys.email("local-boss@example.com")}, "sk": {"S": keys.email("local-boss@example.com")}},
        )
        assert "Item" in found
    finally:
        server.stop()


# --- seed
def test_seed_creates_demo_accounts_with_addresses_and_prints_credentials(api: ApiClient, table: str) -> None:
    # WHEN
    out = io.StringIO()
    assert seed.main(["--table", table], out=out) == 0
    # THEN every demo account exists, active, with its addresses
    text = out.getvalue()
    for demo in seed.DEMO_USERS:
        user = find_user_by_email(demo.email)
        assert user is not None and (user.role, user.status) == (demo.role, "active")
        saved = list(Address.query(keys.user(user.user_id), Address.sk.startswith(keys.ADDRESS_PREFIX)))
        assert sorted(a.label for a in saved) == sorted(a.label for a in demo.addresses)
        assert sum(a.is_default for a in saved) == (1 if demo.addresses else 0)
        assert demo.email in text
    # AND all four roles are there, with a progress bar and the credentials printed
    assert {d.role for d in seed.DEMO_USERS} == {"admin", "customer", "store_owner", "courier"}
    assert f"[{'#' * 24}] {len(seed.DEMO_USERS)}/{len(seed.DEMO_USERS)}" in text
    assert seed.DEMO_PASSWORD in text and "admin@souk.example" in text
    # AND the printed credentials work
    signed_in = _login(api, "admin@souk.example", seed.DEMO_PASSWORD)
    assert signed_in.status == 200 and signed_in.json["data"]["user"]["role"] == "admin"
    # AND the demo couriers are approved: they can set themselves available
    for demo in (d for d in seed.DEMO_USERS if d.role == "courier"):
        token = _login(api, demo.email, seed.DEMO_PASSWORD).json["data"]["accessToken"]
        spot = {"available": True, "lat": demo.addresses[0].lat, "lng": demo.addresses[0].lng}
        response = api.put("/api/v1/couriers/me/availability", json_body=spot, token=token)
        assert response.status == 200, response.body


def test_seed_twice_creates_nothing_twice(table: str) -> None:
    # GIVEN a seeded stack, where one demo email was taken by a real account first
    from tests.factories import create_user

    taken = create_user(email="omar@souk.example")
    assert seed.main(["--table", table], out=io.StringIO()) == 0
    first = {d.email: find_user_by_email(d.email) for d in seed.DEMO_USERS}
    # WHEN seeded again
    out = io.StringIO()
    assert seed.main(["--table", table], out=out) == 0
    # THEN the same accounts, no new addresses, and the run says everything was already there
    assert "0 accounts created" in out.getvalue()
    for email, user in first.items():
        again = find_user_by_email(email)
        assert user is not None and again is not None and again.user_id == user.user_id
    assert first["omar@souk.example"].user_id == taken.user_id  # type: ignore[union-attr]
    homes = list(Address.query(keys.user(first["amina@souk.example"].user_id),  # type: ignore[union-attr]
                               Address.sk.startswith(keys.ADDRESS_PREFIX)))  # fmt: skip
    assert len(homes) == 2
    assert User.gsi2.count(keys.users_by_role("courier")) == 2


def test_seed_a_demo_account_cannot_sign_in_with_a_wrong_password(api: ApiClient, table: str) -> None:
    assert seed.main(["--table", table], out=io.StringIO()) == 0
    assert_error(_login(api, "amina@souk.example", "Wrong-Pass-123"), 401, "INVALID_CREDENTIALS")
