"""Notify's values: a message template as a domain declares it, a rendered message, and a queued job.

Domains declare their templates (``souk/<domain>/emails.py``, a list ``TEMPLATES`` of
:class:`MessageTemplate`) with this module alone: it is plain data and costs nothing to import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from string import Template
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Value = str | int | float
Channel = Literal["email", "sms"]

# The signature every text body ends with.
FOOTER = "\n\n-- \nSouk"

# Deliberately loose: SendGrid does the real address validation; this catches a phone
# number in an email job or an empty string before it costs a send.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready to send."""

    subject: str
    text: str
    html: str
    sms: str


@dataclass(frozen=True)
class MessageTemplate:
    """One kind of message.

    Parameters
    ----------
    name
        Registry key, e.g. ``"verification_code"``; unique across the domains.
    subject, text, html
        ``string.Template`` sources. ``html`` is the inner body; :func:`souk.notify.templates.render`
        wraps it in the shared layout.
    sms
        Short form for SMS; the text body is used when it is ``None``.
    defaults
        Values for optional variables.
    """

    name: str
    subject: str
    text: str
    html: str
    sms: str | None = None
    defaults: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def variables(self) -> frozenset[str]:
        """Every placeholder used by any part of the template."""
        parts = (self.subject, self.text, self.html, self.sms or "")
        return frozenset(name for part in parts for name in Template(part).get_identifiers())

    @cached_property
    def required(self) -> frozenset[str]:
        """Placeholders without a default: a job must supply them."""
        return self.variables - self.defaults.keys()


class NotificationJob(BaseModel):
    """One message to send: the body of an ``email`` queue message.

    ``idempotency_id`` is what the worker deduplicates on: an SQS redelivery carries the
    same body, hence the same id, and a producer that retries with its own stable id
    (e.g. ``f"verify:{user_id}:{code_id}"``) is deduplicated too.
    """

    model_config = ConfigDict(frozen=True)

    channel: Channel
    template: str = Field(min_length=1, max_length=64)
    to: str = Field(min_length=3, max_length=320)
    variables: dict[str, Value] = Field(default_factory=dict)
    # Required, never defaulted on parse: a default would give each redelivery a new id.
    idempotency_id: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _recipient_fits_channel(self) -> NotificationJob:
        pattern = _EMAIL if self.channel == "email" else _E164
        if not pattern.match(self.to):
            # The address itself stays out of the message: validation errors get logged.
            raise ValueError(f"'to' is not a valid {'email address' if self.channel == 'email' else 'E.164 number'}")
        return self
