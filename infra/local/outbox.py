"""The local outbox: every email and SMS the app sends lands in one JSON-lines file.

Locally nothing is delivered. Emails reach a fake SendGrid endpoint served by the runner
(the app keeps using the real SDK, only its ``host`` differs) and SMS stay inside moto's
SNS; both are copied here so a developer (and the e2e tests) can read what was sent.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from souk.http.envelope import utc_now_iso

CHANNELS = ("email", "sms")
logger = logging.getLogger(__name__)


class SendGridRequestError(ValueError):
    """A mail/send body SendGrid itself would refuse with 400."""

    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        super().__init__(message)


class Outbox:
    """Append-only JSON-lines file, newest last; the file is the truth so it survives restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)
        self.appended = {channel: 0 for channel in CHANNELS}

    def append(self, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Stamp each entry with an id and time, and write it as one line."""
        stamped = [{"id": uuid.uuid4().hex, "at": utc_now_iso(), **entry} for entry in entries]
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            for entry in stamped:
                handle.write(json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n")
                self.appended[entry["channel"]] = self.appended.get(entry["channel"], 0) + 1
        return stamped

    def entries(self, *, to: str | None = None, channel: str | None = None) -> list[dict[str, Any]]:
        """Every entry matching the filters, newest first."""
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        found = [json.loads(line) for line in reversed(lines) if line.strip()]
        if channel:
            found = [e for e in found if e.get("channel") == channel]
        if to:
            found = [e for e in found if str(e.get("to", "")).lower() == to.lower()]
        return found

    def clear(self) -> int:
        """Empty the file; returns how many entries were dropped."""
        with self._lock:
            dropped = sum(1 for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip())
            self.path.write_text("", encoding="utf-8")
        return dropped


# ---------------------------------------------------------------------------- SendGrid


def _address(value: Any, field: str) -> tuple[str, str | None]:
    """SendGrid's ``{"email": ..., "name": ...}`` object as (email, name)."""
    if not isinstance(value, dict) or not isinstance(value.get("email"), str) or "@" not in value["email"]:
        raise SendGridRequestError(field, "Does not contain a valid address.")
    return value["email"], value.get("name")


def _content(payload: dict[str, Any]) -> dict[str, str]:
    """content[] by MIME type: ``text/plain`` and ``text/html`` are the ones we keep."""
    return {
        str(part.get("type")): str(part.get("value", ""))
        for part in payload.get("content") or []
        if isinstance(part, dict)
    }


def sendgrid_messages(payload: Any) -> list[dict[str, Any]]:
    """One outbox entry per recipient (to, cc and bcc) of a SendGrid v3 mail/send body.

    Checks the few things SendGrid refuses, so a broken call fails locally as it would in AWS.
    """
    if not isinstance(payload, dict):
        raise SendGridRequestError(None, "The request body must be a JSON object.")
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        raise SendGridRequestError("personalizations", "The personalizations field is required.")
    sender, sender_name = _address(payload.get("from"), "from.email")
    content = _content(payload)
    if not payload.get("template_id") and not content and not payload.get("subject"):
        raise SendGridRequestError("content", "Unless a valid template_id is provided, content is required.")
    common = {
        "channel": "email",
        "from": sender,
        "fromName": sender_name,
        "text": content.get("text/plain"),
        "html": content.get("text/html"),
        "templateId": payload.get("template_id"),
        "categories": payload.get("categories"),
        "attachments": [a.get("filename") for a in payload.get("attachments") or [] if isinstance(a, dict)] or None,
    }
    entries: list[dict[str, Any]] = []
    for index, personalization in enumerate(personalizations):
        if not isinstance(personalization, dict) or not personalization.get("to"):
            raise SendGridRequestError(f"personalizations.{index}.to", "The to array is required.")
        subject = personalization.get("subject") or payload.get("subject")
        data = personalization.get("dynamic_template_data") or personalization.get("substitutions")
        for kind in ("to", "cc", "bcc"):
            for recipient in personalization.get(kind) or []:
                email, name = _address(recipient, f"personalizations.{index}.{kind}")
                entry = {**common, "to": email, "toName": name, "recipientType": kind, "subject": subject,
                         "data": data}  # fmt: skip
                entries.append({k: v for k, v in entry.items() if v is not None})
    return entries


# ---------------------------------------------------------------------------- SMS


@dataclass(frozen=True)
class Sms:
    message_id: str
    phone_number: str
    message: str
    sender_id: str | None


def moto_sms() -> list[Sms]:
    """Every SMS moto's in-process SNS has accepted, across accounts and regions.

    moto 5 keeps them on ``sns_backends[account][region].sms_messages`` as
    ``message_id -> (phone_number, message)``, oldest first.
    """
    from moto.sns.models import sns_backends

    found = []
    # Copies: moto's server thread may add accounts, regions or messages meanwhile.
    for regions in list(sns_backends.values()):
        for backend in list(regions.values()):
            sender = backend.sms_attributes.get("DefaultSenderID")
            for message_id, (phone, message) in list(backend.sms_messages.items()):
                found.append(Sms(message_id, phone, message, sender))
    return found


class SmsHarvester(threading.Thread):
    """Copies new SMS from moto into the outbox every ``interval`` seconds.

    The app publishes with ``sns.publish(PhoneNumber=...)`` exactly as in AWS; moto
    accepts it and keeps it in memory, and this thread is how it reaches the outbox.
    """

    def __init__(
        self,
        outbox: Outbox,
        stop: threading.Event,
        *,
        source: Callable[[], list[Sms]] = moto_sms,
        interval: float = 0.5,
    ) -> None:
        super().__init__(name="sms-harvester", daemon=True)
        self.outbox = outbox
        self.stop_event = stop
        self.source = source
        self.interval = interval
        self._seen: set[str] = set()

    def harvest(self) -> int:
        """Append the SMS not seen yet; returns how many."""
        new = [sms for sms in self.source() if sms.message_id not in self._seen]
        self.outbox.append(
            {
                "channel": "sms",
                "to": sms.phone_number,
                "from": sms.sender_id,
                "subject": None,
                "text": sms.message,
                "html": None,
                "messageId": sms.message_id,
            }
            for sms in new
        )
        self._seen.update(sms.message_id for sms in new)
        return len(new)

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self._harvest_logged()
        self._harvest_logged()  # the last ones published before shutdown

    def _harvest_logged(self) -> None:
        # One bad read of moto's internals must not end the thread for the whole session.
        try:
            self.harvest()
        except Exception:
            logger.exception("could not copy SMS from moto into the outbox")
