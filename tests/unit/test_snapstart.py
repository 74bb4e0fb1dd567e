"""The SnapStart after-restore hook really resets what it claims to (souk.snapstart).

A restore is simulated by calling the hook in this process: what init cached before it
must be gone after it, and rebuilt (a new object) on next use.
"""

from __future__ import annotations

import random

import boto3
import pytest
from moto import mock_aws

from souk import snapstart


def test_every_function_registers_the_hook_through_observability() -> None:
    import souk.observability  # noqa: F401 - every handler imports it (resolver, workers, jobs)

    assert snapstart.after_restore in snapstart.after_restore_hooks()
    assert snapstart.after_restore_hooks().count(snapstart.after_restore) == 1


def test_the_stand_in_registers_like_the_runtime_library() -> None:
    calls: list[tuple[int, str]] = []

    def hook(number: int, *, word: str) -> None:
        calls.append((number, word))

    assert snapstart.register_after_restore(hook, 7, word="seven") is hook  # usable as a decorator too
    assert snapstart.get_after_restore()[-1] == (hook, (7,), {"word": "seven"})
    snapstart.get_after_restore().pop()  # leave the registry as the layer made it


def test_two_environments_restored_from_one_snapshot_draw_different_random_numbers() -> None:
    # GIVEN the random state a snapshot would carry into every environment restored from it
    random.seed(20261206)
    snapshot = random.getstate()
    without_hook = [random.getrandbits(64) for _ in range(2)]
    random.setstate(snapshot)
    assert [random.getrandbits(64) for _ in range(2)] == without_hook  # the shared sequence, restored as is
    # WHEN two environments are restored from it, each running the hook
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        snapstart.after_restore()
        draws.append(random.getrandbits(128))
    # THEN each draws its own numbers, not the snapshot's sequence
    assert draws[0] != draws[1]
    assert random.getstate() != snapshot


def test_boto3s_default_session_and_its_credentials_are_dropped() -> None:
    boto3.setup_default_session(region_name="us-east-1")
    before = boto3.DEFAULT_SESSION
    assert before is not None
    snapstart.after_restore()
    assert boto3.DEFAULT_SESSION is None
    boto3.client("sqs", region_name="us-east-1")
    assert boto3.DEFAULT_SESSION is not None and boto3.DEFAULT_SESSION is not before


@mock_aws
def test_secrets_cached_by_powertools_parameters_are_fetched_again() -> None:
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    from souk.secrets import _from_parameters

    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name="souk/test/jwt", SecretString="key-at-init")
    assert _from_parameters("souk/test/jwt") == "key-at-init"
    secrets.put_secret_value(SecretId="souk/test/jwt", SecretString="rotated-key")
    assert _from_parameters("souk/test/jwt") == "key-at-init"  # cached for 5 minutes
    provider = DEFAULT_PROVIDERS["secrets"]
    snapstart.after_restore()
    assert "secrets" not in DEFAULT_PROVIDERS  # the provider, its client and its cache
    assert _from_parameters("souk/test/jwt") == "rotated-key"
    assert DEFAULT_PROVIDERS["secrets"] is not provider


def test_pynamodb_connections_of_every_model_are_dropped() -> None:
    from souk.db.base import SoukItem, all_models
    from souk.identity.models import User

    before = User._get_connection()
    base_before = SoukItem._get_connection()
    snapstart.after_restore()
    assert [m for m in all_models() if m.__dict__.get("_connection") is not None] == []
    assert User._get_connection() is not before
    assert SoukItem._get_connection() is not base_before


@pytest.mark.parametrize(
    ("module", "factory", "args"),
    [
        ("souk.system.store", "_new_client", ("sqs",)),
        ("souk.uploads.store", "_s3", ("us-east-1",)),
        ("souk.db.queues", "_sqs", ("us-east-1",)),
        ("souk.exports.store.files", "_s3_client", ("us-east-1",)),
        ("souk.notify.sms", "_sns", ("us-east-1",)),
        ("souk.db.idempotency", "idempotency_store", ("TEST",)),  # on the models' client, dropped too
        ("souk.payments.gateway", "_client", ("sk_test_snapstart", None)),
        ("souk.notify.email", "_client", ("SG.snapstart", "https://api.sendgrid.com")),
    ],
)
def test_clients_our_modules_cache_are_built_anew(module: str, factory: str, args: tuple[object, ...]) -> None:
    import importlib

    build = getattr(importlib.import_module(module), factory)
    before = build(*args)
    assert build(*args) is before  # cached while the environment lives
    snapstart.after_restore()
    assert build(*args) is not before
