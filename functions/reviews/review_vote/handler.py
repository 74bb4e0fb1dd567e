"""POST /api/v1/reviews/{reviewId}/votes: a customer marks a published review helpful, once."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import DuplicateEntry, NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.reviews.schemas import VoteOut
from souk.reviews.service import votes

app = create_app()


@app.post("/api/v1/reviews/<reviewId>/votes", status_code=201, summary="Vote a review helpful", tags=["Reviews"],
          description="Once per user and review (409 on a second); not on your own review (422).",
          openapi_extensions=raises(NotFound, DuplicateEntry, UnprocessableEntity))  # fmt: skip
def vote_review(
    review_id: Annotated[str, Path(alias="reviewId", max_length=64)],
    caller: Annotated[Principal, Depends(require_roles("customer"))],
) -> Envelope[VoteOut]:
    return ok(votes.vote(caller, review_id))


lambda_handler = entrypoint(app)
