"""Delivery addresses: at most 20 per user, exactly one default while any exist.

Addresses live in the user's partition (``USER#<id>`` / ``ADDRESS#<ulid>``), so the list
is one Query and another user's address is simply not found. The ``AddressBook`` item
next to them holds the count and the default's id; every write that changes either is
a transaction conditional on the book's version, so concurrent requests can neither
pass the cap nor leave two defaults (or none).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.db import keys
from souk.db.paging import decode_cursor, encode_cursor, one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, NotFound, UnprocessableEntity
from souk.identity.models import Address, AddressBook
from souk.identity.schemas import Deleted
from souk.ids import new_id
from souk.schema import (
    AddressLine,
    CamelModel,
    City,
    Latitude,
    Longitude,
    PageQuery,
    PatchModel,
    PostalAddress,
    PostalCode,
    country_code,
    one_line_text,
)

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.caller import Principal

MAX_ADDRESSES = 20

Label = one_line_text(50)


class AddressIn(PostalAddress):
    """A delivery address: a place, with the customer's label for it."""

    label: Label  # type: ignore[valid-type]
    is_default: bool = Field(False, description="The first address is the default whatever this says.")


class AddressPatch(PatchModel):
    """PATCH body: only the fields sent change; ``line2`` and ``postalCode`` may be null to clear them."""

    not_nullable = ("label", "line1", "city", "country", "lat", "lng", "is_default")

    label: Label | None = None  # type: ignore[valid-type]
    line1: AddressLine | None = None  # type: ignore[valid-type]
    line2: AddressLine | None = None  # type: ignore[valid-type]
    city: City | None = None  # type: ignore[valid-type]
    postal_code: PostalCode | None = None  # type: ignore[valid-type]
    country: str | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    is_default: bool | None = Field(None, description="Only true is accepted: make another address the default.")

    _country = field_validator("country")(country_code)


class AddressOut(CamelModel):
    id: str
    label: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str | None = None
    country: str
    lat: float
    lng: float
    is_default: bool
    created_at: datetime
    updated_at: datetime


FIELDS = ("label", "line1", "line2", "city", "postal_code", "country", "lat", "lng")


def _out(item: Address) -> AddressOut:
    return AddressOut(id=item.address_id, is_default=bool(item.is_default), created_at=item.created_at,
                      updated_at=item.updated_at, **{name: getattr(item, name) for name in FIELDS})  # fmt: skip


def _snapshot(item: Address) -> dict[str, Any]:
    return _out(item).model_dump(mode="json", exclude={"created_at", "updated_at"})


def _book(user_id: str) -> AddressBook:
    """The user's address book (a fresh one, version unset, when the user has none yet)."""
    try:
        return AddressBook.get(keys.user(user_id), keys.ADDRESS_BOOK, consistent_read=True)
    except DoesNotExist:
        return AddressBook(pk=keys.user(user_id), sk=keys.ADDRESS_BOOK, address_count=0)


def _book_actions(now: datetime, **values: Any) -> list[Action]:
    """Set book fields; also the discriminator and creation time when this write creates the book."""
    actions: list[Action] = [AddressBook.entity.set(AddressBook), AddressBook.updated_at.set(now),
                             AddressBook.created_at.set(AddressBook.created_at | now)]  # fmt: skip
    for name, value in values.items():
        attr = getattr(AddressBook, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    return actions


def _get(user_id: str, address_id: str) -> Address:
    try:
        return Address.get(keys.user(user_id), keys.address(address_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None


def _stub(user_id: str, address_id: str) -> Address:
    """Just the key of an address, to update another address inside a transaction."""
    return Address(pk=keys.user(user_id), sk=keys.address(address_id))


def _changed_at_once() -> Conflict:
    return Conflict("Your addresses changed at the same time; retry.")


def list_addresses(principal: Principal, query: PageQuery) -> tuple[list[AddressOut], str | None]:
    """The caller's addresses, oldest first: one Query on ``USER#<id>`` begins_with ``ADDRESS#``."""
    result = Address.query(keys.user(principal.user_id), Address.sk.startswith(keys.ADDRESS_PREFIX),
                           page_size=query.limit, last_evaluated_key=decode_cursor(query.cursor))  # fmt: skip
    items, last_key = one_page(Address, result)
    return [_out(i) for i in items], encode_cursor(last_key)


def create_address(principal: Principal, body: AddressIn) -> AddressOut:
    """Add an address; the first one, or one sent with ``isDefault``, becomes the default."""
    user_id = principal.user_id
    book = _book(user_id)
    if book.address_count >= MAX_ADDRESSES:
        raise UnprocessableEntity(f"At most {MAX_ADDRESSES} addresses; delete one first.")
    now = datetime.now(UTC)
    address_id = new_id()
    make_default = body.is_default or book.default_id is None
    item = Address(pk=keys.user(user_id), sk=keys.address(address_id), address_id=address_id, user_id=user_id,
                   is_default=make_default, created_at=now, updated_at=now,
                   **{name: getattr(body, name) for name in FIELDS})  # fmt: skip
    book_values: dict[str, Any] = {"address_count": book.address_count + 1}
    try:
        with WriteTransaction() as tx:
            tx.put(item, Address.sk.does_not_exist(), label="address")
            if make_default:
                book_values["default_id"] = address_id
                if book.default_id:
                    tx.update(_stub(user_id, book.default_id), [Address.is_default.set(False),
                              Address.updated_at.set(now)], Address.sk.exists(), label="previous")  # fmt: skip
            tx.update(book, _book_actions(now, **book_values), label="book")  # + version condition
            audit.record(principal.actor, "address.create", "address", address_id, tx=tx, after=_snapshot(item))
    except TransactionCancelled:
        raise _changed_at_once() from None
    return _out(item)


def update_address(principal: Principal, address_id: str, body: AddressPatch) -> AddressOut:
    """Change fields of an own address; ``isDefault: true`` moves the default here, atomically.

    Unsetting the default is refused (422): there is always exactly one, so the client
    makes another address the default instead.
    """
    user_id = principal.user_id
    item = _get(user_id, address_id)
    sent = body.model_fields_set
    if "is_default" in sent and body.is_default is False and item.is_default:
        raise UnprocessableEntity("An address book always has one default; make another address the default.")
    changes = {name: getattr(body, name) for name in FIELDS if name in sent}
    changes = {name: value for name, value in changes.items() if getattr(item, name) != value}
    becomes_default = bool(body.is_default) and not item.is_default
    if not changes and not becomes_default:
        return _out(item)
    before = _snapshot(item)
    now = datetime.now(UTC)
    actions: list[Action] = [Address.updated_at.set(now)]
    for name, value in changes.items():
        attr = getattr(Address, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    book = _book(user_id) if becomes_default else None
    if becomes_default:
        actions.append(Address.is_default.set(True))
    try:
        with WriteTransaction() as tx:
            tx.update(item, actions, Address.sk.exists(), label="address")
            if book is not None:
                if book.default_id and book.default_id != address_id:
                    tx.update(_stub(user_id, book.default_id), [Address.is_default.set(False),
                              Address.updated_at.set(now)], Address.sk.exists(), label="previous")  # fmt: skip
                tx.update(book, _book_actions(now, default_id=address_id), label="book")
            for name, value in changes.items():
                setattr(item, name, value)
            item.is_default = item.is_default or becomes_default
            item.updated_at = now
            audit.record(principal.actor, "address.update", "address", address_id, tx=tx, before=before,
                         after=_snapshot(item))  # fmt: skip
    except TransactionCancelled:
        raise _changed_at_once() from None
    return _out(item)


def delete_address(principal: Principal, address_id: str) -> Deleted:
    """Remove an own address. Deleting the default makes the oldest remaining one the default."""
    user_id = principal.user_id
    item = _get(user_id, address_id)
    book = _book(user_id)
    values: dict[str, Any] = {"address_count": max(0, book.address_count - 1)}
    successor: str | None = None
    if book.default_id == address_id or item.is_default:
        # Two oldest addresses: one of them is not this one (a single Query, limit 2).
        result = Address.query(keys.user(user_id), Address.sk.startswith(keys.ADDRESS_PREFIX), page_size=2)
        others = [a for a in one_page(Address, result)[0] if a.address_id != address_id]
        successor = others[0].address_id if others else None
        values["default_id"] = successor
    now = datetime.now(UTC)
    try:
        with WriteTransaction() as tx:
            tx.delete(item, Address.sk.exists(), label="address")
            if successor:
                tx.update(_stub(user_id, successor), [Address.is_default.set(True), Address.updated_at.set(now)],
                          Address.sk.exists(), label="successor")  # fmt: skip
            tx.update(book, _book_actions(now, **values), label="book")
            audit.record(principal.actor, "address.delete", "address", address_id, tx=tx, before=_snapshot(item))
    except TransactionCancelled as cancelled:
        if "address" in cancelled.failed():
            raise NotFound() from None
        raise _changed_at_once() from None
    return Deleted(id=address_id)
