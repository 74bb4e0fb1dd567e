"""Notify's own messages: a broadcast (any subject and body), and the team invitation, which
stays here until the teams domain lands with its own ``emails.py``.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="team_invite",
        subject="$inviter_name invited you to $team_name on Souk",
        text=(
            "Hi,\n\n$inviter_name invited you to join the team $team_name on Souk as $role.\n"
            "Accept the invitation here:\n$accept_url\n\n"
            "Invitation code: $token" + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p>$inviter_name invited you to join the team <strong>$team_name</strong> on Souk as $role.</p>\n"
            '<p><a href="$accept_url">Accept the invitation</a></p>\n'
            "<p>Invitation code: <code>$token</code></p>"
        ),
    ),
    MessageTemplate(
        name="broadcast",
        subject="$subject",
        text="$body" + FOOTER,
        html="<p>$body</p>",
        sms="$body",
    ),
]
