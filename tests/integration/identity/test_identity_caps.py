"""Identity caps and defaults under concurrent requests, on DynamoDB Local (moto is not thread-safe)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from souk.caller import Principal
from souk.errors import Conflict, UnprocessableEntity
from souk.identity import keys
from souk.identity.models import Address, AddressBook, ApiKey, ApiKeyRing
from souk.identity.schemas.addresses import AddressIn, AddressPatch
from souk.identity.schemas.api_keys import ApiKeyCreate
from souk.identity.service import addresses, api_keys
from tests.factories import create_user
from tests.plans_support import on_plan

pytestmark = pytest.mark.integration
T = TypeVar("T")

HOME = {"label": "Home", "line1": "1 Main St", "city": "Cairo", "country": "EG", "lat": 30.0, "lng": 31.2}


def _retrying(call: Callable[[], T]) -> T | str:
    """What a well-behaved client does: retry a 409, stop at a 422."""
    for _ in range(50):
        try:
            return call()
        except Conflict:
            continue
        except UnprocessableEntity:
            return "422"
    return "gave up"


def _principal(table: str, role: str = "customer") -> Principal:
    user = create_user(role)
    return Principal(user.user_id, role, session_id="it-session")


def test_concurrent_creations_never_pass_twenty_addresses_or_two_defaults(table: str) -> None:
    # GIVEN a user with no addresses
    caller = _principal(table)
    body = AddressIn(**HOME, is_default=True)
    # WHEN 28 creations, each asking to be the default, race
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: _retrying(lambda: addresses.create_address(caller, body)), range(28)))
    # THEN exactly 20 exist, the others were refused, and exactly one is the default
    stored = list(Address.query(keys.user(caller.user_id), Address.sk.startswith(keys.ADDRESS_PREFIX)))
    assert len(stored) == 20 and results.count("422") == 8
    defaults = [a.address_id for a in stored if a.is_default]
    book = AddressBook.get(keys.user(caller.user_id), keys.ADDRESS_BOOK)
    assert len(defaults) == 1 and book.default_id == defaults[0] and book.address_count == 20


def test_concurrent_default_switches_leave_exactly_one_default(table: str) -> None:
    # GIVEN six addresses
    caller = _principal(table)
    ids = [addresses.create_address(caller, AddressIn(**HOME)).id for _ in range(6)]
    patch = AddressPatch(is_default=True)
    # WHEN every one of them is made the default at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda i: _retrying(lambda: addresses.update_address(caller, i, patch)), ids))
    # THEN one default remains, and the book agrees
    stored = list(Address.query(keys.user(caller.user_id), Address.sk.startswith(keys.ADDRESS_PREFIX)))
    defaults = [a.address_id for a in stored if a.is_default]
    assert len(defaults) == 1
    assert AddressBook.get(keys.user(caller.user_id), keys.ADDRESS_BOOK).default_id == defaults[0]


def test_concurrent_key_creations_stop_at_ten(table: str) -> None:
    # GIVEN a signed-in user with no keys
    caller = _principal(table, "store_owner")
    on_plan("user", caller.user_id, "enterprise")  # unlimited by the plan: the platform's ceiling of 10 holds
    # WHEN 16 keys are created at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(
            lambda i: _retrying(lambda: api_keys.create_api_key(caller, ApiKeyCreate(name=f"k{i}"))),
            range(16)))  # fmt: skip
    # THEN exactly ten exist and the counter says so
    assert results.count("422") == 6
    active = list(ApiKey.gsi1.query(keys.user_api_keys(caller.user_id)))
    assert len(active) == 10
    assert ApiKeyRing.get(keys.user(caller.user_id), keys.API_KEY_RING).active == 10


def test_suspension_revokes_every_key_created_before_it(table: str) -> None:
    # GIVEN a user with keys, and an admin
    from souk.identity.schemas.users import StatusChange
    from souk.identity.service import user_admin

    caller = _principal(table)
    on_plan("user", caller.user_id, "pro")
    raws = [api_keys.create_api_key(caller, ApiKeyCreate(name=f"k{i}")).key for i in range(3)]
    admin = _principal(table, "admin")
    # WHEN the admin suspends the user
    user_admin.set_status(admin, caller.user_id, StatusChange(status="suspended"))
    # THEN none of the keys resolves, none is listed, the counter is zero, and no new key can be made
    assert all(api_keys.resolve_api_key(raw) is None for raw in raws)
    assert list(ApiKey.gsi1.query(keys.user_api_keys(caller.user_id))) == []
    assert ApiKeyRing.get(keys.user(caller.user_id), keys.API_KEY_RING).active == 0
    with pytest.raises(Exception, match="cannot create API keys"):
        api_keys.create_api_key(caller, ApiKeyCreate(name="after"))
