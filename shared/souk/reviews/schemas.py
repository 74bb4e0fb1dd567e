"""What clients send and see of reviews. :func:`review_out` is the one converter of a Review item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from souk.reviews.models import Review
from souk.schema import CamelModel, NonBlankText, PageQuery, one_line_text

MAX_IMAGES = 5
TargetType = Literal["product", "store"]
Title = one_line_text(120)
Body = Annotated[NonBlankText, StringConstraints(max_length=5000)]
Reason = Annotated[NonBlankText, StringConstraints(max_length=500)]


class ReviewIn(CamelModel):
    rating: Annotated[int, Field(strict=True, ge=1, le=5, description="Whole stars, 1 to 5.")]
    title: Title  # type: ignore[valid-type]
    body: Body
    image_upload_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=MAX_IMAGES, description="Your own finished image uploads."
    )
    order_id: str | None = Field(
        None, min_length=1, max_length=64,
        description="The delivered order the review is for; omitted: your oldest delivered one not reviewed yet.",
    )  # fmt: skip


class ResponseIn(CamelModel):
    body: Annotated[NonBlankText, StringConstraints(max_length=2000)]


class ModerationIn(CamelModel):
    status: Literal["hidden", "published"]
    reason: Reason | None = Field(None, description="Required to hide.")

    @model_validator(mode="after")
    def _reason_to_hide(self) -> ModerationIn:
        if self.status == "hidden" and self.reason is None:
            error = InitErrorDetails(type=PydanticCustomError("missing", "Say why the review is hidden."),
                                     loc=("reason",), input=None)  # fmt: skip
            raise ValidationError.from_exception_data(type(self).__name__, [error])
        return self


class ReviewListQuery(PageQuery):
    sort: Literal["newest", "helpful"] = Field("newest", description="helpful: most helpful votes first.")


class AuthorOut(CamelModel):
    id: str
    name: str


class ResponseOut(CamelModel):
    body: str
    at: datetime


class ImageOut(CamelModel):
    upload_id: str


class ReviewOut(CamelModel):
    id: str
    target_type: TargetType
    target_id: str
    order_id: str
    rating: int
    title: str
    body: str
    images: list[ImageOut]
    status: Literal["published", "hidden"]
    helpful_count: int
    response: ResponseOut | None = None
    author: AuthorOut
    created_at: datetime


class VoteOut(CamelModel):
    review_id: str
    helpful_count: int
    voted: bool = True


def review_out(review: Review) -> ReviewOut:
    response = review.response or None
    return ReviewOut(
        id=review.review_id, target_type=review.target_type, target_id=review.target_id,  # type: ignore[arg-type]
        order_id=review.order_id, rating=int(review.rating), title=review.title, body=review.body,
        images=[ImageOut(upload_id=i) for i in review.image_upload_ids or []],
        status=review.status,  # type: ignore[arg-type]
        helpful_count=int(review.helpful_count or 0),
        response=ResponseOut(body=response["body"], at=response["at"]) if response else None,
        author=AuthorOut(id=review.author_id, name=review.author_name), created_at=review.created_at,
    )  # fmt: skip
