"""Privacy's messages: the confirmation that an account was erased.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="account_deleted",
        subject="Your Souk account was deleted",
        text=(
            "Hi $name,\n\nYour Souk account was deleted as you asked. Your profile, addresses, sessions, "
            "API keys, notifications and files are gone; the orders, ledgers and invoices that the law "
            "requires us to keep remain, with your name and contact details removed.\n\n"
            "You can sign up again with this email address at any time." + FOOTER
        ),
        html=(
            "<p>Hi $name,</p>\n"
            "<p>Your Souk account was deleted as you asked. Your profile, addresses, sessions, API keys, "
            "notifications and files are gone; the orders, ledgers and invoices that the law requires us "
            "to keep remain, with your name and contact details removed.</p>\n"
            "<p>You can sign up again with this email address at any time.</p>"
        ),
        defaults={"name": "there"},
    ),
]
