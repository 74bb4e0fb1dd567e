"""POST /api/v1/reviews/{reviewId}/response: the owner of the review's store replies, once."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Conflict, NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.reviews.schemas import ResponseIn, ReviewOut
from souk.reviews.service import responses

app = create_app()


@app.post("/api/v1/reviews/<reviewId>/response", status_code=201, summary="Reply to a review", tags=["Reviews"],
          description="The owner of the review's store, once (409 on a second); another store's review is 404.",
          openapi_extensions=raises(NotFound, Conflict))  # fmt: skip
def respond_to_review(
    review_id: Annotated[str, Path(alias="reviewId", max_length=64)],
    body: ResponseIn,
    caller: Annotated[Principal, Depends(require_roles("store_owner"))],
) -> Envelope[ReviewOut]:
    return ok(responses.respond(caller, review_id, body))


lambda_handler = entrypoint(app)
