"""Producer side without AWS: the job model and what enqueue_* checks before queueing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from souk.notify import store
from souk.notify.exceptions import MissingVariableError, NotificationConfigError, UnknownTemplateError
from souk.notify.schemas import NotificationJob
from souk.notify.service import enqueue_email, enqueue_sms

CODE_VARS = {"code": "482913", "expires_in_minutes": 10}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[list[NotificationJob]]:
    """What would have been sent to SQS, one list per call."""
    calls: list[list[NotificationJob]] = []
    monkeypatch.setattr(store, "put", calls.append)
    return calls


def test_job_round_trips_through_json() -> None:
    # GIVEN a job
    job = NotificationJob(channel="email", template="broadcast", to="a@example.com",
                          variables={"subject": "s", "body": "b", "n": 3}, idempotency_id="id-1")  # fmt: skip
    # WHEN serialised as the queue message body and parsed back
    # THEN nothing is lost, numbers included
    assert NotificationJob.model_validate_json(job.model_dump_json()) == job


@pytest.mark.parametrize(
    ("channel", "to"),
    [("email", "+14155550100"), ("email", "not-an-address"), ("sms", "ada@example.com"), ("sms", "4155550100")],
)
def test_recipient_must_fit_the_channel(channel: str, to: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        NotificationJob(channel=channel, template="broadcast", to=to, idempotency_id="id-1")  # type: ignore[arg-type]
    # The message names the problem without echoing the address (it may be logged).
    message = excinfo.value.errors()[0]["msg"]
    assert "'to' is not a valid" in message
    assert to not in message


def test_a_job_without_idempotency_id_is_rejected() -> None:
    # A parsed job must keep the id it was sent with: no default may mint a new one per delivery.
    with pytest.raises(ValidationError):
        NotificationJob.model_validate({"channel": "email", "template": "broadcast", "to": "a@example.com"})


def test_enqueue_email_checks_the_template_before_queueing(sent: list[list[NotificationJob]]) -> None:
    # WHEN the template is unknown or a variable is missing
    with pytest.raises(UnknownTemplateError):
        enqueue_email("no_such_template", "ada@example.com", {})
    with pytest.raises(MissingVariableError):
        enqueue_email("verification_code", "ada@example.com", {"code": "1"})
    # THEN nothing reached the queue
    assert sent == []


def test_enqueue_email_with_phone_queues_email_then_sms_in_one_call(sent: list[list[NotificationJob]]) -> None:
    # WHEN a code goes to an address and a phone, with a caller-chosen id
    jobs = enqueue_email("verification_code", "ada@example.com", CODE_VARS, phone="+14155550100", idempotency_id="v-1")

    # THEN both jobs go in one SQS call, with distinct, derived idempotency ids
    assert sent == [jobs]
    assert [(j.channel, j.to, j.idempotency_id) for j in jobs] == [
        ("email", "ada@example.com", "v-1"),
        ("sms", "+14155550100", "v-1:sms"),
    ]
    assert all(j.variables == CODE_VARS for j in jobs)


def test_each_enqueue_gets_a_fresh_id_unless_given(sent: list[list[NotificationJob]]) -> None:
    first = enqueue_sms("verification_code", "+14155550100", CODE_VARS)
    second = enqueue_sms("verification_code", "+14155550100", CODE_VARS)
    assert first.idempotency_id != second.idempotency_id
    assert len(sent) == 2


def test_enqueue_without_a_queue_url_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no EMAIL_QUEUE_URL
    from souk.settings import get_settings

    monkeypatch.delenv("EMAIL_QUEUE_URL", raising=False)
    get_settings.cache_clear()
    try:
        # WHEN enqueueing THEN a clear configuration error, before any AWS client is made
        with pytest.raises(NotificationConfigError, match="EMAIL_QUEUE_URL"):
            enqueue_email("verification_code", "ada@example.com", CODE_VARS)
    finally:
        get_settings.cache_clear()
