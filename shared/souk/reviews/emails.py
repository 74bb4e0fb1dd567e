"""Reviews' messages: a new review (to the store owner), the store's reply (to the review's author).

Found by convention (:mod:`souk.registry`) by :mod:`souk.notify.templates`: plain data, no other import.
"""

from __future__ import annotations

from souk.notify.schemas import FOOTER, MessageTemplate

TEMPLATES: list[MessageTemplate] = [
    MessageTemplate(
        name="review_received",
        subject="New $rating-star review of $target_name",
        text=('Hi,\n\n$author_name reviewed $target_name: $rating/5, "$title".\nYou can reply once.' + FOOTER),
        html=(
            "<p>Hi,</p>\n"
            "<p>$author_name reviewed <strong>$target_name</strong>: $rating/5, &ldquo;$title&rdquo;.</p>\n"
            "<p>You can reply once.</p>"
        ),
        sms="Souk: new $rating-star review of $target_name.",
    ),
    MessageTemplate(
        name="review_response",
        subject="$store_name replied to your review",
        text=('Hi,\n\n$store_name replied to your review "$title":\n\n$response' + FOOTER),
        html=(
            "<p>Hi,</p>\n"
            "<p><strong>$store_name</strong> replied to your review &ldquo;$title&rdquo;:</p>\n"
            "<p>$response</p>"
        ),
        sms="Souk: $store_name replied to your review.",
    ),
]
