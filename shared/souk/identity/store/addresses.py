"""Addresses in the table: in the user's partition (``USER#<id>`` / ``ADDRESS#<ulid>``), beside the
``AddressBook`` item holding their count and the default's id.

Every write that changes the count or the default is a transaction conditional on the
book's version, so concurrent requests can neither pass the cap nor leave two defaults (or none).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import Address, AddressBook

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord


def load_book(user_id: str) -> AddressBook:
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


def load_address(user_id: str, address_id: str) -> Address | None:
    try:
        return Address.get(keys.user(user_id), keys.address(address_id), consistent_read=True)
    except DoesNotExist:
        return None


def _stub(user_id: str, address_id: str) -> Address:
    """Just the key of an address, to update another address inside a transaction."""
    return Address(pk=keys.user(user_id), sk=keys.address(address_id))


def _set_default(tx: WriteTransaction, user_id: str, address_id: str, value: bool, now: datetime, label: str) -> None:
    tx.update(_stub(user_id, address_id), [Address.is_default.set(value), Address.updated_at.set(now)],
              Address.sk.exists(), label=label)  # fmt: skip


def list_page(user_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[Address], dict[str, Any] | None]:
    """The user's addresses, oldest first: one Query on ``USER#<id>`` begins_with ``ADDRESS#``."""
    result = Address.query(keys.user(user_id), Address.sk.startswith(keys.ADDRESS_PREFIX),
                           page_size=limit, last_evaluated_key=start)  # fmt: skip
    return one_page(Address, result)


def oldest_two(user_id: str) -> list[Address]:
    """The user's two oldest addresses (a single Query, limit 2)."""
    result = Address.query(keys.user(user_id), Address.sk.startswith(keys.ADDRESS_PREFIX), page_size=2)
    return one_page(Address, result)[0]


def new_address(user_id: str, address_id: str, fields: dict[str, Any], *, is_default: bool, now: datetime) -> Address:
    return Address(pk=keys.user(user_id), sk=keys.address(address_id), address_id=address_id, user_id=user_id,
                   is_default=is_default, created_at=now, updated_at=now, **fields)  # fmt: skip


def add_address(item: Address, book: AddressBook, book_values: dict[str, Any], record: AuditRecord, *,
                previous_default: str | None, now: datetime) -> None:  # fmt: skip
    """Save a new address and its book's new ``book_values``; ``previous_default`` loses the default."""
    with WriteTransaction() as tx:
        tx.put(item, Address.sk.does_not_exist(), label="address")
        if previous_default:
            _set_default(tx, item.user_id, previous_default, False, now, "previous")
        tx.update(book, _book_actions(now, **book_values), label="book")  # + version condition
        tx.put(record, label=f"audit:{record.action}")


def change_address(item: Address, actions: list[Action], record: AuditRecord, *, book: AddressBook | None,
                   now: datetime) -> None:  # fmt: skip
    """Update an address; with ``book``, it becomes the default (the previous one loses it)."""
    with WriteTransaction() as tx:
        tx.update(item, actions, Address.sk.exists(), label="address")
        if book is not None:
            if book.default_id and book.default_id != item.address_id:
                _set_default(tx, item.user_id, book.default_id, False, now, "previous")
            tx.update(book, _book_actions(now, default_id=item.address_id), label="book")
        tx.put(record, label=f"audit:{record.action}")


def update_actions(changes: dict[str, Any], *, becomes_default: bool, now: datetime) -> list[Action]:
    """The update of an address's fields; a ``None`` value removes the attribute."""
    actions: list[Action] = [Address.updated_at.set(now)]
    for name, value in changes.items():
        attr = getattr(Address, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    if becomes_default:
        actions.append(Address.is_default.set(True))
    return actions


def remove_address(item: Address, book: AddressBook, book_values: dict[str, Any], record: AuditRecord, *,
                   successor: str | None, now: datetime) -> None:  # fmt: skip
    """Delete an address (label ``address``: gone already) and make ``successor`` the default."""
    with WriteTransaction() as tx:
        tx.delete(item, Address.sk.exists(), label="address")
        if successor:
            _set_default(tx, item.user_id, successor, True, now, "successor")
        tx.update(book, _book_actions(now, **book_values), label="book")
        tx.put(record, label=f"audit:{record.action}")
