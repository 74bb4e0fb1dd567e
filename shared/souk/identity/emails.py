"""Identity's messages: account verification codes and password resets.

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="verification_code",
        subject="Your Souk verification code",
        text=(
            "Hi $name,\n\nYour Souk verification code is $code.\n"
            "It expires in $expires_in_minutes minutes.\n\n"
            "If you did not ask for this code, you can ignore this email." + FOOTER
        ),
        html=(
            "<p>Hi $name,</p>\n"
            "<p>Your Souk verification code is</p>\n"
            '<p style="font-size:28px;font-weight:bold;letter-spacing:4px">$code</p>\n'
            "<p>It expires in $expires_in_minutes minutes.</p>\n"
            "<p>If you did not ask for this code, you can ignore this email.</p>"
        ),
        sms="Your Souk code is $code. It expires in $expires_in_minutes minutes.",
        defaults={"name": "there"},
    ),
    MessageTemplate(
        name="password_reset",
        subject="Reset your Souk password",
        text=(
            "Hi $name,\n\nSomeone asked to reset the password of your Souk account.\n"
            "Open this link to choose a new one:\n$reset_url\n\n"
            "or use this reset code: $token\n\n"
            "The link expires in $expires_in_minutes minutes. "
            "If it was not you, ignore this email: your password stays the same." + FOOTER
        ),
        html=(
            "<p>Hi $name,</p>\n"
            "<p>Someone asked to reset the password of your Souk account.</p>\n"
            '<p><a href="$reset_url">Choose a new password</a></p>\n'
            "<p>or use this reset code: <code>$token</code></p>\n"
            "<p>The link expires in $expires_in_minutes minutes. "
            "If it was not you, ignore this email: your password stays the same.</p>"
        ),
        sms="Your Souk password reset code is $token. It expires in $expires_in_minutes minutes.",
        defaults={"name": "there"},
    ),
]
