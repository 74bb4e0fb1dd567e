"""Notify's own messages: a broadcast (any subject and body). The team invitation is
:mod:`souk.teams.emails`'s.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="broadcast",
        subject="$subject",
        text="$body" + FOOTER,
        html="<p>$body</p>",
        sms="$body",
    ),
]
