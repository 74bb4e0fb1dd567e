"""Message templates: a subject, a text body, an HTML body and a short SMS form each.

Templates use :class:`string.Template` placeholders (``$code``, ``${store_name}``): no
expressions, no attribute access, nothing a variable's value can execute. Every value is
HTML-escaped before it enters the HTML body and flattened to one line before it enters a
subject, so a store name like ``<script>`` or a newline can neither inject markup nor
break a mail header. The registry is plain data, importable by any handler at no cost;
producers call :func:`validate` at enqueue time so a wrong variable name fails in the
API's tests, not in the dead-letter queue.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from string import Template

from souk.notify.exceptions import MissingVariableError, UnknownTemplateError

Value = str | int | float


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
        Registry key, e.g. ``"verification_code"``.
    subject, text, html
        ``string.Template`` sources. ``html`` is the inner body; :func:`render` wraps it
        in the shared layout.
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


_LAYOUT = Template(
    "<!doctype html>\n"
    '<html><body style="font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#222">\n'
    "$body\n"
    '<p style="color:#888;font-size:12px">Souk</p>\n'
    "</body></html>"
)

_FOOTER = "\n\n-- \nSouk"

TEMPLATES: dict[str, MessageTemplate] = {
    t.name: t
    for t in (
        MessageTemplate(
            name="verification_code",
            subject="Your Souk verification code",
            text=(
                "Hi $name,\n\nYour Souk verification code is $code.\n"
                "It expires in $expires_in_minutes minutes.\n\n"
                "If you did not ask for this code, you can ignore this email." + _FOOTER
            ),
            html=(
                "<p>Hi $name,</p>\n"
                "<p>Your Souk verification code is</p>\n"
                '<p style="font-size:28px;font-weight:bold;letter-spacing:4px">$code</p>\n'
                "<p>It expires in $expires_in_minutes minutes.</p>\n"
                "<p>If you did not ask for this code, you can ignore this email.</p>"
            ),
            sms="Your Souk code is $code. It expires in $expires_in_minutes minutes.",
            defaults={"name": "there"},
        ),
        MessageTemplate(
            name="password_reset",
            subject="Reset your Souk password",
            text=(
                "Hi $name,\n\nSomeone asked to reset the password of your Souk account.\n"
                "Open this link to choose a new one:\n$reset_url\n\n"
                "or use this reset code: $token\n\n"
                "The link expires in $expires_in_minutes minutes. "
                "If it was not you, ignore this email: your password stays the same." + _FOOTER
            ),
            html=(
                "<p>Hi $name,</p>\n"
                "<p>Someone asked to reset the password of your Souk account.</p>\n"
                '<p><a href="$reset_url">Choose a new password</a></p>\n'
                "<p>or use this reset code: <code>$token</code></p>\n"
                "<p>The link expires in $expires_in_minutes minutes. "
                "If it was not you, ignore this email: your password stays the same.</p>"
            ),
            sms="Your Souk password reset code is $token. It expires in $expires_in_minutes minutes.",
            defaults={"name": "there"},
        ),
        MessageTemplate(
            name="team_invite",
            subject="$inviter_name invited you to $team_name on Souk",
            text=(
                "Hi,\n\n$inviter_name invited you to join the team $team_name on Souk as $role.\n"
                "Accept the invitation here:\n$accept_url\n\n"
                "Invitation code: $token" + _FOOTER
            ),
            html=(
                "<p>Hi,</p>\n"
                "<p>$inviter_name invited you to join the team <strong>$team_name</strong> on Souk as $role.</p>\n"
                '<p><a href="$accept_url">Accept the invitation</a></p>\n'
                "<p>Invitation code: <code>$token</code></p>"
            ),
        ),
        MessageTemplate(
            name="store_status_changed",
            subject="Your store $store_name is now $status",
            text=("Hi,\n\nThe status of your store $store_name changed to $status.\n\nReason: $reason" + _FOOTER),
            html=(
                "<p>Hi,</p>\n"
                "<p>The status of your store <strong>$store_name</strong> changed to <strong>$status</strong>.</p>\n"
                "<p>Reason: $reason</p>"
            ),
            sms="Souk: your store $store_name is now $status.",
            defaults={"reason": "none given"},
        ),
        MessageTemplate(
            name="low_stock",
            subject="Low stock: $product_name ($variant_sku)",
            text=(
                "Hi,\n\n$product_name ($variant_sku) in $store_name is running low: "
                "$stock left, threshold $threshold." + _FOOTER
            ),
            html=(
                "<p>Hi,</p>\n"
                "<p><strong>$product_name</strong> ($variant_sku) in $store_name is running low: "
                "<strong>$stock</strong> left, threshold $threshold.</p>"
            ),
            sms="Souk: $product_name ($variant_sku) is low on stock: $stock left.",
        ),
        MessageTemplate(
            name="order_status_changed",
            subject="Your order $order_id is $status",
            text=("Hi,\n\nYour order $order_id from $store_name is now $status.\n\n$detail" + _FOOTER),
            html=(
                "<p>Hi,</p>\n"
                "<p>Your order <strong>$order_id</strong> from $store_name is now <strong>$status</strong>.</p>\n"
                "<p>$detail</p>"
            ),
            sms="Souk: your order $order_id is $status.",
            defaults={"detail": ""},
        ),
        MessageTemplate(
            name="order_paid",
            subject="Order $order_id confirmed",
            text=(
                "Hi,\n\nThank you! Your order $order_id from $store_name is paid: $total for $items item(s).\n"
                "We will tell you when it is ready." + _FOOTER
            ),
            html=(
                "<p>Hi,</p>\n"
                "<p>Thank you! Your order <strong>$order_id</strong> from $store_name is paid: "
                "<strong>$total</strong> for $items item(s).</p>\n"
                "<p>We will tell you when it is ready.</p>"
            ),
            sms="Souk: order $order_id is paid ($total).",
        ),
        MessageTemplate(
            name="new_order",
            subject="New order $order_id for $store_name",
            text=(
                "Hi,\n\n$store_name has a new paid order $order_id: $total for $items item(s).\n"
                "Accept it to start preparing." + _FOOTER
            ),
            html=(
                "<p>Hi,</p>\n"
                "<p><strong>$store_name</strong> has a new paid order <strong>$order_id</strong>: "
                "$total for $items item(s).</p>\n"
                "<p>Accept it to start preparing.</p>"
            ),
            sms="Souk: new order $order_id for $store_name ($total).",
        ),
        MessageTemplate(
            name="broadcast",
            subject="$subject",
            text="$body" + _FOOTER,
            html="<p>$body</p>",
            sms="$body",
        ),
    )
}


def get_template(name: str) -> MessageTemplate:
    """The registered template called ``name``.

    Raises
    ------
    UnknownTemplateError
        No template has that name.
    """
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplateError(name) from None


def validate(name: str, variables: Mapping[str, object]) -> MessageTemplate:
    """Check that ``name`` exists and ``variables`` covers its required placeholders.

    Parameters
    ----------
    name
        Template name.
    variables
        Values by placeholder name; extra keys are allowed and ignored.

    Returns
    -------
    MessageTemplate
        The template, for callers that want it.

    Raises
    ------
    UnknownTemplateError, MissingVariableError
    """
    template = get_template(name)
    missing = sorted(template.required - variables.keys())
    if missing:
        raise MissingVariableError(name, missing)
    return template


def _one_line(value: str) -> str:
    # Subjects become a mail header: a CR/LF in a value must not start a new line.
    return " ".join(value.split())


def _html_value(value: str) -> str:
    # Escape first, then keep the author's line breaks (broadcast bodies are multi-line).
    return html.escape(value, quote=True).replace("\n", "<br>\n")


def render(name: str, variables: Mapping[str, object]) -> RenderedMessage:
    """Render template ``name`` with ``variables``.

    Parameters
    ----------
    name
        Template name, a key of :data:`TEMPLATES`.
    variables
        Values by placeholder name. Numbers are formatted with ``str``. Values are
        HTML-escaped in the HTML body and flattened to one line in the subject.

    Returns
    -------
    RenderedMessage

    Raises
    ------
    UnknownTemplateError
        No template has that name.
    MissingVariableError
        A placeholder without a default has no value; lists every missing name.
    """
    template = validate(name, variables)
    values = {**template.defaults, **{key: str(value) for key, value in variables.items()}}
    return RenderedMessage(
        subject=Template(template.subject).substitute({k: _one_line(v) for k, v in values.items()}),
        text=Template(template.text).substitute(values),
        html=_LAYOUT.substitute(
            body=Template(template.html).substitute({k: _html_value(v) for k, v in values.items()})
        ),
        sms=Template(template.sms or template.text).substitute(values),
    )
