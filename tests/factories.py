"""Build test data through the real services (never by hand-writing items)."""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

import boto3

from souk.audit.service import SYSTEM
from souk.identity import passwords
from souk.identity.models import User
from souk.identity.schemas.sessions import Client
from souk.identity.service import accounts
from souk.identity.service.sessions import start_session
from souk.identity.store import users as user_store

PASSWORD = "Corr3ct-Horse-Battery"


@cache
def _password_hash(password: str) -> str:
    # argon2id is slow on purpose; one hash per distinct test password keeps the suite fast.
    return passwords.hash_password(password)


def create_user(role: str = "customer", *, status: str = "active", email: str | None = None,
                name: str = "Test User", password: str = PASSWORD, phone: str | None = None) -> User:  # fmt: skip
    user = user_store.new_user(
        email=email or f"user-{uuid.uuid4().hex[:10]}@example.com", name=name, role=role, status=status,
        phone=phone, password_hash=_password_hash(password),
    )  # fmt: skip
    accounts.create_account(user, SYSTEM)
    return user


def token_for(user: User, ip: str = "127.0.0.1") -> str:
    """An access token of a fresh session for ``user``."""
    return start_session(user, Client(ip=ip, user_agent="pytest")).access_token


def queued_jobs(queue_url: str) -> list[dict[str, Any]]:
    """Drain the notification jobs waiting on a queue."""
    sqs = boto3.client("sqs")
    jobs: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return jobs
        for message in batch:
            jobs.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def last_code(queue_url: str, email: str) -> str:
    """The one-time code in the newest email to ``email``."""
    codes = [j["variables"]["code"] for j in queued_jobs(queue_url) if j["to"] == email and j["channel"] == "email"]
    assert codes, f"no code was emailed to {email}"
    return str(codes[-1])


def ready_upload(user: User, purpose: str = "avatar", content_type: str = "image/png", size: int = 100) -> str:
    """An upload of ``user`` whose file arrived in S3 (moto), as a client would leave it."""
    from souk.caller import Principal
    from souk.settings import get_settings
    from souk.uploads.schemas import CreateUploadRequest
    from souk.uploads.service import create_upload, get_upload

    request = CreateUploadRequest(filename="file.png", content_type=content_type, size=size, purpose=purpose)
    presigned = create_upload(Principal(user.user_id, user.role, None), request)
    key = get_upload(presigned.upload_id).object_key
    boto3.client("s3").put_object(Bucket=get_settings().uploads_bucket, Key=key, Body=b"x" * size,
                                  ContentType=content_type)  # fmt: skip
    return presigned.upload_id


def approved_courier(**kwargs: Any) -> User:
    """A courier whose verification is approved (so they may set themselves available), written by
    the service's own grant (:func:`souk.delivery.service.verification.grant`)."""
    from souk.delivery.service import verification

    user = create_user("courier", **kwargs)
    verification.grant(SYSTEM, user.user_id)
    return user
