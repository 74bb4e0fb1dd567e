"""Dispatch's messages: to a courier (a delivery offered), to the customer (a courier assigned), and to the
customer and the store owner as the courier picks up, delivers or fails a delivery.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="delivery_offered",
        subject="A delivery for you: order $order_id",
        text=(
            "Hi,\n\nA delivery from $store_name ($distance_km km away) is offered to you: $fee.\n"
            "Accept it within $seconds seconds or it goes to the next courier." + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p>A delivery from <strong>$store_name</strong> ($distance_km km away) is offered to you: "
            "<strong>$fee</strong>.</p>\n"
            "<p>Accept it within $seconds seconds or it goes to the next courier.</p>"
        ),
        sms="Souk: a delivery from $store_name is offered to you ($fee). Accept within $seconds s.",
    ),
    MessageTemplate(
        name="courier_assigned",
        subject="A courier is on the way for order $order_id",
        text=("Hi,\n\n$courier_name will deliver your order $order_id from $store_name." + FOOTER),
        html=(
            "<p>Hi,</p>\n"
            "<p><strong>$courier_name</strong> will deliver your order <strong>$order_id</strong> "
            "from $store_name.</p>"
        ),
        sms="Souk: $courier_name will deliver your order $order_id.",
    ),
    MessageTemplate(
        name="delivery_status_changed",
        subject="Order $order_id: $headline",
        text=("Hi,\n\n$detail" + FOOTER),
        html="<p>Hi,</p>\n<p>$detail</p>",
        sms="Souk: order $order_id $headline.",
    ),
]
