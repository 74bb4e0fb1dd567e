"""Delivery's messages to couriers: the admins' decision on their verification.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="courier_verification_approved",
        subject="You are approved to deliver with Souk",
        text=(
            "Hi $name,\n\nYour courier documents were approved. You can now set yourself available "
            "and receive delivery offers." + FOOTER
        ),
        html=(
            "<p>Hi $name,</p>\n"
            "<p>Your courier documents were <strong>approved</strong>. You can now set yourself available "
            "and receive delivery offers.</p>"
        ),
        sms="Souk: your courier documents were approved. You can now take deliveries.",
    ),
    MessageTemplate(
        name="courier_verification_rejected",
        subject="Your courier documents were not approved",
        text=(
            "Hi $name,\n\nYour courier documents were not approved.\n\nReason: $reason\n\n"
            "You can send new documents from the app for another review." + FOOTER
        ),
        html=(
            "<p>Hi $name,</p>\n"
            "<p>Your courier documents were <strong>not approved</strong>.</p>\n"
            "<p>Reason: $reason</p>\n"
            "<p>You can send new documents from the app for another review.</p>"
        ),
        sms="Souk: your courier documents were not approved: $reason",
    ),
]
