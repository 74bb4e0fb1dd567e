"""What a handler loads at a cold start, in the Lambda environment (LAMBDA_TASK_ROOT set).

Each handler is imported in a fresh ``python -I`` with the variables Lambda sets, as
``make bench`` does, and the test reads ``sys.modules``: the X-Ray SDK is loaded only by
the modules that want their own subsegments, and patches botocore only; a route does not
load a library it has no use for. Nothing here is timed (speed is ``make bench``'s business).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra import template

ROOT = Path(__file__).resolve().parents[2]
PROBE = r"""
import importlib, importlib.util, json, sys
if sys.argv[1].endswith(".py"):
    spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    sys.modules["handler"] = module
    spec.loader.exec_module(module)
else:
    importlib.import_module(sys.argv[1])
patched = sorted(getattr(sys.modules.get("aws_xray_sdk.core.patcher"), "_PATCHED_MODULES", ()))
import gc
print(json.dumps({"modules": sorted(sys.modules), "xray_patched": patched, "gc_enabled": gc.isenabled(),
                  "gc_frozen": gc.get_freeze_count()}))
"""


def _function(logical_id: str) -> template.Function:
    return next(f for f in template.functions() if f.logical_id == logical_id)


def cold_import(logical_id: str, module: str | None = None, *, in_lambda: bool = True) -> dict[str, Any]:
    """sys.modules after importing a function's handler as Lambda does (or ``module`` in its
    environment), and what X-Ray patched."""
    fn = _function(logical_id)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": "",
        "LAMBDA_TASK_ROOT": str(ROOT / fn.code_uri),
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "_HANDLER": fn.handler,
        "SOUK_STAGE": "test",
        "POWERTOOLS_SERVICE_NAME": "souk",
        "TABLE_NAME": "souk-test",
    }
    if not in_lambda:
        env = {k: v for k, v in env.items() if not k.startswith(("AWS_LAMBDA_", "LAMBDA_"))}
    code = f"import sys; sys.path[:0] = [{str(ROOT / fn.code_uri)!r}, {str(ROOT / 'shared')!r}]\n" + PROBE
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-c", code, module or str(fn.handler_file)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loaded(report: dict[str, Any], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in report["modules"])


@pytest.mark.parametrize("logical_id", ["VersionFunction", "OpenapiFunction", "DocsFunction"])
def test_routes_that_make_no_aws_call_load_neither_boto_nor_the_xray_sdk(logical_id: str) -> None:
    report = cold_import(logical_id)
    assert not _loaded(report, "aws_xray_sdk")
    assert not _loaded(report, "pynamodb")
    assert "botocore.client" not in report["modules"]
    assert report["xray_patched"] == []


@pytest.mark.parametrize("logical_id", ["HealthFunction", "ProductGetFunction", "OrderCreateFunction"])
def test_aws_routes_leave_tracing_to_lambda_and_load_no_xray_sdk(logical_id: str) -> None:
    report = cold_import(logical_id)
    assert "botocore.client" in report["modules"]
    assert not _loaded(report, "aws_xray_sdk")
    assert not _loaded(report, "requests")  # patch_all would load and patch requests, sqlite3, httplib...


def test_health_loads_no_pynamodb() -> None:
    assert not _loaded(cold_import("HealthFunction"), "pynamodb")


def test_stripe_calls_bring_the_tracer_which_patches_botocore_alone() -> None:
    report = cold_import("OrderCreateFunction", module="souk.payments.gateway")
    assert report["xray_patched"] == ["botocore"]
    assert "aws_xray_sdk.ext.pynamodb" not in report["modules"]


@pytest.mark.parametrize("logical_id", ["ProductGetFunction", "EmailWorkerFunction", "CleanupJobFunction"])
def test_in_lambda_init_runs_without_garbage_collection_and_ends_frozen(logical_id: str) -> None:
    # An API route, a queue consumer, a scheduled job: each factory resumes the collector.
    report = cold_import(logical_id)
    assert report["gc_enabled"] is True
    assert report["gc_frozen"] > 20_000  # init's objects, skipped by every later collection


def test_outside_lambda_the_collector_is_left_alone() -> None:
    fresh = subprocess.run(  # what a new interpreter has frozen by itself
        [sys.executable, "-I", "-c", "import gc; print(gc.get_freeze_count())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    report = cold_import("ProductGetFunction", in_lambda=False)
    assert report["gc_enabled"] is True
    assert report["gc_frozen"] == int(fresh.stdout)


def test_every_handler_is_built_by_a_factory_that_resumes_the_collector() -> None:
    factories = ("entrypoint(app)", "sqs_consumer(", "scheduled_job(")
    missing = [f.logical_id for f in template.functions()
               if not any(call in f.handler_file.read_text(encoding="utf-8") for call in factories)]  # fmt: skip
    assert missing == []


COMMERCE = ("souk.cart", "souk.orders", "souk.payments", "souk.wallet", "souk.webhooks.service", "stripe")


@pytest.mark.parametrize("logical_id", ["OauthAuthorizeFunction", "LoginFunction", "UserDeleteFunction"])
def test_identity_routes_load_nothing_of_commerce(logical_id: str) -> None:
    # The OAuth authorize route once loaded orders, payments, wallet and the X-Ray SDK
    # through souk.http.dependencies (the Stripe webhook's event parser).
    report = cold_import(logical_id)
    assert [m for m in report["modules"] if m.startswith(COMMERCE)] == []
    assert not _loaded(report, "aws_xray_sdk")


@pytest.mark.parametrize("logical_id", ["StripeWebhookFunction", "CleanupJobFunction"])
def test_functions_that_verify_no_token_load_no_token_library(logical_id: str) -> None:
    # They read a user to email them (souk.identity.service.users), which loads no API model and
    # nothing that signs tokens (souk.identity.service.sessions does, with PyJWT and cryptography).
    report = cold_import(logical_id)
    assert not _loaded(report, "jwt")
    assert not _loaded(report, "cryptography")
    assert "souk.identity.service.sessions" not in report["modules"]
