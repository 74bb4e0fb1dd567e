"""Review routes end to end in-process (moto): posting, listing, votes, replies, moderation, and the
ratings that products and stores carry."""

from __future__ import annotations

from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.catalog import keys as catalog_keys
from souk.catalog.models import ListingEntry, Product, SearchEntry
from tests.commerce_factories import make_order
from tests.factories import create_user, queued_jobs, ready_upload, token_for
from tests.functional.catalog_helpers import admin_token, count_dynamodb_calls
from tests.review_factories import Shop, customer, delivered_order, make_shop
from tests.support import ApiClient, assert_error

BODY = {"rating": 4, "title": "Good oil", "body": "Fruity and fresh."}


def product_reviews(shop: Shop) -> str:
    return f"/api/v1/products/{shop.product_id}/reviews"


def store_reviews(shop: Shop) -> str:
    return f"/api/v1/stores/{shop.store_id}/reviews"


def post(api: ApiClient, path: str, token: str, **overrides: Any) -> Any:
    return api.post(path, json_body={**BODY, **overrides}, token=token)


def rating_of_product(api: ApiClient, shop: Shop) -> dict[str, Any]:
    response = api.get(f"/api/v1/products/{shop.product_id}")
    assert response.status == 200, response.body
    return response.json["data"]["rating"]  # type: ignore[no-any-return]


def rating_of_store(api: ApiClient, shop: Shop) -> dict[str, Any]:
    response = api.get(f"/api/v1/stores/{shop.store_id}")
    assert response.status == 200, response.body
    return response.json["data"]["rating"]  # type: ignore[no-any-return]


def actions_of(review_id: str) -> list[str]:
    return sorted(a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("review", review_id)))


@pytest.fixture
def shop(aws_resources: dict[str, str]) -> Shop:
    return make_shop()


# ---------------------------------------------------------------- posting


def test_a_customer_reviews_a_delivered_product_and_the_ratings_move(
    api: ApiClient, shop: Shop, aws_resources: dict[str, str]
) -> None:
    # GIVEN a customer whose order of the product was delivered
    user, token = customer()
    order = delivered_order(user, shop)
    queued_jobs(aws_resources["EmailQueue"])  # earlier emails (store approval, delivery)
    assert rating_of_product(api, shop) == {"average": 0.0, "count": 0}
    # WHEN they review it (without naming the order)
    response = post(api, product_reviews(shop), token, rating=4)
    # THEN the review is published for that order, the product's rating, histogram and listing entries follow
    assert response.status == 201, response.body
    review = response.json["data"]
    assert review["orderId"] == order.order_id and review["targetType"] == "product"
    assert (review["status"], review["helpfulCount"], review["response"]) == ("published", 0, None)
    assert review["author"] == {"id": user.user_id, "name": "Casey Customer"}
    assert rating_of_product(api, shop) == {"average": 4.0, "count": 1}
    product = Product.get(catalog_keys.product(shop.product_id), catalog_keys.product(shop.product_id))
    assert [int(v) for v in product.rating_histogram] == [0, 0, 0, 1, 0]
    entry = ListingEntry.get(catalog_keys.listing_store(shop.store_id), catalog_keys.product(shop.product_id))
    assert (float(entry.rating_avg), int(entry.rating_count)) == (4.0, 1)
    assert entry.gsi3sk == catalog_keys.rating_sort(400, 1, shop.product_id)
    listed = api.get(f"/api/v1/products?store={shop.store_id}").json["data"]
    assert listed[0]["rating"] == {"average": 4.0, "count": 1}
    # ... its search entries moved to the new rating right after (one per prefix, none left at the old key)
    search = list(SearchEntry.query(catalog_keys.product_search("olive")))
    assert [(e.sk, float(e.rating_avg)) for e in search] == [(catalog_keys.rating_sort(400, 1, shop.product_id), 4.0)]
    # ... the store owner is emailed and the review audited
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "review_received"]
    assert [j["to"] for j in jobs] == [shop.owner.email]
    assert actions_of(review["id"]) == ["review.create"]


def test_once_per_order_and_product_and_each_delivered_order_may_be_reviewed(api: ApiClient, shop: Shop) -> None:
    # GIVEN two delivered orders of the product
    user, token = customer()
    first, second = delivered_order(user, shop), delivered_order(user, shop)
    # WHEN reviewing three times without orderId
    one, two, three = (post(api, product_reviews(shop), token, rating=r) for r in (5, 3, 4))
    # THEN the oldest order is reviewed first, then the next; the third is a duplicate
    assert (one.status, two.status) == (201, 201)
    assert [one.json["data"]["orderId"], two.json["data"]["orderId"]] == [first.order_id, second.order_id]
    assert_error(three, 409, "DUPLICATE_ENTRY")
    # ... naming a reviewed order is a duplicate too
    assert_error(post(api, product_reviews(shop), token, orderId=first.order_id), 409, "DUPLICATE_ENTRY")
    assert rating_of_product(api, shop) == {"average": 4.0, "count": 2}


def test_only_a_delivered_purchase_makes_a_customer_eligible(api: ApiClient, shop: Shop) -> None:
    # GIVEN a customer with a paid (not delivered) order, and one with a delivered order of another product
    user, token = customer()
    paid = make_order(user.user_id, shop.store_id, shop.owner.user_id, status="paid",
                      lines=[{"productId": shop.product_id, "sku": "OIL-1L", "name": "Olive Oil", "quantity": 1,
                              "unitPrice": 899, "lineTotal": 899}])  # fmt: skip
    other_shop = make_shop()
    other, other_token = customer()
    other_order = delivered_order(other, other_shop)
    # WHEN they review the product
    # THEN 403 FORBIDDEN with a clear message, whether or not they name an order
    payload = assert_error(post(api, product_reviews(shop), token), 403, "FORBIDDEN")
    assert "delivered order" in payload["error"]["message"]
    assert_error(post(api, product_reviews(shop), token, orderId=paid.order_id), 403, "FORBIDDEN")
    assert_error(post(api, product_reviews(shop), other_token), 403, "FORBIDDEN")
    # ... another customer's delivered order does not make them eligible either
    assert_error(post(api, product_reviews(other_shop), token, orderId=other_order.order_id), 403, "FORBIDDEN")
    assert rating_of_product(api, shop)["count"] == 0


def test_posting_a_review_checks_body_token_role_and_target(api: ApiClient, shop: Shop) -> None:
    user, token = customer()
    delivered_order(user, shop)
    owner_token = shop.owner_token
    # 400: a bad field, named
    for bad in ({"rating": 6}, {"rating": "5"}, {"title": ""}, {"body": " "}, {"imageUploadIds": "x"}):
        payload = assert_error(post(api, product_reviews(shop), token, **bad), 400, "VALIDATION_ERROR")
        assert payload["error"]["details"][0]["field"] == next(iter(bad)), payload
    # 401 without a token, 403 for a store owner
    assert_error(api.post(product_reviews(shop), json_body=BODY), 401, "UNAUTHORIZED")
    assert_error(post(api, product_reviews(shop), owner_token), 403, "FORBIDDEN")
    # 404 an unknown product or store
    assert_error(post(api, "/api/v1/products/nope/reviews", token), 404, "NOT_FOUND")
    assert_error(post(api, "/api/v1/stores/nope/reviews", token), 404, "NOT_FOUND")


def test_review_images_are_the_callers_own_finished_image_uploads(api: ApiClient, shop: Shop) -> None:
    user, token = customer()
    delivered_order(user, shop)
    mine = ready_upload(user, purpose="attachment", content_type="image/jpeg")
    pdf = ready_upload(user, purpose="attachment", content_type="application/pdf")
    theirs = ready_upload(create_user("customer"), purpose="attachment", content_type="image/png")
    for bad in ([theirs], [pdf], ["unknown-upload"]):
        payload = assert_error(post(api, product_reviews(shop), token, imageUploadIds=bad), 400, "VALIDATION_ERROR")
        assert payload["error"]["details"][0]["field"] == "imageUploadIds"
    response = post(api, product_reviews(shop), token, imageUploadIds=[mine])
    assert response.status == 201, response.body
    assert response.json["data"]["images"] == [{"uploadId": mine}]


def test_a_customer_reviews_a_store_they_received_an_order_from(api: ApiClient, shop: Shop) -> None:
    # GIVEN a delivered order from the store
    user, token = customer()
    order = delivered_order(user, shop)
    # WHEN they review the store twice
    first = post(api, store_reviews(shop), token, rating=2)
    second = post(api, store_reviews(shop), token, rating=5)
    # THEN one review, the store's rating follows; the product's is untouched
    assert first.status == 201, first.body
    assert (first.json["data"]["targetType"], first.json["data"]["orderId"]) == ("store", order.order_id)
    assert_error(second, 409, "DUPLICATE_ENTRY")
    assert rating_of_store(api, shop) == {"average": 2.0, "count": 1}
    assert rating_of_product(api, shop)["count"] == 0
    # ... and a customer without an order from it may not
    _, stranger = customer()
    assert_error(post(api, store_reviews(shop), stranger), 403, "FORBIDDEN")


# ---------------------------------------------------------------- listing


def _reviews(shop: Shop, n: int, api: ApiClient) -> list[tuple[str, str]]:
    """``n`` customers each review the product; their (review id, token)."""
    made = []
    for i in range(n):
        user, token = customer()
        delivered_order(user, shop)
        response = post(api, product_reviews(shop), token, rating=1 + i % 5, title=f"Review {i}")
        assert response.status == 201, response.body
        made.append((response.json["data"]["id"], token))
    return made


def test_public_lists_page_newest_or_most_helpful_first_with_constant_reads(
    api: ApiClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN five reviews; the third gets two helpful votes, the first one
    made = _reviews(shop, 5, api)
    ids = [review_id for review_id, _ in made]
    for review_id, voters in ((ids[2], (made[0][1], made[1][1])), (ids[0], (made[3][1],))):
        for voter in voters:
            assert api.post(f"/api/v1/reviews/{review_id}/votes", token=voter).status == 201
    # WHEN listing newest first, two a page (no token: public)
    with count_dynamodb_calls(monkeypatch) as calls:
        first = api.get(f"{product_reviews(shop)}?limit=2")
    cursor = first.json["pagination"]["nextCursor"]
    second = api.get(f"{product_reviews(shop)}?limit=2&cursor={cursor}")
    # THEN newest first, paged by cursor, at one read of the product and one Query a page
    assert [r["id"] for r in first.json["data"]] == [ids[4], ids[3]]
    assert [r["id"] for r in second.json["data"]] == [ids[2], ids[1]]
    assert first.json["pagination"]["hasNext"] is True
    assert sum(calls.values()) == 2, calls
    # ... and most helpful first
    helpful = api.get(f"{product_reviews(shop)}?sort=helpful&limit=3").json["data"]
    assert [(r["id"], r["helpfulCount"]) for r in helpful] == [(ids[2], 2), (ids[0], 1), (ids[4], 0)]
    # ... a cursor of one list is refused by the other, bad queries are 400, unknown targets 404
    assert_error(api.get(f"{product_reviews(shop)}?sort=helpful&cursor={cursor}"), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{product_reviews(shop)}?sort=best"), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{product_reviews(shop)}?limit=101"), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/products/nope/reviews"), 404, "NOT_FOUND")
    assert_error(api.get("/api/v1/stores/nope/reviews"), 404, "NOT_FOUND")
    assert api.get(store_reviews(shop)).json["data"] == []


# ---------------------------------------------------------------- votes


def test_helpful_votes_once_per_user_never_on_ones_own(api: ApiClient, shop: Shop) -> None:
    ((review_id, author_token),) = _reviews(shop, 1, api)
    _, voter = customer()
    path = f"/api/v1/reviews/{review_id}/votes"
    # a vote counts once
    first = api.post(path, token=voter)
    assert first.status == 201, first.body
    assert first.json["data"] == {"reviewId": review_id, "helpfulCount": 1, "voted": True}
    assert_error(api.post(path, token=voter), 409, "DUPLICATE_ENTRY")
    # not on one's own, not without a token, not as a store owner, not on an unknown review
    assert_error(api.post(path, token=author_token), 422, "UNPROCESSABLE_ENTITY")
    assert_error(api.post(path), 401, "UNAUTHORIZED")
    assert_error(api.post(path, token=shop.owner_token), 403, "FORBIDDEN")
    assert_error(api.post("/api/v1/reviews/nope/votes", token=voter), 404, "NOT_FOUND")
    assert_error(api.post(f"/api/v1/reviews/{'x' * 65}/votes", token=voter), 400, "VALIDATION_ERROR")
    listed = api.get(product_reviews(shop)).json["data"]
    assert listed[0]["helpfulCount"] == 1
    assert actions_of(review_id) == ["review.create", "review.vote"]


# ---------------------------------------------------------------- replies


def test_the_store_owner_replies_once(api: ApiClient, shop: Shop, aws_resources: dict[str, str]) -> None:
    ((review_id, author_token),) = _reviews(shop, 1, api)
    queued_jobs(aws_resources["EmailQueue"])
    path = f"/api/v1/reviews/{review_id}/response"
    other_owner = token_for(create_user("store_owner"))
    # another store's owner: 404; a customer: 403; no token: 401; an empty reply: 400
    assert_error(api.post(path, json_body={"body": "Hi"}, token=other_owner), 404, "NOT_FOUND")
    assert_error(api.post(path, json_body={"body": "Hi"}, token=author_token), 403, "FORBIDDEN")
    assert_error(api.post(path, json_body={"body": "Hi"}), 401, "UNAUTHORIZED")
    assert_error(api.post(path, json_body={"body": "  "}, token=shop.owner_token), 400, "VALIDATION_ERROR")
    assert_error(api.post("/api/v1/reviews/nope/response", json_body={"body": "Hi"}, token=shop.owner_token),
                 404, "NOT_FOUND")  # fmt: skip
    # the owner replies once
    first = api.post(path, json_body={"body": "Thank you!"}, token=shop.owner_token)
    assert first.status == 201, first.body
    assert first.json["data"]["response"]["body"] == "Thank you!"
    assert_error(api.post(path, json_body={"body": "Again"}, token=shop.owner_token), 409, "CONFLICT")
    assert api.get(product_reviews(shop)).json["data"][0]["response"]["body"] == "Thank you!"
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "review_response"]
    assert len(jobs) == 1 and jobs[0]["variables"]["response"] == "Thank you!"
    assert actions_of(review_id) == ["review.create", "review.respond"]


# ---------------------------------------------------------------- moderation


def _review_sums(api: ApiClient, shop: Shop) -> dict[str, Any]:
    """What the published reviews add up to, read through the public list (one page holds them all)."""
    ratings = [r["rating"] for r in api.get(f"{product_reviews(shop)}?limit=100").json["data"]]
    return {"average": round(sum(ratings) / len(ratings), 2) if ratings else 0.0, "count": len(ratings)}


def test_the_products_rating_matches_its_published_reviews_through_publish_hide_and_restore(
    api: ApiClient, shop: Shop
) -> None:
    # GIVEN five reviews (1 to 5 stars)
    made = _reviews(shop, 5, api)
    admin = admin_token()
    assert rating_of_product(api, shop) == _review_sums(api, shop) == {"average": 3.0, "count": 5}
    five_star = made[4][0]
    path = f"/api/v1/admin/reviews/{five_star}"
    # WHEN an admin hides the 5-star one
    hidden = api.patch(path, json_body={"status": "hidden", "reason": "Off topic"}, token=admin)
    # THEN it leaves the list and the rating, in the same write
    assert hidden.status == 200, hidden.body
    assert hidden.json["data"]["status"] == "hidden"
    assert rating_of_product(api, shop) == _review_sums(api, shop) == {"average": 2.5, "count": 4}
    product = Product.get(catalog_keys.product(shop.product_id), catalog_keys.product(shop.product_id))
    assert [int(v) for v in product.rating_histogram] == [1, 1, 1, 1, 0]
    # ... hiding it again changes nothing; nobody may vote for it
    assert_error(api.patch(path, json_body={"status": "hidden", "reason": "x"}, token=admin), 409, "INVALID_STATE")
    assert_error(api.post(f"/api/v1/reviews/{five_star}/votes", token=made[0][1]), 404, "NOT_FOUND")
    assert rating_of_product(api, shop)["count"] == 4
    # WHEN restored
    restored = api.patch(path, json_body={"status": "published"}, token=admin)
    # THEN back in the list and the rating
    assert restored.status == 200, restored.body
    assert rating_of_product(api, shop) == _review_sums(api, shop) == {"average": 3.0, "count": 5}
    assert five_star in [r["id"] for r in api.get(product_reviews(shop)).json["data"]]
    assert actions_of(five_star) == ["review.create", "review.moderate", "review.moderate"]


def test_moderation_checks_body_token_role_and_review(api: ApiClient, shop: Shop) -> None:
    ((review_id, author_token),) = _reviews(shop, 1, api)
    admin = admin_token()
    path = f"/api/v1/admin/reviews/{review_id}"
    payload = assert_error(api.patch(path, json_body={"status": "hidden"}, token=admin), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "reason"
    assert_error(api.patch(path, json_body={"status": "deleted", "reason": "x"}, token=admin), 400, "VALIDATION_ERROR")
    assert_error(api.patch(path, json_body={"status": "hidden", "reason": "x"}), 401, "UNAUTHORIZED")
    assert_error(api.patch(path, json_body={"status": "hidden", "reason": "x"}, token=author_token), 403, "FORBIDDEN")
    assert_error(api.patch("/api/v1/admin/reviews/nope", json_body={"status": "hidden", "reason": "x"}, token=admin),
                 404, "NOT_FOUND")  # fmt: skip
    assert_error(api.patch(path, json_body={"status": "published"}, token=admin), 409, "INVALID_STATE")


def test_hiding_a_store_review_moves_the_stores_rating(api: ApiClient, shop: Shop) -> None:
    user, token = customer()
    delivered_order(user, shop)
    review_id = post(api, store_reviews(shop), token, rating=3).json["data"]["id"]
    assert rating_of_store(api, shop) == {"average": 3.0, "count": 1}
    hidden = api.patch(f"/api/v1/admin/reviews/{review_id}", json_body={"status": "hidden", "reason": "Spam"},
                       token=admin_token())  # fmt: skip
    assert hidden.status == 200, hidden.body
    assert rating_of_store(api, shop) == {"average": 0.0, "count": 0}
    assert api.get(store_reviews(shop)).json["data"] == []
