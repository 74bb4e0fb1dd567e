"""Billing's messages: a subscription payment that failed.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="subscription_payment_failed",
        subject="Your $plan subscription payment of $amount failed",
        text=(
            "Hi,\n\nThe payment of $amount for your $plan subscription failed: $reason.\n"
            "Your plan stays on for a grace period while Stripe retries. Update your card or pay the invoice here:\n"
            "$invoice_url" + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p>The payment of <strong>$amount</strong> for your $plan subscription failed: $reason.</p>\n"
            "<p>Your plan stays on for a grace period while Stripe retries. "
            '<a href="$invoice_url">Update your card or pay the invoice</a>.</p>'
        ),
        sms="Souk: your $plan subscription payment of $amount failed. Update your card to keep your plan.",
    ),
]
