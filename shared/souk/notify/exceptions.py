"""Errors of the notify package.

Each error says whether trying again can help (``retryable``). The queue consumer reads
that flag only to decide how loudly to log: every failed record is reported back to SQS,
which retries it until the queue's ``maxReceiveCount`` moves it to the dead-letter queue.
Messages never carry variable values (codes, tokens, addresses), so they are safe to log.
"""

from __future__ import annotations


class NotificationError(Exception):
    """Base of every notify error."""

    retryable: bool = True


class PermanentNotificationError(NotificationError):
    """The job itself is wrong (unknown template, missing variable, rejected recipient)."""

    retryable = False


class RetryableNotificationError(NotificationError):
    """The provider or our configuration failed; the same job may succeed later."""

    retryable = True


class TemplateError(PermanentNotificationError):
    """A message could not be rendered."""


class UnknownTemplateError(TemplateError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown notification template {name!r}")
        self.name = name


class MissingVariableError(TemplateError):
    def __init__(self, name: str, missing: list[str]) -> None:
        super().__init__(f"template {name!r} is missing variables: {', '.join(missing)}")
        self.name = name
        self.missing = missing


class EmailRejectedError(PermanentNotificationError):
    """SendGrid refused the message (4xx other than 429): retrying sends the same bad request."""


class SmsRejectedError(PermanentNotificationError):
    """SNS refused the SMS (invalid number, opted out...)."""


class ProviderUnavailableError(RetryableNotificationError):
    """SendGrid or SNS answered 5xx or 429, timed out or could not be reached."""


class NotificationConfigError(RetryableNotificationError):
    """A key or queue URL is missing. Retryable: the job is fine once the configuration is fixed."""


class EnqueueError(NotificationError):
    """The job could not be put on the email queue."""
