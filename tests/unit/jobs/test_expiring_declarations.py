"""The cleanup job finds each domain's expiring entities by convention (souk/<domain>/expiring.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from souk import registry
from souk.db.base import SoukItem, all_models
from souk.jobs import service as cleanup


def test_each_domain_declares_its_own_expiring_entities() -> None:
    owners = {module.__name__: set(module.EXPIRING) for module in registry.declaring("expiring")}
    assert owners == {
        "souk.cart.expiring": {"Cart"},
        "souk.identity.expiring": {"Session", "OneTimeCode", "ResetToken", "OAuthState"},
        "souk.orders.expiring": {"Order"},
        "souk.payments.expiring": {"Refund"},
    }
    assert set(cleanup.handlers()) == set().union(*owners.values())


def test_every_declared_entity_is_a_model_of_the_table() -> None:
    cleanup.handlers()  # imports the declaring modules, hence their models
    entity = SoukItem._get_discriminator_attribute()
    discriminators = {entity.get_discriminator(model) for model in all_models()}
    assert set(cleanup.handlers()) <= discriminators


def test_an_entity_declared_by_two_domains_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    declaring = registry.declaring
    other = SimpleNamespace(__name__="souk.other.expiring", EXPIRING={"Session": lambda raw: True})
    monkeypatch.setattr(registry, "declaring", lambda module: (*declaring(module), other))
    cleanup.handlers.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"souk\.other\.expiring declares 'Session'"):
            cleanup.handlers()
    finally:
        monkeypatch.undo()
        cleanup.handlers.cache_clear()
    assert "Session" in cleanup.handlers()
