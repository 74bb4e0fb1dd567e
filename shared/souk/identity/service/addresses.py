"""Delivery addresses: at most 20 per user, exactly one default while any exist.

Addresses live in the user's partition, so the list is one Query and another user's
address is simply not found. The book beside them holds the count and the default's id;
every write that changes either is conditional on the book's version, so concurrent
requests can neither pass the cap nor leave two defaults (or none). See
:mod:`souk.identity.store.addresses`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.db.paging import decode_cursor, encode_cursor
from souk.db.transactions import TransactionCancelled
from souk.errors import Conflict, NotFound, UnprocessableEntity
from souk.identity.schemas.addresses import FIELDS, AddressOut, address_out
from souk.identity.schemas.users import Deleted
from souk.identity.store import addresses as store
from souk.ids import new_id

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.models import Address, AddressBook
    from souk.identity.schemas.addresses import AddressIn, AddressPatch
    from souk.schema import PageQuery

MAX_ADDRESSES = 20


def _snapshot(item: Address) -> dict[str, Any]:
    return address_out(item).model_dump(mode="json", exclude={"created_at", "updated_at"})


def _get(user_id: str, address_id: str) -> Address:
    item = store.load_address(user_id, address_id)
    if item is None:
        raise NotFound()
    return item


def own_address(user_id: str, address_id: str) -> Address:
    """One of the user's own addresses (404 for another user's: it is not in their partition)."""
    return _get(user_id, address_id)


def _changed_at_once() -> Conflict:
    return Conflict("Your addresses changed at the same time; retry.")


def check_room(book: AddressBook) -> None:
    """422 when the book already holds the most addresses a user may have."""
    if book.address_count >= MAX_ADDRESSES:
        raise UnprocessableEntity(f"At most {MAX_ADDRESSES} addresses; delete one first.")


def successor_of(address_id: str, oldest: list[Address]) -> str | None:
    """Who becomes the default when ``address_id`` (the default) goes: the oldest other address."""
    others = [a for a in oldest if a.address_id != address_id]
    return others[0].address_id if others else None


def list_addresses(principal: Principal, query: PageQuery) -> tuple[list[AddressOut], str | None]:
    """The caller's addresses, oldest first: one Query."""
    items, last_key = store.list_page(principal.user_id, limit=query.limit, start=decode_cursor(query.cursor))
    return [address_out(i) for i in items], encode_cursor(last_key)


def create_address(principal: Principal, body: AddressIn) -> AddressOut:
    """Add an address; the first one, or one sent with ``isDefault``, becomes the default."""
    user_id = principal.user_id
    book = store.load_book(user_id)
    check_room(book)
    now = datetime.now(UTC)
    address_id = new_id()
    make_default = body.is_default or book.default_id is None
    item = store.new_address(user_id, address_id, {name: getattr(body, name) for name in FIELDS},
                             is_default=make_default, now=now)  # fmt: skip
    book_values: dict[str, Any] = {"address_count": book.address_count + 1}
    if make_default:
        book_values["default_id"] = address_id
    record = audit.build_record(principal.actor, "address.create", "address", address_id, after=_snapshot(item))
    try:
        store.add_address(item, book, book_values, record, previous_default=book.default_id if make_default else None,
                          now=now)  # fmt: skip
    except TransactionCancelled:
        raise _changed_at_once() from None
    return address_out(item)


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
        return address_out(item)
    before = _snapshot(item)
    now = datetime.now(UTC)
    actions = store.update_actions(changes, becomes_default=becomes_default, now=now)
    book = store.load_book(user_id) if becomes_default else None
    for name, value in changes.items():
        setattr(item, name, value)
    item.is_default = item.is_default or becomes_default
    item.updated_at = now
    record = audit.build_record(principal.actor, "address.update", "address", address_id, before=before,
                                after=_snapshot(item))  # fmt: skip
    try:
        store.change_address(item, actions, record, book=book, now=now)
    except TransactionCancelled:
        raise _changed_at_once() from None
    return address_out(item)


def delete_address(principal: Principal, address_id: str) -> Deleted:
    """Remove an own address. Deleting the default makes the oldest remaining one the default."""
    user_id = principal.user_id
    item = _get(user_id, address_id)
    book = store.load_book(user_id)
    values: dict[str, Any] = {"address_count": max(0, book.address_count - 1)}
    successor: str | None = None
    if book.default_id == address_id or item.is_default:
        # Two oldest addresses: one of them is not this one.
        successor = successor_of(address_id, store.oldest_two(user_id))
        values["default_id"] = successor
    record = audit.build_record(principal.actor, "address.delete", "address", address_id, before=_snapshot(item))
    try:
        store.remove_address(item, book, values, record, successor=successor, now=datetime.now(UTC))
    except TransactionCancelled as cancelled:
        if "address" in cancelled.failed():
            raise NotFound() from None
        raise _changed_at_once() from None
    return Deleted(id=address_id)
