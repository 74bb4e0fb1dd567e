"""A store owner's GDPR export and erasure: their stores and products (catalog's hook), their payouts,
balances, commissions and payout account link (finance's); refused while a store's balance holds money."""

from __future__ import annotations

from typing import Any

import pytest

from souk.audit.models import AuditRecord
from souk.catalog import keys
from souk.catalog import privacy as catalog_privacy
from souk.catalog.models import ListingEntry, Product, SearchEntry
from souk.catalog.store import stores as catalog_stores
from souk.db import personal
from souk.db.transactions import WriteTransaction
from souk.finance import ledger
from souk.finance import privacy as finance_privacy
from souk.finance.store import accounts, payouts
from souk.finance.store.ledger import post
from souk.privacy.store import erasure as erasure_store
from tests.factories import PASSWORD
from tests.functional.exports.conftest import Queue, Worker
from tests.functional.privacy.test_privacy_routes import _export_rows
from tests.functional.product_support import Seller, make_image, make_seller, make_store
from tests.support import ApiClient, assert_error

BODY = {"password": PASSWORD}


def _post(*entries: ledger.Entry) -> None:
    for entry in entries:
        with WriteTransaction() as tx:
            post(tx, entry)


def _shop(api: ApiClient, product_name: str) -> tuple[Seller, dict[str, Any]]:
    seller = make_seller()
    return seller, seller.create(api, name=product_name)


def _ids(response: Any) -> list[str]:
    assert response.status == 200, response.body
    return [item["id"] for item in response.json["data"]]


def _paid_out(store_id: str, order_id: str) -> None:
    """A sale released and paid out: every bucket but paidOut back to zero."""
    _post(ledger.sale(store_id, order_id, "usd", gross=10_000, commission=1_000),
          ledger.release(store_id, order_id, "usd", net=9_000),
          ledger.move(store_id, f"PAYOUT#p-{order_id}#REQUEST", "payout", "usd", amount=9_000, source="available",
                      target="in_payout"),
          ledger.move(store_id, f"PAYOUT#p-{order_id}#PAID", "payout_paid", "usd", amount=9_000, source="in_payout",
                      target="paid_out"))  # fmt: skip


# ---------------------------------------------------------------- export


def test_a_store_owners_export_holds_their_stores_products_and_payouts_and_no_other_owners(
    api: ApiClient, aws_resources: dict[str, str], exports_queue: Queue, exports_worker: Worker
) -> None:
    # GIVEN two owners, each with an approved store, a product and money; the first with a payout and an account
    mine, my_product = _shop(api, "Saffron Honey")
    other, other_product = _shop(api, "Olive Soap")
    _paid_out(mine.store.store_id, "o-mine")
    _paid_out(other.store.store_id, "o-other")
    payout = payouts.new_payout("p-mine", mine.store.store_id, mine.user.user_id, 9_000, "usd")
    payout.save()
    payouts.new_payout("p-other", other.store.store_id, other.user.user_id, 9_000, "usd").save()
    accounts.new_account(mine.store.store_id, "acct_mine").save()
    # WHEN the first owner exports their account
    rows = _export_rows(api, aws_resources, mine.token, exports_queue, exports_worker)
    # THEN it holds their store, product, payout, balance, commission entries and payout account link
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    assert [r["storeId"] for r in by_kind["store"]] == [mine.store.store_id]
    assert [r["productId"] for r in by_kind["product"]] == [my_product["id"]]
    assert [r["payoutId"] for r in by_kind["payout"]] == ["p-mine"]
    assert [r["stripeAccountId"] for r in by_kind["payout_account"]] == ["acct_mine"]
    [balance] = by_kind["balance"]
    assert (balance["storeId"], balance["paidOut"], balance["available"]) == (mine.store.store_id, 9_000, 0)
    entries = {r["businessKey"]: r["entryKind"] for r in by_kind["ledger_entry"]}
    assert entries["PAYOUT#p-o-mine#PAID"] == "payout_paid" and "COMMISSION#o-mine" in entries
    assert not any("listingFacets" in r or "searchTerms" in r for r in by_kind["product"])
    # AND nothing of the other owner
    text = str(rows)
    for foreign in (other.store.store_id, other_product["id"], "p-other", "o-other", other.user.user_id):
        assert foreign not in text


def test_the_catalog_export_walks_every_store_and_product_in_bounded_pages(
    api: ApiClient, aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN pages of 3, an owner with two stores, the first with 7 products (three pages), and another owner
    monkeypatch.setattr(personal, "PAGE", 3)
    seller = make_seller()
    for n in range(7):
        seller.create(api, name=f"Jar {n}", variants=[{"sku": f"J-{n}", "name": "Jar", "attributes": {}, "stock": 1}])
    second = Seller(seller.user, seller.token, make_store(seller.user, seller.category), seller.category)
    last = second.create(api, name="Last jar")
    stranger = make_seller(seller.category)
    first, more = catalog_stores.owner_page(seller.user.user_id, limit=1)  # the refusal's store list
    assert ([s.store_id for s in first], more) == ([seller.store.store_id], True)
    assert [s.store_id for s in catalog_stores.owner_page(seller.user.user_id, limit=5)[0]] == [
        seller.store.store_id, second.store.store_id]  # fmt: skip
    # WHEN catalog's export runs page by page
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page, cursor = catalog_privacy.export(seller.user.user_id, cursor)
        assert len(page) <= 3
        rows += page
        if cursor is None:
            break
    # THEN each store once, each product once after its store, nothing of the other owner
    assert [r["storeId"] for r in rows if r["kind"] == "store"] == [seller.store.store_id, second.store.store_id]
    products = [r for r in rows if r["kind"] == "product"]
    assert len(products) == 8 and len({r["productId"] for r in products}) == 8
    assert products[-1]["productId"] == last["id"]
    assert stranger.store.store_id not in str(rows)


# ---------------------------------------------------------------- erasure


def test_an_erased_store_owners_stores_and_products_leave_every_listing_and_search(
    api: ApiClient, aws_resources: dict[str, str], privacy_queue: Queue, privacy_worker: Worker
) -> None:
    # GIVEN an owner whose store sold, delivered and paid out everything, with a listed product
    mine, product = _shop(api, "Saffron Honey")
    make_image(mine.user)
    _paid_out(mine.store.store_id, "o-1")
    other, other_product = _shop(api, "Saffron Soap")
    store_word = mine.store.name.split()[1].lower()
    assert mine.store.store_id in _ids(api.get(f"/api/v1/stores?search={store_word}"))
    assert product["id"] in _ids(api.get("/api/v1/search?q=saffron"))
    # WHEN they delete their account and the worker runs
    response = api.delete("/api/v1/me", json_body=BODY, token=mine.token)
    assert response.status == 202, response.body
    privacy_queue.drain(privacy_worker)
    # THEN the store is out of the list, the search and the near index, and its page is 404 to the public
    assert mine.store.store_id not in _ids(api.get("/api/v1/stores"))
    assert mine.store.store_id not in _ids(api.get(f"/api/v1/stores?search={store_word}"))
    assert mine.store.store_id not in _ids(api.get("/api/v1/stores?lat=40.0&lng=-73.0&radiusKm=5"))
    assert_error(api.get(f"/api/v1/stores/{mine.store.store_id}"), 404, "NOT_FOUND")
    assert mine.store.store_id not in {e.target_id for e in SearchEntry.query(keys.store_search(store_word))}
    # AND its product is deleted: no listing, no search, 404
    assert _ids(api.get(f"/api/v1/products?store={mine.store.store_id}")) == []
    assert _ids(api.get("/api/v1/search?q=saffron")) == [other_product["id"]]
    assert_error(api.get(f"/api/v1/products/{product['id']}"), 404, "NOT_FOUND")
    assert ListingEntry.count(keys.LISTING_ALL, ListingEntry.sk == keys.product(product["id"])) == 0
    # AND the store item is kept (orders and payouts name it) without what may be personal
    closed = catalog_stores.get_store(mine.store.store_id, consistent=True)
    assert closed is not None and catalog_privacy.is_closed(closed)
    assert (closed.status, closed.name, closed.description) == ("rejected", "Closed store", None)
    assert closed.address == {"city": "Springfield", "country": "US"}
    assert closed.lat is None and closed.geohash is None and closed.gsi4pk is None
    # AND both were audited by the system
    actions = {(r.action, r.resource_id) for r in AuditRecord.gsi2.query(f"AUDIT_RES#store#{mine.store.store_id}")}
    assert ("store.status_change", mine.store.store_id) in actions
    product_actions = [r.action for r in AuditRecord.gsi2.query(f"AUDIT_RES#product#{product['id']}")]
    assert product_actions.count("product.delete") == 1
    # AND the other owner's store and product are untouched
    assert other.store.store_id in _ids(api.get("/api/v1/stores"))
    assert other_product["id"] in _ids(api.get(f"/api/v1/products?store={other.store.store_id}"))


def test_the_catalog_erase_is_idempotent_step_by_step(
    api: ApiClient, aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN pages of 3 and an owner with 7 products, each step run twice (a crash before its cursor was saved)
    monkeypatch.setattr(personal, "PAGE", 3)
    seller = make_seller()
    for n in range(7):
        seller.create(api, name=f"Jar {n}", variants=[{"sku": f"J-{n}", "name": "Jar", "attributes": {}, "stock": 1}])
    cursor: str | None = None
    steps = 0
    while True:
        catalog_privacy.erase(seller.user.user_id, cursor)
        cursor = catalog_privacy.erase(seller.user.user_id, cursor)
        steps += 1
        if cursor is None:
            break
    # THEN every product is deleted once and the store closed once
    found = list(Product.gsi1.query(f"STORE#{seller.store.store_id}#PRODUCTS"))
    assert len(found) == 7 and {p.status for p in found} == {"deleted"}
    deletes = [r for p in found for r in AuditRecord.gsi2.query(f"AUDIT_RES#product#{p.product_id}")
               if r.action == "product.delete"]  # fmt: skip
    assert len(deletes) == 7
    closes = [r for r in AuditRecord.gsi2.query(f"AUDIT_RES#store#{seller.store.store_id}")
              if r.action == "store.status_change" and (r.after or {}).get("reason") == "account_erasure"]  # fmt: skip
    assert len(closes) == 1 and 4 <= steps <= 6  # the store, three pages of products, maybe an empty look
    assert _ids(api.get(f"/api/v1/products?store={seller.store.store_id}")) == []


# ---------------------------------------------------------------- refusal


def _holding(store_id: str, steps: int) -> list[ledger.Entry]:
    """A sale (pending), then released (available), then a payout requested (in payout): the first ``steps``."""
    return [ledger.sale(store_id, "o-1", "usd", gross=10_000, commission=1_000),
            ledger.release(store_id, "o-1", "usd", net=9_000),
            ledger.move(store_id, "PAYOUT#p1#REQUEST", "payout", "usd", amount=9_000, source="available",
                        target="in_payout")][:steps]  # fmt: skip


@pytest.mark.parametrize(("steps", "says"), [(1, "not yet delivered"), (2, "available balance"),
                                             (3, "payout in progress")])  # fmt: skip
def test_an_owner_whose_store_holds_money_is_refused_with_409(
    api: ApiClient, aws_resources: dict[str, str], steps: int, says: str
) -> None:
    seller = make_seller()
    _post(*_holding(seller.store.store_id, steps))
    payload = assert_error(api.delete("/api/v1/me", json_body=BODY, token=seller.token), 409, "CONFLICT")
    assert says in payload["error"]["message"] and seller.store.name in payload["error"]["message"]
    assert erasure_store.load(seller.user.user_id, consistent=True) is None
    assert seller.store.store_id in _ids(api.get("/api/v1/stores"))


def test_a_disputed_payment_holds_the_erasure(api: ApiClient, aws_resources: dict[str, str]) -> None:
    seller = make_seller()
    _post(*_holding(seller.store.store_id, 2),
          ledger.move(seller.store.store_id, "DISPUTE#d1#HOLD", "dispute_hold", "usd", amount=9_000,
                      source="available", target="held"))  # fmt: skip
    reason = finance_privacy.refusal(seller.user.user_id)
    assert reason is not None and "disputed payment" in reason


def test_once_paid_out_the_owner_may_delete_their_account(api: ApiClient, aws_resources: dict[str, str]) -> None:
    seller = make_seller()
    _post(ledger.sale(seller.store.store_id, "o-1", "usd", gross=10_000, commission=1_000))
    assert finance_privacy.refusal(seller.user.user_id) is not None
    _post(ledger.release(seller.store.store_id, "o-1", "usd", net=9_000),
          ledger.move(seller.store.store_id, "PAYOUT#p1#REQUEST", "payout", "usd", amount=9_000, source="available",
                      target="in_payout"),
          ledger.move(seller.store.store_id, "PAYOUT#p1#PAID", "payout_paid", "usd", amount=9_000,
                      source="in_payout", target="paid_out"))  # fmt: skip
    assert finance_privacy.refusal(seller.user.user_id) is None
    assert api.delete("/api/v1/me", json_body=BODY, token=seller.token).status == 202
    # a store owner with no store and a customer are never held by finance
    assert finance_privacy.refusal("nobody") is None
    assert finance_privacy.erase(seller.user.user_id, None) is None
