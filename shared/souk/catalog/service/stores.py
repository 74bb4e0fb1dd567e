"""Stores: owners create them, admins review them, the public finds the approved ones.

Lifecycle: ``pending_review`` (created, or resubmitted with documents) → ``approved`` or
``rejected`` by an admin; ``approved`` ↔ ``suspended``. Only approved stores are public,
listed, searchable and near-searchable; the owner and admins see the others. The indexes
that make this so are kept by :mod:`souk.catalog.store.stores`; the admin's decision as a
whole (products relisted, owner emailed) is :mod:`souk.catalog.service.review`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.catalog import geo
from souk.catalog.models import APPROVED, Store, strings
from souk.catalog.schemas.stores import (
    CreateStoreRequest,
    StoreListQuery,
    StoreOut,
    StoreStatusRequest,
    UpdateStoreRequest,
    VerificationRequest,
    store_out,
)
from souk.catalog.service.categories import get_categories
from souk.catalog.store import stores as store
from souk.catalog.text import MAX_QUERY_WORDS, normalize_words, query_term
from souk.db.paging import decode_cursor, encode_cursor
from souk.errors import InvalidState, NotFound, UnprocessableEntity, ValidationFailed
from souk.ids import new_id
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from souk.caller import Principal

# Allowed admin decisions, from → to. A rejected store comes back through the owner's
# verification request (→ pending_review), never straight to approved.
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_review": frozenset({"approved", "rejected"}),
    "approved": frozenset({"suspended"}),
    "suspended": frozenset({"approved"}),
    "rejected": frozenset(),
}
NEEDS_REASON = frozenset({"rejected", "suspended"})


# --- rules
def check_reason(requested: str, reason: str | None) -> None:
    """400 ``reason`` when rejecting or suspending without saying why."""
    if requested in NEEDS_REASON and not reason:
        raise ValidationFailed.field("reason", f"Say why the store is {requested}.")


def check_transition(current: str, requested: str) -> None:
    """409 INVALID_STATE for a move :data:`TRANSITIONS` does not list."""
    if requested not in TRANSITIONS[current]:
        raise InvalidState(f"A store that is {current} cannot become {requested}.")


def check_sells(store: Store) -> None:
    """422 unless the store is approved: pending, rejected or suspended stores sell nothing."""
    if store.status != APPROVED:
        raise UnprocessableEntity("The store is not approved for selling.")


def can_see_private(store: Store, principal: Principal | None) -> bool:
    return principal is not None and (principal.is_admin or principal.user_id == store.owner_id)


def search_terms(text: str) -> list[str]:
    """The name prefixes a store search looks up; 400 ``search`` when none is usable."""
    terms = [t for t in (query_term(w) for w in normalize_words(text)) if t][:MAX_QUERY_WORDS]
    if not terms:
        raise ValidationFailed.field("search", "Search with at least 2 letters or digits.")
    return terms


def name_matches(name: str, terms: Iterable[str]) -> bool:
    """Every term starts some word of the name (how the index matched the first term)."""
    words = normalize_words(name)
    return all(any(word.startswith(term) for word in words) for term in terms)


def near_precision(lat: float, radius_km: float) -> int:
    """The geohash precision whose nine cells around ``lat`` cover ``radius_km``; 400 ``radiusKm`` when none does."""
    if geo.coverage_km(lat, geo.FINE_PRECISION) >= radius_km:
        return geo.FINE_PRECISION  # small radius: nine 5-char cells, read with begins_with
    if geo.coverage_km(lat, geo.PARTITION_PRECISION) >= radius_km:
        return geo.PARTITION_PRECISION
    reach = int(geo.coverage_km(lat, geo.PARTITION_PRECISION))
    raise ValidationFailed.field("radiusKm", f"At this latitude the radius is at most {reach} km.")


def rank_near(stores: Iterable[Store], lat: float, lng: float, radius_km: float, *, category: str | None,
              terms: list[str]) -> list[tuple[float, Store]]:  # fmt: skip
    """Approved stores within ``radius_km`` that pass the filters, nearest first (ties by id), with their distance."""
    seen: dict[str, tuple[float, Store]] = {}
    for candidate in stores:
        if candidate.status != APPROVED or candidate.lat is None or candidate.lng is None:
            continue
        if category and category not in (candidate.category_ids or []):
            continue
        if terms and not name_matches(candidate.name, terms):
            continue
        distance = geo.haversine_km(lat, lng, float(candidate.lat), float(candidate.lng))
        if distance <= radius_km:
            seen[candidate.store_id] = (distance, candidate)
    return sorted(seen.values(), key=lambda pair: (pair[0], pair[1].store_id))


# --- reading
def get_store(store_id: str, *, consistent: bool = False) -> Store:
    """The store whatever its status, or 404."""
    found = store.get_store(store_id, consistent=consistent)
    if found is None:
        raise NotFound("No such store.")
    return found


def view_store(store_id: str, principal: Principal | None) -> tuple[StoreOut, bool]:
    """The store for this caller and whether the answer is the public one (cacheable by anyone).

    Approved stores are public; any other status is visible to its owner and admins only
    (404 for everyone else, so its existence is not revealed).
    """
    found = get_store(store_id)
    private = can_see_private(found, principal)
    if found.status != APPROVED and not private:
        raise NotFound("No such store.")
    return store_out(found, private=private), not private


def require_selling_store(store_id: str, principal: Principal) -> Store:
    """The caller's approved store, for selling on it (products, inventory).

    404 for a missing store or another owner's (admins pass); 422 when the store is not
    approved (pending review, rejected or suspended stores sell nothing).
    """
    found = get_store(store_id)
    ensure_owner(principal, found.owner_id)
    check_sells(found)
    return found


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
    found, next_key = store.approved_page(query.category, limit=query.limit, last_key=_key_cursor(query.cursor))
    return [store_out(s) for s in found], encode_cursor(next_key)


def _key_cursor(cursor: str | None) -> dict[str, Any] | None:
    key = decode_cursor(cursor)
    if key is not None and "offset" in key:  # a near-search cursor sent to another listing
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.")
    return key


def _search(query: StoreListQuery) -> tuple[list[StoreOut], str | None]:
    terms = search_terms(query.search or "")
    # The longest term is the most selective partition; the others are checked on its page.
    lead = max(terms, key=len)
    entries, next_key = store.search_page(lead, limit=query.limit, last_key=_key_cursor(query.cursor))
    ids = [e.target_id for e in entries if name_matches(e.name, terms)]
    found = store.get_stores(ids)
    approved = [found[i] for i in ids if i in found and found[i].status == APPROVED]
    if query.category:
        approved = [s for s in approved if query.category in (s.category_ids or [])]
    return [store_out(s) for s in approved], encode_cursor(next_key)


def _near(query: StoreListQuery, lat: float, lng: float) -> tuple[list[StoreOut], str | None]:
    """Approved stores within ``radiusKm``, nearest first; the cursor is an offset into that order."""
    offset = _offset_cursor(query.cursor)
    precision = near_precision(lat, query.radius_km)
    terms = search_terms(query.search) if query.search is not None else []
    cells = [s for cell in geo.neighbourhood(lat, lng, precision) for s in store.stores_in_cell(cell)]
    ranked = rank_near(cells, lat, lng, query.radius_km, category=query.category, terms=terms)
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


# --- writing
def create_store(principal: Principal, request: CreateStoreRequest) -> Store:
    """A new store of the caller, ``pending_review`` until an admin approves it."""
    category_ids = list(dict.fromkeys(request.category_ids))
    get_categories(category_ids)
    created = store.new_store(new_id(), principal.user_id, name=request.name, description=request.description,
                              category_ids=category_ids, currency=request.currency)  # fmt: skip
    store.set_address(created, request.address)
    record = audit.build_record(principal.actor, "store.create", "store", created.store_id,
                                after={"name": created.name, "status": created.status,
                                       "categoryIds": category_ids})  # fmt: skip
    store.save(None, created, record)
    return created


def _owned(principal: Principal, store_id: str) -> Store:
    found = get_store(store_id, consistent=True)
    ensure_owner(principal, found.owner_id)
    return found


def update_store(principal: Principal, store_id: str, request: UpdateStoreRequest) -> Store:
    """Change name, description, categories or address; the indexes follow (re-geohashed)."""
    current = _owned(principal, store_id)
    before = store.snapshot(current)
    sent = request.model_fields_set
    changed: dict[str, Any] = {}
    if "name" in sent and request.name is not None and request.name != current.name:
        current.name = changed["name"] = request.name
    if "description" in sent and request.description != current.description:
        current.description = changed["description"] = request.description
    if "category_ids" in sent and request.category_ids is not None:
        category_ids = list(dict.fromkeys(request.category_ids))
        if category_ids != strings(current.category_ids):
            get_categories(category_ids)
            current.category_ids = changed["categoryIds"] = category_ids  # type: ignore[assignment]
    if "address" in sent and request.address is not None:
        store.set_address(current, request.address)
        changed["address"] = {**(current.address or {}), "lat": current.lat, "lng": current.lng}
    if not changed:
        return current
    audit_before = {k: _audit_value(before, k) for k in changed}
    store.save(before, current, audit.build_record(principal.actor, "store.update", "store", store_id,
                                                   before=audit_before, after=changed))  # fmt: skip
    return current


def _audit_value(snapshot: Store, field: str) -> Any:
    if field == "categoryIds":
        return strings(snapshot.category_ids)
    if field == "address":
        return {**(snapshot.address or {}), "lat": snapshot.lat, "lng": snapshot.lng}
    return getattr(snapshot, field)


def submit_verification(principal: Principal, store_id: str, request: VerificationRequest) -> Store:
    """Attach verification documents; a rejected store goes back to ``pending_review``.

    The documents must be the owner's ``store_document`` uploads, with their files in S3.
    An approved or suspended store has nothing to submit (409 INVALID_STATE).
    """
    current = _owned(principal, store_id)
    if current.status not in ("pending_review", "rejected"):
        raise InvalidState(f"A store that is {current.status} is not waiting for review.")
    uploads = claim_uploads(current.owner_id, request.document_upload_ids, {"store_document"},
                            field="documentUploadIds")  # fmt: skip
    before = store.snapshot(current)
    current.document_upload_ids = [u.upload_id for u in uploads]  # type: ignore[misc]
    current.status = "pending_review"
    current.status_reason = None
    record = audit.build_record(
        principal.actor, "store.submit_verification", "store", store_id,
        before={"status": before.status, "documentUploadIds": strings(before.document_upload_ids)},
        after={"status": current.status, "documentUploadIds": current.document_upload_ids},
    )  # fmt: skip
    store.save(before, current, record)
    return current


def apply_status(principal: Principal, store_id: str, request: StoreStatusRequest) -> tuple[Store, str]:
    """An admin's decision saved, along the allowed transitions only: the store and its status before.

    :func:`souk.catalog.service.review.set_store_status` is the whole decision (indexes, email).
    """
    check_reason(request.status, request.reason)
    current = get_store(store_id, consistent=True)
    check_transition(current.status, request.status)
    before = store.snapshot(current)
    current.status = request.status
    current.status_reason = request.reason if request.status in NEEDS_REASON else None
    record = audit.build_record(principal.actor, "store.status_change", "store", store_id,
                                before={"status": before.status, "statusReason": before.status_reason},
                                after={"status": current.status, "statusReason": current.status_reason})  # fmt: skip
    store.save(before, current, record)
    return current, before.status
