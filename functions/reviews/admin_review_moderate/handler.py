"""PATCH /api/v1/admin/reviews/{reviewId}: an admin hides a review (with a reason) or restores it."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import InvalidState, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.reviews.schemas import ModerationIn, ReviewOut
from souk.reviews.service import moderation

app = create_app()


@app.patch("/api/v1/admin/reviews/<reviewId>", summary="Hide or restore a review", tags=["Reviews"],
           description="`hidden` needs a `reason`; the rating of the product or store moves in the same "
                       "transaction. Already in that status: 409 INVALID_STATE.",
           openapi_extensions=raises(NotFound, InvalidState))  # fmt: skip
def moderate_review(
    review_id: Annotated[str, Path(alias="reviewId", max_length=64)],
    body: ModerationIn,
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[ReviewOut]:
    return ok(moderation.moderate(caller, review_id, body))


lambda_handler = entrypoint(app)
