"""Teams' messages: an invitation to join a team, with its one-time token (valid 7 days).

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
            "Accept the invitation here (within 7 days, signed in with this email address):\n$accept_url\n\n"
            "Invitation code: $token" + FOOTER
        ),
        html=(
            "<p>Hi,</p>\n"
            "<p>$inviter_name invited you to join the team <strong>$team_name</strong> on Souk as $role.</p>\n"
            '<p><a href="$accept_url">Accept the invitation</a> (within 7 days, signed in with this email '
            "address)</p>\n"
            "<p>Invitation code: <code>$token</code></p>"
        ),
        sms="Souk: $inviter_name invited you to $team_name.",
    ),
]
