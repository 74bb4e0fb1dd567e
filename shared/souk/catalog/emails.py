"""Catalog's messages to store owners: a store's status changed, a variant runs low on stock.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="store_status_changed",
        subject="Your store $store_name is now $status",
        text=("Hi,\n\nThe status of your store $store_name changed to $status.\n\nReason: $reason" + FOOTER),
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
            "$stock left, threshold $threshold." + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p><strong>$product_name</strong> ($variant_sku) in $store_name is running low: "
            "<strong>$stock</strong> left, threshold $threshold.</p>"
        ),
        sms="Souk: $product_name ($variant_sku) is low on stock: $stock left.",
    ),
]
