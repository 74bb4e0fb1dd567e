"""Stores: owners create them, admins review them, the public finds the approved ones.

Lifecycle: ``pending_review`` (created, or resubmitted with documents) → ``approved`` or
``rejected`` by an admin; ``approved`` ↔ ``suspended``. Only approved stores are public,
listed, searchable and near-searchable; the owner and admins see the others.

Indexes kept on every write, in the same transaction as the store:

- gsi2 ``STORES#<status>``: the public list is one Query on ``STORES#approved``;
- gsi4 ``STOREGEO#<4-char geohash>`` / ``<geohash>#<id>``: set only while approved, so
  a near query (9 Queries, see :mod:`souk.catalog.geo`) never meets another status;
- SearchEntry items ``SRCH#S#<prefix>`` for each word prefix of the name, only while
  approved. Their number is capped (:data:`MAX_STORE_TERMS`) so a rename, which deletes
  the old terms and writes the new ones, fits one transaction with the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.catalog import geo
from souk.catalog.categories import get_categories
from souk.catalog.models import SearchEntry, Store
from souk.catalog.text import MAX_QUERY_WORDS, index_terms, normalize_words, query_term
from souk.db import keys
from souk.db.base import utc_now
from souk.db.paging import decode_cursor, encode_cursor, one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, InvalidState, NotFound, UnprocessableEntity, ValidationFailed
from souk.ids import new_id
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel, OneLineText, PatchModel, PostalAddress
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from souk.caller import Principal

StoreStatus = Literal["pending_review", "approved", "rejected", "suspended"]
APPROVED = "approved"

# Allowed admin decisions, from → to. A rejected store comes back through the owner's
# verification request (→ pending_review), never straight to approved.
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_review": frozenset({"approved", "rejected"}),
    "approved": frozenset({"suspended"}),
    "suspended": frozenset({"approved"}),
    "rejected": frozenset(),
}
NEEDS_REASON = frozenset({"rejected", "suspended"})

STORE_INDEX_WORDS = 6
MAX_STORE_TERMS = 40  # 40 deletes + 40 puts + store + audit stay under DynamoDB's 100 items per transaction
DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 50.0
CELL_LIMIT = 200  # stores read per geohash cell: one Query page each, so 9 calls at most
MAX_CATEGORIES = 10
MAX_DOCUMENTS = 10


# --- schemas
class StoreAddressOut(CamelModel):
    """Where the store is, as saved."""

    line1: str
    line2: str | None = None
    city: str
    postal_code: str | None = None
    country: str
    lat: float
    lng: float


def _clean_name(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if len(cleaned) < 2:
        raise ValueError("must have at least 2 characters")
    return cleaned


class CreateStoreRequest(CamelModel):
    name: OneLineText = Field(min_length=2, max_length=80)
    description: str | None = Field(None, max_length=2000)
    category_ids: list[str] = Field(min_length=1, max_length=MAX_CATEGORIES)
    address: PostalAddress
    currency: str = Field("usd", pattern=r"^[A-Za-z]{3}$", description="ISO 4217, lower case; the store sells in it.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str | None:
        return _clean_name(value)

    @field_validator("currency")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class UpdateStoreRequest(PatchModel):
    """Send only what changes."""

    name: OneLineText | None = Field(None, min_length=2, max_length=80)
    description: str | None = Field(None, max_length=2000)
    category_ids: list[str] | None = Field(None, min_length=1, max_length=MAX_CATEGORIES)
    address: PostalAddress | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _clean_name(value)


class VerificationRequest(CamelModel):
    document_upload_ids: list[str] = Field(min_length=1, max_length=MAX_DOCUMENTS)


class StoreStatusRequest(CamelModel):
    status: Literal["approved", "rejected", "suspended"]
    reason: str | None = Field(None, max_length=500, description="Required when rejecting or suspending.")

    @field_validator("reason")
    @classmethod
    def _squash(cls, value: str | None) -> str | None:
        return " ".join(value.split()) or None if value is not None else None


class Rating(CamelModel):
    average: float
    count: int


class StoreOut(CamelModel):
    id: str
    owner_id: str
    name: str
    description: str | None
    category_ids: list[str]
    address: StoreAddressOut | None
    currency: str
    status: StoreStatus
    status_reason: str | None = Field(None, description="Why it was rejected or suspended (owner and admins).")
    document_upload_ids: list[str] | None = Field(None, description="Owner and admins only.")
    rating: Rating
    distance_km: float | None = Field(None, description="Only in near searches.")
    created_at: datetime
    updated_at: datetime


class StoreListQuery(CamelModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)
    category: str | None = Field(None, max_length=40, description="Stores in this category id.")
    search: str | None = Field(None, max_length=100, description="Name prefix; words match in any order.")
    lat: float | None = Field(None, ge=-90, le=90, description="With `lng`: nearest stores first.")
    lng: float | None = Field(None, ge=-180, le=180)
    radius_km: float = Field(DEFAULT_RADIUS_KM, gt=0, le=MAX_RADIUS_KM)


def _strings(values: Any) -> list[str]:
    """A PynamoDB list of strings as a plain list (its type stubs say list of attributes)."""
    return [str(v) for v in values or []]


def store_out(store: Store, *, private: bool = False, distance_km: float | None = None) -> StoreOut:
    """The store as clients see it; ``private`` adds what only the owner and admins may see."""
    address = None
    if store.address is not None and store.lat is not None and store.lng is not None:
        address = StoreAddressOut(**store.address, lat=float(store.lat), lng=float(store.lng))
    count = int(store.rating_count or 0)
    average = round(float(store.rating_sum or 0) / count, 2) if count else 0.0
    return StoreOut(
        id=store.store_id, owner_id=store.owner_id, name=store.name, description=store.description,
        category_ids=_strings(store.category_ids), address=address, currency=store.currency,
        status=store.status,  # type: ignore[arg-type]
        status_reason=store.status_reason if private else None,
        document_upload_ids=_strings(store.document_upload_ids) if private else None,
        rating=Rating(average=average, count=count),
        distance_km=round(distance_km, 3) if distance_km is not None else None,
        created_at=store.created_at, updated_at=store.updated_at,
    )  # fmt: skip


# --- reading
def get_store(store_id: str, *, consistent: bool = False) -> Store:
    """The store whatever its status, or 404."""
    try:
        return Store.get(keys.store(store_id), keys.store(store_id), consistent_read=consistent)
    except DoesNotExist:
        raise NotFound("No such store.") from None


def can_see_private(store: Store, principal: Principal | None) -> bool:
    return principal is not None and (principal.is_admin or principal.user_id == store.owner_id)


def view_store(store_id: str, principal: Principal | None) -> tuple[StoreOut, bool]:
    """The store for this caller and whether the answer is the public one (cacheable by anyone).

    Approved stores are public; any other status is visible to its owner and admins only
    (404 for everyone else, so its existence is not revealed).
    """
    store = get_store(store_id)
    private = can_see_private(store, principal)
    if store.status != APPROVED and not private:
        raise NotFound("No such store.")
    return store_out(store, private=private), not private


def require_selling_store(store_id: str, principal: Principal) -> Store:
    """The caller's approved store, for selling on it (products, inventory).

    404 for a missing store or another owner's (admins pass); 422 when the store is not
    approved (pending review, rejected or suspended stores sell nothing).
    """
    store = get_store(store_id)
    ensure_owner(principal, store.owner_id)
    if store.status != APPROVED:
        raise UnprocessableEntity("The store is not approved for selling.")
    return store


# --- listing
def list_stores(query: StoreListQuery) -> tuple[list[StoreOut], str | None]:
    """One page of approved stores, newest first, or nearest first with ``lat``/``lng``.

    Cost, whatever the table holds: one Query (plain or ``category``; the category is a
    FilterExpression, so a page can come back short with a cursor to go on); one Query and
    one BatchGetItem (``search``); nine Queries (near, with ``category`` and ``search``
    applied to the cells' stores).
    """
    if (query.lat is None) != (query.lng is None):
        raise ValidationFailed.field("lng" if query.lng is None else "lat", "lat and lng go together.")
    if query.lat is not None and query.lng is not None:
        return _near(query, query.lat, query.lng)
    if query.search is not None:
        return _search(query)
    last_key = _key_cursor(query.cursor)
    condition = Store.category_ids.contains(query.category) if query.category else None
    result = Store.gsi2.query(keys.stores_by_status(APPROVED), scan_index_forward=False, filter_condition=condition,
                              page_size=query.limit, last_evaluated_key=last_key)  # fmt: skip
    stores, next_key = one_page(Store, result)
    return [store_out(s) for s in stores], encode_cursor(next_key)


def _key_cursor(cursor: str | None) -> dict[str, Any] | None:
    key = decode_cursor(cursor)
    if key is not None and "offset" in key:  # a near-search cursor sent to another listing
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.")
    return key


def _search_terms(text: str) -> list[str]:
    terms = [t for t in (query_term(w) for w in normalize_words(text)) if t][:MAX_QUERY_WORDS]
    if not terms:
        raise ValidationFailed.field("search", "Search with at least 2 letters or digits.")
    return terms


def _name_matches(name: str, terms: Iterable[str]) -> bool:
    """Every term starts some word of the name (how the index matched the first term)."""
    words = normalize_words(name)
    return all(any(word.startswith(term) for word in words) for term in terms)


def _search(query: StoreListQuery) -> tuple[list[StoreOut], str | None]:
    terms = _search_terms(query.search or "")
    # The longest term is the most selective partition; the others are checked on its page.
    lead = max(terms, key=len)
    result = SearchEntry.query(keys.store_search(lead), scan_index_forward=False, page_size=query.limit,
                               last_evaluated_key=_key_cursor(query.cursor))  # fmt: skip
    entries, next_key = one_page(SearchEntry, result)
    ids = [e.target_id for e in entries if _name_matches(e.name, terms)]
    found = {s.store_id: s for s in Store.batch_get([(keys.store(i), keys.store(i)) for i in ids])} if ids else {}
    stores = [found[i] for i in ids if i in found and found[i].status == APPROVED]
    if query.category:
        stores = [s for s in stores if query.category in (s.category_ids or [])]
    return [store_out(s) for s in stores], encode_cursor(next_key)


def _near(query: StoreListQuery, lat: float, lng: float) -> tuple[list[StoreOut], str | None]:
    """Approved stores within ``radiusKm``, nearest first; the cursor is an offset into that order."""
    offset = _offset_cursor(query.cursor)
    radius = query.radius_km
    if geo.coverage_km(lat, geo.FINE_PRECISION) >= radius:
        precision = geo.FINE_PRECISION  # small radius: nine 5-char cells, read with begins_with
    elif geo.coverage_km(lat, geo.PARTITION_PRECISION) >= radius:
        precision = geo.PARTITION_PRECISION
    else:
        reach = int(geo.coverage_km(lat, geo.PARTITION_PRECISION))
        raise ValidationFailed.field("radiusKm", f"At this latitude the radius is at most {reach} km.")
    seen: dict[str, tuple[float, Store]] = {}
    terms = _search_terms(query.search) if query.search is not None else []
    for cell in geo.neighbourhood(lat, lng, precision):
        partition = keys.store_geo_cell(cell[: geo.PARTITION_PRECISION])
        narrow = Store.gsi4sk.startswith(cell) if precision > geo.PARTITION_PRECISION else None
        stores, _ = one_page(Store, Store.gsi4.query(partition, narrow, page_size=CELL_LIMIT))
        for store in stores:
            if store.status != APPROVED or store.lat is None or store.lng is None:
                continue
            if query.category and query.category not in (store.category_ids or []):
                continue
            if terms and not _name_matches(store.name, terms):
                continue
            distance = geo.haversine_km(lat, lng, float(store.lat), float(store.lng))
            if distance <= radius:
                seen[store.store_id] = (distance, store)
    ranked = sorted(seen.values(), key=lambda pair: (pair[0], pair[1].store_id))
    window = ranked[offset : offset + query.limit]
    more = offset + query.limit < len(ranked)
    next_cursor = encode_cursor({"offset": offset + query.limit}) if more else None
    return [store_out(s, distance_km=d) for d, s in window], next_cursor


def _offset_cursor(cursor: str | None) -> int:
    key = decode_cursor(cursor)
    if key is None:
        return 0
    offset = key.get("offset")
    if not isinstance(offset, int) or offset < 0:
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.")
    return offset


# --- index upkeep
def _search_entries(store: Store) -> list[SearchEntry]:
    """The store's SearchEntry items: one per distinct name prefix, only while approved."""
    if store.status != APPROVED:
        return []
    count = int(store.rating_count or 0)
    average = float(store.rating_sum or 0) / count if count else 0.0
    sort = keys.rating_sort(round(average * 100), count, store.store_id)
    entries = []
    for term in index_terms([store.name], max_words=STORE_INDEX_WORDS)[:MAX_STORE_TERMS]:
        # Shaped like the products feature's entries (souk.catalog.search reads both kinds).
        entry = SearchEntry(pk=keys.store_search(term), sk=sort, target_id=store.store_id, kind="store", word=term,
                            name=store.name, rating_avg=round(average, 2), rating_count=count)  # fmt: skip
        entries.append(entry)
    return entries


def _set_geo(store: Store) -> None:
    """gsi4 keys present only while approved: the near index is sparse."""
    if store.status == APPROVED and store.geohash:
        store.gsi4pk = keys.store_geo_cell(store.geohash[: geo.PARTITION_PRECISION])
        store.gsi4sk = keys.geo_sort(store.geohash, store.store_id)
    else:
        store.gsi4pk = None
        store.gsi4sk = None


def reindex(tx: WriteTransaction, before: Store | None, after: Store) -> None:
    """Bring the store's search entries from ``before`` to ``after`` inside ``tx``.

    Also for other features that change what the index holds (a review changing the
    rating): pass a copy of the store as it was and the store as it will be saved.
    """
    old = {(e.pk, e.sk): e for e in (_search_entries(before) if before is not None else [])}
    new = {(e.pk, e.sk): e for e in _search_entries(after)}
    unchanged = old.keys() == new.keys() and (before is None or before.name == after.name)
    if unchanged:
        return
    for key, entry in old.items():
        if key not in new:
            tx.delete(entry, label="search")
    for entry in new.values():
        tx.put(entry, label="search")


def _snapshot(store: Store) -> Store:
    """A detached copy, to compare a store before and after a change."""
    return Store.from_raw_data(store.serialize())


def _commit(principal: Principal, action: str, before: Store | None, store: Store,
            audit_before: dict[str, Any] | None, audit_after: dict[str, Any]) -> None:  # fmt: skip
    """Save the store with its index changes and the audit record, atomically."""
    _set_geo(store)
    store.updated_at = utc_now()
    try:
        with WriteTransaction() as tx:
            tx.put(store, Store.pk.does_not_exist() if before is None else None, label="store")
            reindex(tx, before, store)
            audit.record(principal.actor, action, "store", store.store_id, tx=tx,
                         before=audit_before, after=audit_after)  # fmt: skip
    except TransactionCancelled:
        raise Conflict("The store changed at the same time; retry.") from None


def _address_fields(store: Store, address: PostalAddress) -> None:
    store.address = {"line1": address.line1, "line2": address.line2, "city": address.city,
                     "country": address.country, "postalCode": address.postal_code}  # fmt: skip
    store.lat = address.lat
    store.lng = address.lng
    store.geohash = geo.encode(address.lat, address.lng)


# --- writing
def create_store(principal: Principal, request: CreateStoreRequest) -> Store:
    """A new store of the caller, ``pending_review`` until an admin approves it."""
    category_ids = list(dict.fromkeys(request.category_ids))
    get_categories(category_ids)
    store_id = new_id()
    now = utc_now()
    created = keys.created_sort(now.isoformat(), store_id)
    store = Store(
        pk=keys.store(store_id), sk=keys.store(store_id),
        gsi1pk=keys.owner_stores(principal.user_id), gsi1sk=created,
        gsi2pk=keys.stores_by_status("pending_review"), gsi2sk=created,
        store_id=store_id, owner_id=principal.user_id, name=request.name, description=request.description,
        category_ids=category_ids, currency=request.currency, status="pending_review",
        created_at=now, updated_at=now,
    )  # fmt: skip
    _address_fields(store, request.address)
    _commit(principal, "store.create", None, store, None,
            {"name": store.name, "status": store.status, "categoryIds": category_ids})  # fmt: skip
    return store


def _owned(principal: Principal, store_id: str) -> Store:
    store = get_store(store_id, consistent=True)
    ensure_owner(principal, store.owner_id)
    return store


def update_store(principal: Principal, store_id: str, request: UpdateStoreRequest) -> Store:
    """Change name, description, categories or address; the indexes follow (re-geohashed)."""
    store = _owned(principal, store_id)
    before = _snapshot(store)
    sent = request.model_fields_set
    changed: dict[str, Any] = {}
    if "name" in sent and request.name is not None and request.name != store.name:
        store.name = changed["name"] = request.name
    if "description" in sent and request.description != store.description:
        store.description = changed["description"] = request.description
    if "category_ids" in sent and request.category_ids is not None:
        category_ids = list(dict.fromkeys(request.category_ids))
        if category_ids != _strings(store.category_ids):
            get_categories(category_ids)
            store.category_ids = changed["categoryIds"] = category_ids  # type: ignore[assignment]
    if "address" in sent and request.address is not None:
        _address_fields(store, request.address)
        changed["address"] = {**(store.address or {}), "lat": store.lat, "lng": store.lng}
    if not changed:
        return store
    audit_before = {k: _audit_value(before, k) for k in changed}
    _commit(principal, "store.update", before, store, audit_before, changed)
    return store


def _audit_value(store: Store, field: str) -> Any:
    if field == "categoryIds":
        return _strings(store.category_ids)
    if field == "address":
        return {**(store.address or {}), "lat": store.lat, "lng": store.lng}
    return getattr(store, field)


def submit_verification(principal: Principal, store_id: str, request: VerificationRequest) -> Store:
    """Attach verification documents; a rejected store goes back to ``pending_review``.

    The documents must be the owner's ``store_document`` uploads, with their files in S3.
    An approved or suspended store has nothing to submit (409 INVALID_STATE).
    """
    store = _owned(principal, store_id)
    if store.status not in ("pending_review", "rejected"):
        raise InvalidState(f"A store that is {store.status} is not waiting for review.")
    uploads = claim_uploads(store.owner_id, request.document_upload_ids, {"store_document"},
                            field="documentUploadIds")  # fmt: skip
    before = _snapshot(store)
    store.document_upload_ids = [u.upload_id for u in uploads]  # type: ignore[misc]
    store.status = "pending_review"
    store.status_reason = None
    store.gsi2pk = keys.stores_by_status(store.status)
    _commit(principal, "store.submit_verification", before, store,
            {"status": before.status, "documentUploadIds": _strings(before.document_upload_ids)},
            {"status": store.status, "documentUploadIds": store.document_upload_ids})  # fmt: skip
    return store


def apply_status(principal: Principal, store_id: str, request: StoreStatusRequest) -> tuple[Store, str]:
    """An admin's decision saved, along the allowed transitions only: the store and its status before.

    :func:`souk.catalog.review.set_store_status` is the whole decision (indexes, email).
    """
    if request.status in NEEDS_REASON and not request.reason:
        raise ValidationFailed.field("reason", f"Say why the store is {request.status}.")
    store = get_store(store_id, consistent=True)
    if request.status not in TRANSITIONS[store.status]:
        raise InvalidState(f"A store that is {store.status} cannot become {request.status}.")
    before = _snapshot(store)
    store.status = request.status
    store.status_reason = request.reason if request.status in NEEDS_REASON else None
    store.gsi2pk = keys.stores_by_status(store.status)
    _commit(principal, "store.status_change", before, store,
            {"status": before.status, "statusReason": before.status_reason},
            {"status": store.status, "statusReason": store.status_reason})  # fmt: skip
    return store, before.status
