"""Orders' messages: to the customer (paid, status moves) and to the store owner (a new paid order).

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="order_status_changed",
        subject="Your order $order_id is $status",
        text=("Hi,\n\nYour order $order_id from $store_name is now $status.\n\n$detail" + FOOTER),
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
            "We will tell you when it is ready." + FOOTER
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
            "Accept it to start preparing." + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p><strong>$store_name</strong> has a new paid order <strong>$order_id</strong>: "
            "$total for $items item(s).</p>\n"
            "<p>Accept it to start preparing.</p>"
        ),
        sms="Souk: new order $order_id for $store_name ($total).",
    ),
]
