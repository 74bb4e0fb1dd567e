"""`make run` end to end: the runner as a subprocess, driven over HTTP like a developer would."""

from __future__ import annotations

import ipaddress
import json
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail

from infra import template
from tests.e2e.client import PASSWORD, call, emailed_code
from tests.e2e.conftest import Reply, RunnerProcess, http, wait_for

pytestmark = pytest.mark.e2e


def outbox(runner: RunnerProcess, **filters: str) -> Reply:
    query = f"?{urlencode(filters)}" if filters else ""
    return http("GET", runner.url(f"/api/_dev/outbox{query}"))


def assert_error_envelope(reply: Reply, status: int, code: str) -> dict:
    assert reply.status == status, (reply.status, reply.body[:300])
    payload = reply.json
    assert payload["success"] is False
    assert payload["error"]["code"] == code
    assert payload["meta"]["requestId"] == reply.headers["X-Request-Id"]
    return payload


def unique_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}@example.com"


# ---------------------------------------------------------------------------- template routes


def test_health_is_ok_with_every_dependency_reachable(runner: RunnerProcess) -> None:
    # WHEN
    reply = http("GET", runner.url("/api/health"))
    # THEN
    assert reply.status == 200
    checks = reply.json["data"]["checks"]
    assert set(checks) == {"table", "uploadsBucket", "exportsBucket", "emailQueue", "payoutsQueue", "exportsQueue"}
    assert all(check["ok"] for check in checks.values()), checks
    assert reply.json["meta"]["requestId"] == reply.headers["X-Request-Id"]


def test_banner_names_the_urls_and_the_dynamodb_engine(runner: RunnerProcess) -> None:
    output = runner.output()
    assert f"{runner.base_url}/api/docs" in output
    assert f"{runner.base_url}/api/_dev/outbox" in output
    engine = "DynamoDB Local" if runner.uses_dynamodb_local else "moto"
    assert f"DynamoDB    {engine}:" in output


def test_each_request_is_logged_on_one_line(runner: RunnerProcess) -> None:
    # WHEN
    http("GET", runner.url("/api/version?probe=1"))
    # THEN a line with method, path, status and duration
    line = wait_for(lambda: next((x for x in runner.output().splitlines() if "GET /api/version?probe=1 " in x), None))
    assert line is not None, runner.output()[-2000:]
    assert line.split()[-2:][0] == "200" and line.endswith("ms")


def listening_addresses(port: int) -> set[str]:
    """The local addresses sockets listen on at ``port`` (Linux /proc), IPv4 and IPv6."""
    found = set()
    for table, size in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                words = [bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, size, 8)]
                ip = ipaddress.ip_address(b"".join(words))
                found.add(str(getattr(ip, "ipv4_mapped", None) or ip))  # ::ffff:127.0.0.1 is 127.0.0.1
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket tables")
def test_every_local_service_listens_on_the_loopback_interface_only(runner: RunnerProcess) -> None:
    ports = {"API": runner.port, "moto": runner.moto_port, "localstripe": runner.stripe_port}
    if runner.uses_dynamodb_local:
        ports["DynamoDB Local"] = runner.dynamodb_port
    loopback = {"127.0.0.1", "::1"}
    listening = {name: listening_addresses(port) for name, port in ports.items()}
    assert all(listening.values()) and all(found <= loopback for found in listening.values()), listening


def test_docs_page_is_html_served_offline(runner: RunnerProcess) -> None:
    reply = http("GET", runner.url("/api/docs"))
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"SwaggerUIBundle" in reply.body


def test_unknown_route_is_404_in_the_envelope(runner: RunnerProcess) -> None:
    payload = assert_error_envelope(http("GET", runner.url("/api/v1/nothing-here")), 404, "NOT_FOUND")
    assert payload["error"]["message"]


def test_body_over_ten_megabytes_is_413(runner: RunnerProcess) -> None:
    # GIVEN a body one byte over API Gateway's limit
    body = b"x" * (10 * 1024 * 1024 + 1)
    # WHEN
    reply = http("POST", runner.url("/api/health"), body=body, headers={"Content-Type": "application/json"})
    # THEN
    assert_error_envelope(reply, 413, "PAYLOAD_TOO_LARGE")
    # and the connection-level handling left the server healthy
    assert http("GET", runner.url("/api/health")).status == 200


# ---------------------------------------------------------------------------- outbox: email


def test_email_sent_with_the_sendgrid_sdk_lands_in_the_outbox(runner: RunnerProcess) -> None:
    # GIVEN the real SDK pointed at the runner, as SENDGRID_API_BASE does for the app
    to = unique_email()
    client = SendGridAPIClient(api_key="SG.e2e", host=runner.url("/_dev/sendgrid"))
    mail = Mail(from_email="no-reply@souk.example", to_emails=to, subject="Your code",
                plain_text_content="Your code is 424242", html_content="<p>Your code is <b>424242</b></p>")  # fmt: skip
    # WHEN
    response = client.send(mail)
    # THEN SendGrid's answer
    assert response.status_code == 202
    assert response.headers.get("X-Message-Id")
    # and the dev route shows it, in the list envelope
    reply = outbox(runner, to=to)
    assert reply.status == 200
    payload = reply.json
    assert payload["success"] is True and payload["pagination"]["hasNext"] is False
    [entry] = payload["data"]
    assert entry["channel"] == "email" and entry["to"] == to and entry["from"] == "no-reply@souk.example"
    assert entry["subject"] == "Your code"
    assert entry["text"] == "Your code is 424242"
    assert entry["html"] == "<p>Your code is <b>424242</b></p>"
    assert entry["at"].endswith("Z")
    # and the JSON-lines file holds the same entry
    lines = [json.loads(x) for x in (runner.local_dir / "outbox.jsonl").read_text().splitlines()]
    assert entry in lines


def test_one_outbox_entry_per_recipient_newest_first_with_paging(runner: RunnerProcess) -> None:
    # GIVEN one message to two people, then a second one to the first of them
    first, second = unique_email(), unique_email()
    client = SendGridAPIClient(api_key="SG.e2e", host=runner.url("/_dev/sendgrid"))
    client.send(Mail(from_email="a@souk.example", to_emails=[first, second], subject="one", plain_text_content="1"))
    client.send(Mail(from_email="a@souk.example", to_emails=first, subject="two", plain_text_content="2"))
    # WHEN
    page_one = outbox(runner, to=first, limit="1").json
    page_two = outbox(runner, to=first, limit="1", cursor=page_one["pagination"]["nextCursor"]).json
    # THEN
    assert [e["subject"] for e in outbox(runner, to=second).json["data"]] == ["one"]
    assert [e["subject"] for e in page_one["data"]] == ["two"]
    assert page_one["pagination"] == {"limit": 1, "nextCursor": page_one["pagination"]["nextCursor"], "hasNext": True}
    assert [e["subject"] for e in page_two["data"]] == ["one"]
    assert page_two["pagination"]["hasNext"] is False and page_two["pagination"]["nextCursor"] is None


def test_fake_sendgrid_refuses_what_sendgrid_refuses(runner: RunnerProcess) -> None:
    url = runner.url("/_dev/sendgrid/v3/mail/send")
    body = json.dumps({"personalizations": [{"to": [{"email": "x@example.com"}]}], "subject": "s",
                       "content": [{"type": "text/plain", "value": "t"}]}).encode()  # fmt: skip
    # no API key
    assert http("POST", url, body=body, headers={"Content-Type": "application/json"}).status == 401
    # no sender
    reply = http("POST", url, body=body, headers={"Content-Type": "application/json", "Authorization": "Bearer k"})
    assert reply.status == 400
    assert reply.json["errors"][0]["field"] == "from.email"
    assert outbox(runner, to="x@example.com").json["data"] == []


def test_outbox_rejects_an_unknown_channel(runner: RunnerProcess) -> None:
    payload = assert_error_envelope(outbox(runner, channel="fax"), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "channel"


# ---------------------------------------------------------------------------- outbox: SMS


def test_sms_published_through_sns_lands_in_the_outbox(runner: RunnerProcess) -> None:
    # GIVEN a direct SMS publish, as the app does it
    phone = f"+1555{uuid.uuid4().int % 10_000_000:07d}"
    runner.client("sns").publish(PhoneNumber=phone, Message="Your Souk code is 777111.")
    # WHEN the harvester has had time to copy it
    found = wait_for(lambda: outbox(runner, to=phone, channel="sms").json["data"], timeout=5)
    # THEN
    assert len(found) == 1, found
    assert found[0]["text"] == "Your Souk code is 777111." and found[0]["messageId"]


# ---------------------------------------------------------------------------- queues and workers


def _email_consumer() -> template.QueueConsumer | None:
    return next((c for c in template.queue_consumers() if c.queue == "EmailQueue"), None)


@pytest.mark.skipif(_email_consumer() is None, reason="no consumer on EmailQueue in template.yaml yet")
def test_a_notification_job_on_the_email_queue_is_sent_by_the_worker(runner: RunnerProcess) -> None:
    # GIVEN a job on the email queue, as souk.notify producers enqueue it
    notify = pytest.importorskip("souk.notify.schemas")
    to = unique_email()
    job = notify.NotificationJob(channel="email", template="verification_code", to=to,
                                 variables={"code": "613370", "expires_in_minutes": 10},
                                 idempotency_id=uuid.uuid4().hex)  # fmt: skip
    queues = {q["queue"]: q for q in http("GET", runner.url("/api/_dev/queues")).json["data"]}
    runner.client("sqs").send_message(QueueUrl=queues["EmailQueue"]["url"], MessageBody=job.model_dump_json())
    # WHEN the runner's worker has polled the queue
    found = wait_for(lambda: outbox(runner, to=to).json["data"], timeout=15)
    # THEN the email went out through the fake SendGrid, and the message left the queue
    assert len(found) == 1, runner.output()[-3000:]
    assert "613370" in found[0]["text"] and "613370" in found[0]["html"]

    def drained() -> bool:
        depth = {q["queue"]: q for q in http("GET", runner.url("/api/_dev/queues")).json["data"]}["EmailQueue"]
        return depth["visible"] == 0 and depth["inFlight"] == 0

    assert wait_for(drained, timeout=5)


def test_queues_route_lists_every_queue_with_its_depth(runner: RunnerProcess) -> None:
    reply = http("GET", runner.url("/api/_dev/queues"))
    assert reply.status == 200
    queues = {q["queue"]: q for q in reply.json["data"]}
    assert set(queues) == set(template.queues())
    assert queues["EmailQueue"]["deadLetterQueue"] == "EmailDeadLetterQueue"
    assert queues["EmailDeadLetterQueue"]["isDeadLetterQueue"] is True
    assert all(isinstance(q["visible"], int) for q in queues.values())


def test_redrive_moves_a_dead_letter_queues_messages_back_to_be_processed(runner: RunnerProcess) -> None:
    # GIVEN a notification job that ended in the email dead-letter queue
    notify = pytest.importorskip("souk.notify.schemas")
    to = unique_email()
    job = notify.NotificationJob(channel="email", template="verification_code", to=to,
                                 variables={"code": "271828", "expires_in_minutes": 10},
                                 idempotency_id=uuid.uuid4().hex)  # fmt: skip
    queues = {q["queue"]: q for q in http("GET", runner.url("/api/_dev/queues")).json["data"]}
    runner.client("sqs").send_message(QueueUrl=queues["EmailDeadLetterQueue"]["url"], MessageBody=job.model_dump_json())
    # WHEN it is redriven
    reply = http("POST", runner.url("/api/_dev/queues/EmailDeadLetterQueue/redrive"))
    # THEN it moved back to its source queue, in the envelope, counted
    assert reply.status == 200, reply.body
    assert reply.json["data"] == {"queue": "EmailDeadLetterQueue", "movedTo": "EmailQueue", "moved": 1}
    # and the consumer sends it this time; the dead-letter queue is empty
    found = wait_for(lambda: outbox(runner, to=to).json["data"], timeout=15)
    assert len(found) == 1 and "271828" in found[0]["text"], runner.output()[-3000:]
    depths = {q["queue"]: q for q in http("GET", runner.url("/api/_dev/queues")).json["data"]}
    assert (depths["EmailDeadLetterQueue"]["visible"], depths["EmailDeadLetterQueue"]["inFlight"]) == (0, 0)


def test_redrive_names_a_dead_letter_queue(runner: RunnerProcess) -> None:
    assert_error_envelope(http("POST", runner.url("/api/_dev/queues/Nope/redrive")), 404, "NOT_FOUND")
    payload = assert_error_envelope(http("POST", runner.url("/api/_dev/queues/EmailQueue/redrive")), 400,
                                    "VALIDATION_ERROR")  # fmt: skip
    assert payload["error"]["details"] == [{"field": "name", "message": "EmailQueue is not a dead-letter queue; "
                                                                         "redrive its dead-letter queue, "
                                                                         "EmailDeadLetterQueue."}]  # fmt: skip


# ---------------------------------------------------------------------------- emailed links


def test_links_in_emails_point_at_the_runners_port(runner: RunnerProcess) -> None:
    # GIVEN an active account, on a runner whose PORT is not 3000
    email = unique_email()
    signed_up = call(runner, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "Al"})
    assert signed_up.status == 201, signed_up.body
    verified = call(runner, "POST", "/api/v1/auth/verify", {"email": email, "code": emailed_code(runner, email)})
    assert verified.status == 200, verified.body
    # WHEN a password reset is asked for
    assert call(runner, "POST", "/api/v1/auth/forgot-password", {"email": email}).status == 200

    # THEN its link is on this runner's port
    def reset_mail() -> list[dict]:
        return [e for e in outbox(runner, to=email).json["data"] if "reset-password" in (e.get("text") or "")]

    mails = wait_for(reset_mail, timeout=30)
    assert runner.port != 3000 and len(mails) == 1, runner.output()[-3000:]
    assert f"http://localhost:{runner.port}/reset-password?token=" in mails[0]["text"]


# ---------------------------------------------------------------------------- schedules


def test_schedules_route_lists_the_template_schedules(runner: RunnerProcess) -> None:
    reply = http("GET", runner.url("/api/_dev/schedules"))
    assert reply.status == 200
    assert [s["name"] for s in reply.json["data"]] == [s.name for s in template.schedules()]


@pytest.mark.skipif(not template.schedules(), reason="no schedule in template.yaml yet")
def test_a_template_schedule_fires_on_demand(runner: RunnerProcess) -> None:
    # GIVEN the first schedule the template declares
    name = template.schedules()[0].name
    # WHEN
    reply = http("POST", runner.url(f"/api/_dev/schedules/{name}"))
    # THEN its handler ran with a scheduled event, and the run is recorded
    assert reply.status == 200
    outcome = reply.json["data"]
    assert outcome["name"] == name and outcome["trigger"] == "manual"
    assert outcome["ok"] is True, (outcome, runner.output()[-3000:])
    listed = {s["name"]: s for s in http("GET", runner.url("/api/_dev/schedules")).json["data"]}
    assert listed[name]["runs"] >= 1 and listed[name]["lastRun"]["firedAt"] == outcome["firedAt"]
    assert listed[name]["nextRunAt"] is not None


def test_firing_an_unknown_schedule_is_404(runner: RunnerProcess) -> None:
    assert_error_envelope(http("POST", runner.url("/api/_dev/schedules/nope")), 404, "NOT_FOUND")


# ---------------------------------------------------------------------------- clearing (runs last)


def test_delete_outbox_clears_the_list_and_the_file(runner: RunnerProcess) -> None:
    # GIVEN at least one entry
    client = SendGridAPIClient(api_key="SG.e2e", host=runner.url("/_dev/sendgrid"))
    client.send(Mail(from_email="a@souk.example", to_emails=unique_email(), subject="bye", plain_text_content="x"))
    assert outbox(runner).json["data"]
    # WHEN
    reply = http("DELETE", runner.url("/api/_dev/outbox"))
    # THEN
    assert reply.status == 200 and reply.json["data"]["deleted"] >= 1
    assert outbox(runner).json["data"] == []
    assert (runner.local_dir / "outbox.jsonl").read_text() == ""
