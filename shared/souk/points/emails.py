"""Loyalty points' messages: a lot about to expire (to its owner, ``reminderDays`` before).

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="points_expiring",
        subject="$points Souk points expire on $date",
        text="Hi,\n\n$points of your loyalty points expire on $date (UTC).\nRedeem them at checkout before then."
        + FOOTER,
        html=(
            "<p>Hi,</p>\n"
            "<p><strong>$points</strong> of your loyalty points expire on $date (UTC).</p>\n"
            "<p>Redeem them at checkout before then.</p>"
        ),
        sms="Souk: $points points expire on $date.",
    ),
]
