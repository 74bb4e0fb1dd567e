"""The settings document's rules, without AWS: merging a change, reading what was saved."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from souk.admin_settings.models import AdminSettingsItem
from souk.admin_settings.schemas import AdminSettings, AdminSettingsUpdate
from souk.admin_settings.service import document, merged


def test_a_change_replaces_only_the_sections_it_sends() -> None:
    stored = AdminSettings.model_validate({"version": 4, "funds": {"holdDays": 2}})
    change = AdminSettingsUpdate.model_validate({"version": 4, "commission": {"defaultRateBps": 700}})
    sections = merged(stored, change)
    assert sections["commission"]["defaultRateBps"] == 700
    assert sections["funds"]["holdDays"] == 2  # untouched
    assert "version" not in sections


def test_a_section_sent_is_replaced_whole_so_left_out_fields_return_to_defaults() -> None:
    commission = {"defaultRateBps": 700, "storeRatesBps": {"s": 1}}
    stored = AdminSettings.model_validate({"version": 1, "commission": commission})
    sections = merged(stored, AdminSettingsUpdate.model_validate({"version": 1, "commission": {"defaultRateBps": 900}}))
    assert sections["commission"]["storeRatesBps"] == {}


def test_no_item_reads_as_the_defaults_and_fields_a_saved_section_lacks_take_theirs() -> None:
    assert document(None).version == 0
    item = AdminSettingsItem(pk="p", sk="s", doc_version=3, sections={"funds": {"holdDays": 5}})
    read = document(item)
    assert read.version == 3 and read.funds.hold_days == 5 and read.commission.default_rate_bps == 1000


def test_a_stored_document_with_a_retired_key_still_reads_and_a_change_sending_it_is_refused() -> None:
    # GIVEN a commission section saved when commissionDeliveryFees existed (delivery fees are the platform's now)
    item = AdminSettingsItem(pk="p", sk="s", doc_version=2, sections={
        "commission": {"defaultRateBps": 800, "storeRatesBps": {}, "commissionDeliveryFees": True},
    })  # fmt: skip
    # WHEN it is read THEN the retired key is dropped and the rest kept
    read = document(item)
    assert read.version == 2 and read.commission.default_rate_bps == 800
    assert "commissionDeliveryFees" not in read.model_dump(by_alias=True)["commission"]
    # AND the next change saves the section without it
    sections = merged(read, AdminSettingsUpdate.model_validate({"version": 2, "funds": {"holdDays": 1}}))
    assert "commissionDeliveryFees" not in sections["commission"]
    # AND a change sending it is refused like any unknown key
    with pytest.raises(ValidationError) as refused:
        AdminSettingsUpdate.model_validate({"version": 2, "commission": {"commissionDeliveryFees": False}})
    assert refused.value.errors()[0]["loc"] == ("commission", "commissionDeliveryFees")


def test_feature_flags_are_declared_strict_booleans_with_defaults() -> None:
    # GIVEN a document saved before the features section existed THEN every flag reads as its default
    item = AdminSettingsItem(pk="p", sk="s", doc_version=1, sections={"funds": {"holdDays": 5}})
    assert document(item).features.exports is True
    # AND a change of the section is saved whole, camelCase, beside the untouched sections
    stored = document(item)
    sections = merged(stored, AdminSettingsUpdate.model_validate({"version": 1, "features": {"exports": False}}))
    assert sections["features"] == {"exports": False} and sections["funds"]["holdDays"] == 5
    # AND an unknown flag or a value that is not a boolean is refused, naming it
    for features, loc in (({"newCheckout": True}, ("features", "newCheckout")), ({"exports": "yes"},
                          ("features", "exports")), ({"exports": 1}, ("features", "exports"))):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            AdminSettingsUpdate.model_validate({"version": 1, "features": features})
        assert refused.value.errors()[0]["loc"] == loc
