"""One IAM role per domain: a domain's functions cannot reach another domain's queue or secret."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra import template

# functions/<dir>/ -> the role its functions run as
DOMAIN_ROLES = {
    "system": "SystemRole",
    "identity": "IdentityRole",
    "catalog": "CatalogRole",
    "uploads": "UploadsRole",
    "cart": "CartRole",
    "orders": "OrdersRole",
    "payments": "PaymentsRole",
    "wallet": "WalletRole",
    "webhooks": "WebhooksRole",
    "notify": "NotifyRole",
    "jobs": "JobsRole",
    "admin_settings": "AdminSettingsRole",
    "finance": "FinanceRole",
    "delivery": "DeliveryRole",
    "dispatch": "DispatchRole",
    "reviews": "ReviewsRole",
    "disputes": "DisputesRole",
    "notifications": "NotificationsRole",
    "points": "PointsRole",
    "teams": "TeamsRole",
    "analytics": "AnalyticsRole",
    "exports": "ExportsRole",
    "audit": "AuditRole",
    "plans": "PlansRole",
    "billing": "BillingRole",
    "privacy": "PrivacyRole",
}
CONSUME = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}
WRITES = re.compile(r"^(dynamodb:(Put|Update|Delete|BatchWrite)|s3:(Put|Delete)|sqs:(Send|Delete)|sns:)")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        found += policy["PolicyDocument"]["Statement"]
    return found


def _target(resource: Any) -> str:
    """A statement's resource as a short name: a logical id, a secret's name, or "*"."""
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        return resource["Fn::GetAtt"][0]
    sub = resource["Fn::Sub"]
    secret = re.search(r":secret:(.+)-\*$", sub)
    if secret:
        return "secret:" + secret.group(1)
    return re.match(r"\$\{(\w+)\.Arn\}", sub).group(1)  # type: ignore[union-attr]


@cache
def _grants() -> dict[str, dict[str, set[str]]]:
    """role -> target -> actions allowed on it."""
    grants: dict[str, dict[str, set[str]]] = {}
    for name, role in template.resources("AWS::IAM::Role").items():
        per_target: dict[str, set[str]] = defaultdict(set)
        for statement in _statements(role):
            assert statement["Effect"] == "Allow"
            for resource in _list(statement["Resource"]):
                per_target[_target(resource)] |= set(_list(statement["Action"]))
        grants[name] = dict(per_target)
    return grants


def _holders(target: str, actions: set[str] | None = None) -> set[str]:
    return {
        role
        for role, targets in _grants().items()
        if target in targets and (actions is None or targets[target] & actions)
    }


@pytest.mark.parametrize("function", template.functions(), ids=lambda f: f.logical_id)
def test_every_function_runs_as_its_domains_role_which_exists(function: template.Function) -> None:
    role = function.properties["Role"]["Fn::GetAtt"]
    assert role[1] == "Arn"
    assert role[0] in template.resources("AWS::IAM::Role")
    domain = function.code_uri.split("/")[1]
    assert role[0] == DOMAIN_ROLES[domain]


def test_every_role_is_used_and_no_policy_is_attached_from_outside() -> None:
    used = {f.properties["Role"]["Fn::GetAtt"][0] for f in template.functions()}
    assert used == set(template.resources("AWS::IAM::Role")) == set(DOMAIN_ROLES.values())
    assert template.resources("AWS::IAM::Policy") == {}
    assert template.resources("AWS::IAM::ManagedPolicy") == {}


def test_only_the_email_worker_consumes_the_email_queue() -> None:
    assert _holders("EmailQueue", CONSUME) == {"NotifyRole"}
    consumers = {c.function.logical_id for c in template.queue_consumers() if c.queue == "EmailQueue"}
    assert consumers == {"EmailWorkerFunction"}
    assert _holders("EmailQueue", {"sqs:SendMessage"}) == {
        "IdentityRole", "CatalogRole", "OrdersRole", "PaymentsRole", "WalletRole", "WebhooksRole", "JobsRole",
        "FinanceRole", "DeliveryRole", "ReviewsRole", "DispatchRole", "NotificationsRole", "DisputesRole",
        "PointsRole", "TeamsRole", "PrivacyRole",
    }  # fmt: skip


def test_only_notifications_sends_to_and_consumes_the_notifications_queue() -> None:
    # the broadcast POST queues page 1; the worker queues each next page to itself
    assert _holders("NotificationsQueue", {"sqs:SendMessage"} | CONSUME) == {"NotificationsRole"}
    consumers = {c.function.logical_id for c in template.queue_consumers() if c.queue == "NotificationsQueue"}
    assert consumers == {"NotificationsWorkerFunction"}


def test_only_finance_sends_to_and_consumes_the_payouts_queue() -> None:
    assert _holders("PayoutsQueue", {"sqs:SendMessage"} | CONSUME) == {"FinanceRole"}
    consumers = {c.function.logical_id for c in template.queue_consumers() if c.queue == "PayoutsQueue"}
    assert consumers == {"PayoutsWorkerFunction"}
    assert _holders("PayoutsQueue") == {"FinanceRole", "SystemRole"}  # health reads its attributes


def test_only_exports_sends_to_and_consumes_the_exports_queue() -> None:
    # the POST queues the job; the worker re-queues it after its time budget; health reads its attributes
    assert _holders("ExportsQueue", CONSUME) == {"ExportsRole"}
    # privacy's GET /me/export queues the account export job
    assert _holders("ExportsQueue", {"sqs:SendMessage"}) == {"ExportsRole", "PrivacyRole"}
    consumers = {c.function.logical_id for c in template.queue_consumers() if c.queue == "ExportsQueue"}
    assert consumers == {"ExportsWorkerFunction"}
    assert _holders("ExportsQueue") == {"ExportsRole", "SystemRole", "PrivacyRole"}


def test_only_privacy_sends_to_and_consumes_the_privacy_queue() -> None:
    # DELETE /me queues the erasure; the worker re-queues it after its time budget
    assert _holders("PrivacyQueue") == {"PrivacyRole"}
    consumers = {c.function.logical_id for c in template.queue_consumers() if c.queue == "PrivacyQueue"}
    assert consumers == {"PrivacyWorkerFunction"}


def test_secrets_are_read_by_their_domains_only() -> None:
    assert _holders("secret:${StripeSecretName}") == {
        "OrdersRole", "PaymentsRole", "WalletRole", "WebhooksRole", "JobsRole", "FinanceRole", "DisputesRole",
        "PrivacyRole", "BillingRole",
    }  # fmt: skip
    assert _holders("secret:${SendGridSecretName}") == {"NotifyRole"}
    assert _holders("secret:souk/${Stage}/oauth") == {"IdentityRole"}
    assert _holders("secret:${JwtSecretName}") == {
        "IdentityRole", "CatalogRole", "UploadsRole", "CartRole", "OrdersRole", "PaymentsRole", "WalletRole",
        "AdminSettingsRole", "FinanceRole", "DeliveryRole", "ReviewsRole", "DispatchRole", "NotificationsRole",
        "DisputesRole", "PointsRole", "TeamsRole", "AuditRole", "ExportsRole", "AnalyticsRole", "PrivacyRole",
        "BillingRole",
    }  # fmt: skip
    # the catalog, uploads and the cart reach neither the payment provider nor the mail provider
    for role in ("CatalogRole", "UploadsRole", "CartRole"):
        assert not {t for t in _grants()[role] if t.startswith("secret:")} - {"secret:${JwtSecretName}"}, role


def test_only_the_sms_sender_publishes_and_only_direct_sms() -> None:
    publishers = {
        role for role, r in template.resources("AWS::IAM::Role").items()
        for s in _statements(r) if "sns:Publish" in _list(s["Action"])
    }  # fmt: skip
    assert publishers == {"NotifyRole"}
    notify = _statements(template.resources("AWS::IAM::Role")["NotifyRole"])
    (statement,) = [s for s in notify if s["Action"] == "sns:Publish"]
    assert statement["Condition"] == {"Null": {"sns:Protocol": "true"}}


def test_buckets_are_reached_only_where_used() -> None:
    assert _holders("ExportsBucket") == {"SystemRole", "ExportsRole"}
    assert _grants()["SystemRole"]["ExportsBucket"] == {"s3:ListBucket"}  # HeadBucket from health
    # the exports worker writes the files (multipart), the export read presigns their download
    assert _grants()["ExportsRole"]["ExportsBucket"] == {
        "s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
    }  # fmt: skip
    assert _holders("UploadsBucket", {"s3:PutObject"}) == {"UploadsRole"}
    # the erasure of an account deletes its files
    assert _holders("UploadsBucket", {"s3:DeleteObject"}) == {"UploadsRole", "PrivacyRole"}
    assert _grants()["PrivacyRole"]["UploadsBucket"] == {"s3:DeleteObject"}
    # products, stores, avatars, courier documents, proofs of delivery, review images and dispute attachments
    # claim uploads (HeadObject)
    assert _holders("UploadsBucket", {"s3:GetObject"}) == {
        "UploadsRole", "CatalogRole", "IdentityRole", "DeliveryRole", "ReviewsRole", "DispatchRole", "DisputesRole",
    }  # fmt: skip


def test_system_is_read_only_and_no_role_has_a_wildcard_action() -> None:
    system = {a for actions in _grants()["SystemRole"].values() for a in actions}
    assert not {a for a in system if WRITES.match(a)}
    for role, targets in _grants().items():
        for target, actions in targets.items():
            assert not [a for a in actions if "*" in a], (role, target)
            if target == "*":
                assert actions == {"sns:Publish"}, role  # and conditioned, above


# --- what the code can reach: every handler's imports followed through the layer (imports
# anywhere in a module, deferred ones too), mapped to the modules that call AWS.
LAYER = template.ROOT / "shared"
STRIPE, JWT = "secret:${StripeSecretName}", "secret:${JwtSecretName}"
REACHES = {  # module in the closure -> (target, action) the role must allow
    "souk.notify.store": ("EmailQueue", "sqs:SendMessage"),
    "souk.notifications.store.queue": ("NotificationsQueue", "sqs:SendMessage"),
    "souk.exports.store.files": ("ExportsQueue", "sqs:SendMessage"),
    "souk.privacy.store.queue": ("PrivacyQueue", "sqs:SendMessage"),
    "souk.notify.sms": ("*", "sns:Publish"),
    "souk.notify.email": ("secret:${SendGridSecretName}", "secretsmanager:GetSecretValue"),
    "souk.uploads.store": ("UploadsBucket", "s3:GetObject"),
    "souk.payments.gateway": (STRIPE, "secretsmanager:GetSecretValue"),
    "souk.identity.service.oauth": ("secret:souk/${Stage}/oauth", "secretsmanager:GetSecretValue"),
    "souk.db.base": ("Table", "dynamodb:GetItem"),
}
# Imported but never called at run time (the closure over-approximates):
UNUSED = {  # (domain, target, action)
    # coupons import db.paging for their list; the job encodes no cursor
    ("jobs", JWT, "secretsmanager:GetSecretValue"),
    # releasing stock imports catalog.inventory, which imports identity.users (avatar claims)
    ("jobs", "UploadsBucket", "s3:GetObject"),
    # coupons, orders and the webhook's order updates import catalog.stores; they claim no upload
    ("cart", "UploadsBucket", "s3:GetObject"),
    ("orders", "UploadsBucket", "s3:GetObject"),
    ("webhooks", "UploadsBucket", "s3:GetObject"),
    # refunds and the balance read stores through catalog.service.stores, which claims uploads for others
    ("payments", "UploadsBucket", "s3:GetObject"),
    ("finance", "UploadsBucket", "s3:GetObject"),
    # tracking loads the order through orders.service.orders (whose read-time expiry cancels unpaid card
    # intents) and the delivered fee goes through wallet.service (whose top-ups create intents): dispatch
    # calls neither Stripe path
    ("dispatch", STRIPE, "secretsmanager:GetSecretValue"),
    # the webhook reaches db.paging through the order modules; it encodes no cursor and checks no token
    ("webhooks", JWT, "secretsmanager:GetSecretValue"),
    # the exports worker reads orders through orders.store.orders, whose stock moves import catalog.inventory
    # (identity's avatar claims, the catalog's emails): an export only Queries the order timelines
    ("exports", "UploadsBucket", "s3:GetObject"),
    ("exports", "EmailQueue", "sqs:SendMessage"),
    # the privacy hooks (souk.<domain>.privacy) import their domains' stores: the erasure deletes uploads
    # (DeleteObject) and never reads one
    ("privacy", "UploadsBucket", "s3:GetObject"),
}


def _module_file(name: str) -> Path | None:
    base = LAYER.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


@cache
def _imports(file: Path, name: str) -> set[str]:
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "declaring" and node.args:
            # registry.declaring("expiring"): every souk.<package>.expiring, imported by name at run time
            declared = getattr(node.args[0], "value", "")
            found |= {f"souk.{p.parent.name}.{declared}" for p in (LAYER / "souk").glob(f"*/{declared}.py")}
    return {m for m in found if m.split(".")[0] == "souk"}


def _closure(handler: Path) -> dict[str, str]:
    """Every souk module the handler can import, with its source."""
    seen: dict[str, str] = {}
    todo = list(_imports(handler, "handler"))
    while todo:
        parts = todo.pop().split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            file = _module_file(name)
            if file and name not in seen:
                seen[name] = file.read_text()
                todo += _imports(file, name)
    return seen


@cache
def _needs(handler: Path) -> set[tuple[str, str]]:
    modules = _closure(handler)
    needs = {REACHES[m] for m in modules if m in REACHES}
    if any(re.search(r"\b(jwt_key|cursor_key)\(", src) for m, src in modules.items() if m != "souk.secrets"):
        needs.add((JWT, "secretsmanager:GetSecretValue"))
    return needs


@pytest.mark.parametrize("function", template.functions(), ids=lambda f: f.logical_id)
def test_the_role_allows_what_the_code_reaches(function: template.Function) -> None:
    domain = function.code_uri.split("/")[1]
    granted = _grants()[DOMAIN_ROLES[domain]]
    missing = {
        (target, action)
        for target, action in _needs(function.handler_file)
        if action not in granted.get(target, set()) and (domain, target, action) not in UNUSED
    }
    assert not missing


@pytest.mark.parametrize(("domain", "target", "action"), sorted(UNUSED))
def test_each_listed_over_approximation_is_still_reached_and_still_denied(
    domain: str, target: str, action: str
) -> None:
    functions = [f for f in template.functions() if f.code_uri.split("/")[1] == domain]
    assert any((target, action) in _needs(f.handler_file) for f in functions)
    assert action not in _grants()[DOMAIN_ROLES[domain]].get(target, set())
