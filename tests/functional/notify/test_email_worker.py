"""The email queue end to end: enqueue → SQS (moto) → worker → SendGrid (a fake on 127.0.0.1) / SNS (moto).

The worker runs as Lambda would run it: the template's handler file, an SQS event built
from real ReceiveMessage output, idempotency records in the template's table.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from infra import handlers, template
from infra.local.events import LambdaContext, sqs_event
from souk.notify.schemas import NotificationJob
from souk.notify.service import enqueue_email, enqueue_sms
from souk.observability import logger as souk_logger
from souk.settings import get_settings

REGION = "us-east-1"
CODE_VARS = {"code": "482913", "expires_in_minutes": 10}
Worker = Callable[[dict[str, Any]], dict[str, Any]]


class FakeSendGrid:
    """SendGrid's POST /v3/mail/send on a free local port: records requests, answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 202
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append(
                    {"path": self.path, "authorization": self.headers.get("Authorization"), "json": json.loads(raw)}
                )
                status = fake.status
                error = {"errors": [{"message": "The to email is invalid."}]}
                body = b"" if status < 300 else json.dumps(error).encode()
                self.send_response(status)
                if status < 300:
                    self.send_header("X-Message-Id", f"sg-{len(fake.requests)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sendgrid(aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSendGrid]:
    fake = FakeSendGrid()
    monkeypatch.setenv("SENDGRID_API_BASE", fake.url)
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
    get_settings.cache_clear()
    yield fake
    fake.close()


@pytest.fixture
def worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    """The template's EmailWorkerFunction, imported by path and purged afterwards."""
    function = next(f for f in template.functions() if f.logical_id == "EmailWorkerFunction")
    handler = getattr(handlers.load(function), function.handler_name)
    yield lambda event: handler(event, LambdaContext("souk-test-email-worker", timeout_seconds=30))
    handlers.unload(function)


@pytest.fixture
def failure_logs() -> Iterator[list[logging.LogRecord]]:
    """Warnings and errors the layer's logger emits."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.WARNING)
    souk_logger.addHandler(handler)
    yield records
    souk_logger.removeHandler(handler)


def _sqs() -> Any:
    return boto3.client("sqs", region_name=REGION)


def _receive_event(refs: dict[str, str]) -> dict[str, Any]:
    """What Lambda would deliver: every message now on the email queue, as one SQS event."""
    url = refs["EmailQueue"]
    arn = _sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = _sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    return sqs_event(arn, messages)


def _ids(event: dict[str, Any]) -> list[str]:
    return [r["messageId"] for r in event["Records"]]


def _put_raw(refs: dict[str, str], body: str) -> None:
    _sqs().send_message(QueueUrl=refs["EmailQueue"], MessageBody=body)


def _mail(request: dict[str, Any]) -> dict[str, Any]:
    """The parts of a SendGrid v3 mail/send body a test cares about."""
    body = request["json"]
    return {
        "to": [to["email"] for p in body["personalizations"] for to in p["to"]],
        "from": body["from"]["email"],
        "subject": body["subject"],
        "content": {c["type"]: c["value"] for c in body["content"]},
    }


def test_enqueue_email_puts_one_job_on_the_email_queue(aws_resources: dict[str, str]) -> None:
    # WHEN an API handler queues a verification code
    [job] = enqueue_email("verification_code", "ada@example.com", CODE_VARS)

    # THEN exactly that job is on the email queue, as JSON
    messages = _sqs().receive_message(QueueUrl=aws_resources["EmailQueue"], MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    assert NotificationJob.model_validate_json(messages[0]["Body"]) == job
    assert json.loads(messages[0]["Body"])["template"] == "verification_code"


def test_worker_sends_the_email_once_through_sendgrid(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker
) -> None:
    # GIVEN a queued verification code
    enqueue_email("verification_code", "ada@example.com", {**CODE_VARS, "name": "Ada"})
    event = _receive_event(aws_resources)

    # WHEN the worker handles the batch
    response = worker(event)

    # THEN no record failed and SendGrid got exactly one well-formed request
    assert response == {"batchItemFailures": []}
    assert len(sendgrid.requests) == 1
    request = sendgrid.requests[0]
    assert request["path"] == "/v3/mail/send"
    assert request["authorization"] == "Bearer SG.test-key"
    mail = _mail(request)
    assert mail["to"] == ["ada@example.com"]
    assert mail["from"] == get_settings().email_from
    assert mail["subject"] == "Your Souk verification code"
    assert "Hi Ada," in mail["content"]["text/plain"] and "482913" in mail["content"]["text/plain"]
    assert "482913" in mail["content"]["text/html"]


def test_a_malformed_record_fails_alone(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker, failure_logs: list[logging.LogRecord]
) -> None:
    # GIVEN a batch with a body that is not a job, then a good job
    _put_raw(aws_resources, "{not json")
    enqueue_email("broadcast", "ada@example.com", {"subject": "Hello", "body": "News"})
    event = _receive_event(aws_resources)
    bad, good = (r["messageId"] for r in sorted(event["Records"], key=lambda r: r["body"].startswith('{"')))

    # WHEN the worker handles it
    response = worker(event)

    # THEN only the malformed record is reported failed, and the good one was sent
    assert response == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert good != bad
    assert [_mail(r)["subject"] for r in sendgrid.requests] == ["Hello"]
    # AND the failure was logged as permanent, with its message id
    [log] = failure_logs
    assert log.levelno == logging.ERROR and "permanently" in log.getMessage()
    assert log.__dict__["message_id"] == bad


@pytest.mark.parametrize(
    ("template_name", "variables", "error_type"),
    [
        ("no_such_template", {}, "UnknownTemplateError"),
        ("verification_code", {"code": "482913"}, "MissingVariableError"),
    ],
)
def test_an_unrenderable_job_is_a_logged_permanent_failure(
    aws_resources: dict[str, str],
    sendgrid: FakeSendGrid,
    worker: Worker,
    failure_logs: list[logging.LogRecord],
    template_name: str,
    variables: dict[str, Any],
    error_type: str,
) -> None:
    # GIVEN a well-formed job that bypassed enqueue_email's checks
    job = NotificationJob(channel="email", template=template_name, to="ada@example.com", variables=variables,
                          idempotency_id="raw-1")  # fmt: skip
    _put_raw(aws_resources, job.model_dump_json())
    event = _receive_event(aws_resources)

    # WHEN the worker handles it
    response = worker(event)

    # THEN it fails without a send, logged as permanent with the reason and without the code
    assert response == {"batchItemFailures": [{"itemIdentifier": _ids(event)[0]}]}
    assert sendgrid.requests == []
    [log] = failure_logs
    assert log.levelno == logging.ERROR
    assert log.__dict__["error_type"] == error_type
    assert "482913" not in json.dumps(log.__dict__, default=str)


def test_sendgrid_5xx_fails_the_record_and_the_retry_sends_it(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker, failure_logs: list[logging.LogRecord]
) -> None:
    # GIVEN SendGrid answering 500
    enqueue_email("verification_code", "ada@example.com", CODE_VARS)
    event = _receive_event(aws_resources)
    sendgrid.status = 500

    # WHEN the worker handles the message
    first = worker(event)

    # THEN the record is reported failed (SQS will retry it), logged as retryable
    assert first == {"batchItemFailures": [{"itemIdentifier": _ids(event)[0]}]}
    assert failure_logs[0].levelno == logging.WARNING
    assert failure_logs[0].__dict__["error_type"] == "ProviderUnavailableError"

    # WHEN SendGrid recovers and SQS redelivers the same message
    sendgrid.status = 202
    second = worker(event)

    # THEN the failed attempt left no idempotency record behind: the retry sends it
    assert second == {"batchItemFailures": []}
    assert len(sendgrid.requests) == 2


def test_sendgrid_4xx_is_a_permanent_failure(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker, failure_logs: list[logging.LogRecord]
) -> None:
    # GIVEN SendGrid refusing the request
    sendgrid.status = 400
    enqueue_email("verification_code", "ada@example.com", CODE_VARS)
    event = _receive_event(aws_resources)

    # WHEN the worker handles it
    response = worker(event)

    # THEN the record fails (towards the DLQ) and the log says why, without the address
    assert response == {"batchItemFailures": [{"itemIdentifier": _ids(event)[0]}]}
    [log] = failure_logs
    assert log.levelno == logging.ERROR
    assert log.__dict__["error_type"] == "EmailRejectedError"
    assert "400" in log.__dict__["error"] and "The to email is invalid." in log.__dict__["error"]


def test_sendgrid_unreachable_is_retryable(
    aws_resources: dict[str, str],
    worker: Worker,
    failure_logs: list[logging.LogRecord],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN SENDGRID_API_BASE pointing at a port nobody listens on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SENDGRID_API_BASE", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    enqueue_email("verification_code", "ada@example.com", CODE_VARS)
    event = _receive_event(aws_resources)

    # WHEN the worker handles the message
    response = worker(event)

    # THEN the record fails as retryable
    assert response == {"batchItemFailures": [{"itemIdentifier": _ids(event)[0]}]}
    assert failure_logs[0].levelno == logging.WARNING
    assert failure_logs[0].__dict__["error_type"] == "ProviderUnavailableError"


def test_a_redelivered_message_is_sent_once(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker
) -> None:
    # GIVEN a message the worker already sent
    enqueue_email("verification_code", "ada@example.com", CODE_VARS)
    event = _receive_event(aws_resources)
    assert worker(event) == {"batchItemFailures": []}

    # WHEN SQS delivers the same message again (e.g. the delete after the batch was lost)
    again = worker(event)

    # THEN it succeeds without a second email
    assert again == {"batchItemFailures": []}
    assert len(sendgrid.requests) == 1


def test_the_same_job_enqueued_twice_is_sent_once(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker
) -> None:
    # GIVEN a producer that retried with its stable idempotency id: two SQS messages, one job
    for _ in range(2):
        enqueue_email("verification_code", "ada@example.com", CODE_VARS, idempotency_id="verify:user-1:code-1")
    event = _receive_event(aws_resources)
    assert len(set(_ids(event))) == 2

    # WHEN the worker handles both
    response = worker(event)

    # THEN both succeed and one email goes out
    assert response == {"batchItemFailures": []}
    assert len(sendgrid.requests) == 1


def test_an_idempotency_id_reused_for_another_message_fails_permanently(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker, failure_logs: list[logging.LogRecord]
) -> None:
    # GIVEN a sent job, then a different message under the same id
    enqueue_email("verification_code", "ada@example.com", CODE_VARS, idempotency_id="dup")
    assert worker(_receive_event(aws_resources)) == {"batchItemFailures": []}
    enqueue_email("verification_code", "ada@example.com", {**CODE_VARS, "code": "000000"}, idempotency_id="dup")
    event = _receive_event(aws_resources)

    # WHEN the worker handles it
    response = worker(event)

    # THEN it is not silently dropped as a duplicate: it fails, permanently
    assert response == {"batchItemFailures": [{"itemIdentifier": _ids(event)[0]}]}
    assert len(sendgrid.requests) == 1
    assert failure_logs[-1].__dict__["error_type"] == "IdempotencyValidationError"
    assert failure_logs[-1].levelno == logging.ERROR


def test_an_sms_job_is_published_through_sns(
    aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    # GIVEN a queued SMS code
    enqueue_sms("verification_code", "+14155550100", CODE_VARS)
    event = _receive_event(aws_resources)

    # WHEN the worker handles it
    response = worker(event)

    # THEN SNS published the template's SMS form to that number, and no email went out
    assert response == {"batchItemFailures": []}
    sms = list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())
    assert sms == [("+14155550100", "Your Souk code is 482913. It expires in 10 minutes.")]
    assert sendgrid.requests == []


def test_email_with_phone_sends_both(aws_resources: dict[str, str], sendgrid: FakeSendGrid, worker: Worker) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    # GIVEN a registration code for an address and a phone
    enqueue_email("verification_code", "ada@example.com", CODE_VARS, phone="+14155550100")

    # WHEN the worker handles the batch
    response = worker(_receive_event(aws_resources))

    # THEN one email and one SMS went out
    assert response == {"batchItemFailures": []}
    assert [_mail(r)["to"] for r in sendgrid.requests] == [["ada@example.com"]]
    assert [phone for phone, _ in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values()] == ["+14155550100"]
