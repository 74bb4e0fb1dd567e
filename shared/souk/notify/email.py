"""Email through SendGrid's official SDK.

``sendgrid`` is imported inside :func:`send_email`, never at module level: only the email
worker pays for it at cold start. ``SENDGRID_API_BASE`` points the SDK at another host:
the local runner's fake SendGrid (which writes the dev outbox) or a test's fake server.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

from souk.notify.exceptions import EmailRejectedError, NotificationConfigError, ProviderUnavailableError
from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from sendgrid import SendGridAPIClient

    from souk.notify.schemas import RenderedMessage

SENDGRID_HOST = "https://api.sendgrid.com"
# Inside the email worker's 10 s Timeout (one message per invocation, template.yaml), so a
# stuck send fails as itself rather than as a timed-out invocation; SQS retries it a minute
# later, and idempotency keeps it single.
TIMEOUT_SECONDS = 5.0
_SECRET_MAX_AGE = 300
_LOCAL_KEY = "SG.local-development-key"


def api_key() -> str:
    """The SendGrid API key: ``SENDGRID_API_KEY``, else the secret named by ``SENDGRID_SECRET_NAME``.

    The secret may hold the key itself or JSON with an ``apiKey`` field. Local stages
    fall back to a dummy key (the fake SendGrid does not check it).

    Raises
    ------
    NotificationConfigError
        Neither is set outside local stages.
    """
    settings = get_settings()
    if settings.sendgrid_api_key:
        return settings.sendgrid_api_key
    if settings.sendgrid_secret_name:
        # Deferred for cold start, like souk.secrets does; Powertools caches the value for 5 minutes.
        from aws_lambda_powertools.utilities import parameters

        raw = str(parameters.get_secret(settings.sendgrid_secret_name, max_age=_SECRET_MAX_AGE)).strip()
        if raw.startswith("{"):
            document = json.loads(raw)
            raw = str(document.get("apiKey") or document.get("api_key") or "")
        if raw:
            return raw
        raise NotificationConfigError("the SendGrid secret holds no API key")
    if settings.is_local:
        return _LOCAL_KEY
    raise NotificationConfigError("SENDGRID_API_KEY or SENDGRID_SECRET_NAME must be set")


@lru_cache(maxsize=4)
def _client(key: str, host: str) -> SendGridAPIClient:
    # Keyed on key and host: a rotated secret or another test server gets a new client.
    # Deferred for cold start: the SendGrid SDK loads with the first send.
    from sendgrid import SendGridAPIClient

    client = SendGridAPIClient(api_key=key, host=host)
    # The SDK has no timeout by default; python_http_client copies this to every request.
    client.client.timeout = TIMEOUT_SECONDS
    return client


on_restore(_client.cache_clear)  # SnapStart: no client outlives a restore


def send_email(to: str, message: RenderedMessage) -> str | None:
    """Send one rendered message to one address.

    Parameters
    ----------
    to
        Recipient address.
    message
        Output of :func:`souk.notify.templates.render`.

    Returns
    -------
    str | None
        SendGrid's ``X-Message-Id``, when it returns one.

    Raises
    ------
    ProviderUnavailableError
        5xx, 429, timeout or connection failure: worth retrying.
    EmailRejectedError
        Any other 4xx: the request itself is wrong, retrying will not help.
    NotificationConfigError
        No API key is configured.
    """
    # Deferred for cold start: the SendGrid SDK loads with the first send.
    from python_http_client.exceptions import HTTPError
    from sendgrid.helpers.mail import Mail

    settings = get_settings()
    client = _client(api_key(), settings.sendgrid_api_base or SENDGRID_HOST)
    mail = Mail(
        from_email=settings.email_from,
        to_emails=to,
        subject=message.subject,
        plain_text_content=message.text,
        html_content=message.html,
    )
    try:
        response = client.send(mail)
    except HTTPError as exc:
        status = int(exc.status_code)
        if status >= 500 or status == 429:
            raise ProviderUnavailableError(f"SendGrid answered {status}") from exc
        raise EmailRejectedError(f"SendGrid rejected the message with {status}: {_error_summary(exc)}") from exc
    except OSError as exc:
        # urllib's URLError, socket timeouts and refused connections are all OSErrors.
        raise ProviderUnavailableError(f"SendGrid unreachable: {type(exc).__name__}") from exc
    headers = response.headers
    return headers.get("X-Message-Id") if headers is not None else None


def _error_summary(exc: Exception) -> str:
    # SendGrid's 4xx body says which field is wrong ("The to email does not contain a valid
    # address."); it names the field, not its value, so it is safe and useful in the log.
    try:
        errors = json.loads(exc.body)["errors"]  # type: ignore[attr-defined]
        return "; ".join(str(error.get("message", "")) for error in errors)[:300]
    except (AttributeError, KeyError, TypeError, ValueError):
        return "no details"
