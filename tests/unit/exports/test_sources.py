"""Exports' sources are declared by the domains (souk/<domain>/exporting.py), found by the registry."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from souk import registry
from souk.exports.schemas import PUBLIC_TYPES
from souk.exports.service import sources


def _public() -> dict[str, registry.Source]:
    return {name: s for name, s in sources.declared().items() if not s.internal}


def test_each_domain_declares_the_types_it_serves() -> None:
    owners = {m.__name__: set(m.SOURCES) for m in registry.declaring("exporting")}
    assert owners["souk.orders.exporting"] == {"orders"}
    assert owners["souk.identity.exporting"] == {"users"}
    assert owners["souk.catalog.exporting"] == {"products"}
    assert owners["souk.audit.exporting"] == {"audit_logs"}
    assert set(_public()) == set(PUBLIC_TYPES)  # every public type is served
    assert set(_public()) <= set(PUBLIC_TYPES)


def test_admins_ask_for_every_public_type_store_owners_for_orders_and_products_only() -> None:
    public = _public()
    assert all("admin" in s.roles for s in public.values())
    assert {name for name, s in public.items() if "store_owner" in s.roles} <= {"orders", "products"}
    assert "store_owner" in public["orders"].roles and public["users"].roles == frozenset({"admin"})
    assert all(s.columns and len(set(s.columns)) == len(s.columns) for s in public.values())


def test_a_type_declared_by_two_domains_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    declaring = registry.declaring
    again = registry.Source(columns=("id",), page=lambda *a: ([], None))
    twice = SimpleNamespace(__name__="souk.other.exporting", SOURCES={"orders": again})
    monkeypatch.setattr(registry, "declaring", lambda module: (*declaring(module), twice))
    sources.declared.cache_clear()
    try:
        with pytest.raises(sources.DuplicateSource, match=r"'orders' is declared twice \(again by souk\.other"):
            sources.declared()
    finally:
        monkeypatch.undo()
        sources.declared.cache_clear()
