"""Disputes' and returns' messages: a new message in a dispute and its resolution (to everyone in the
thread), a return's status move (to its customer).

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="dispute_message",
        subject="New message in the dispute about order $order_id",
        text=("Hi,\n\n$author wrote in the dispute about order $order_id:\n\n$body" + FOOTER),
        html=("<p>Hi,</p>\n<p>$author wrote in the dispute about order <strong>$order_id</strong>:</p>\n<p>$body</p>"),
        sms="Souk: new message in the dispute about order $order_id.",
    ),
    MessageTemplate(
        name="dispute_resolved",
        subject="The dispute about order $order_id is $status",
        text=("Hi,\n\nThe dispute about order $order_id is $status: $outcome\n\n$note" + FOOTER),
        html=(
            "<p>Hi,</p>\n"
            "<p>The dispute about order <strong>$order_id</strong> is <strong>$status</strong>: $outcome</p>\n"
            "<p>$note</p>"
        ),
        sms="Souk: the dispute about order $order_id is $status.",
        defaults={"note": ""},
    ),
    MessageTemplate(
        name="return_status_changed",
        subject="Your return for order $order_id is $status",
        text=("Hi,\n\nYour return for order $order_id is now $status.\n\n$detail" + FOOTER),
        html=(
            "<p>Hi,</p>\n"
            "<p>Your return for order <strong>$order_id</strong> is now <strong>$status</strong>.</p>\n"
            "<p>$detail</p>"
        ),
        sms="Souk: your return for order $order_id is $status.",
        defaults={"detail": ""},
    ),
]
