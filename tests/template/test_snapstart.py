"""SnapStart is one parameter away (template.yaml ``SnapStart``), off by default, for three functions.

Checked on the SAM transform's output, as CloudFormation would receive it.
"""

from __future__ import annotations

from typing import Any

from infra import sam, template

SNAPSTART_FUNCTIONS = {"OrderCreateFunction", "StripeWebhookFunction", "LoginFunction"}
RESOURCE_BUDGET = 400


def _of(resources: dict[str, Any], function: str, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in resources.items() if k.startswith(function) and r["Type"] == kind}


def test_the_parameter_is_off_by_default_and_names_the_two_settings() -> None:
    parameter = template.load()["Parameters"]["SnapStart"]
    assert parameter["Default"] == "None"
    assert parameter["AllowedValues"] == ["None", "PublishedVersions"]


def test_only_checkout_the_stripe_webhook_and_login_take_it() -> None:
    taking = {f.logical_id for f in template.functions() if "SnapStart" in f.properties}
    assert taking == SNAPSTART_FUNCTIONS
    for name in taking:
        props = next(f for f in template.functions() if f.logical_id == name).properties
        assert props["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
        assert props["AutoPublishAlias"] == "live"


def test_on_each_function_is_published_and_its_route_calls_the_alias() -> None:
    resources = sam.transformed({"SnapStart": "PublishedVersions"})["Resources"]
    for name in SNAPSTART_FUNCTIONS:
        assert resources[name]["Properties"]["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
        [version] = _of(resources, name, "AWS::Lambda::Version").values()
        assert version["DeletionPolicy"] == "Delete"  # a replaced version takes its snapshot with it
        [(alias_id, alias)] = _of(resources, name, "AWS::Lambda::Alias").items()
        assert alias["Properties"]["Name"] == "live"
        [permission] = _of(resources, name, "AWS::Lambda::Permission").values()
        assert permission["Properties"]["FunctionName"] == {"Ref": alias_id}


def test_turning_it_on_or_off_publishes_a_new_version() -> None:
    # SnapStart only applies to versions published after the setting changed.
    off = sam.transformed({"SnapStart": "None"})["Resources"]
    on = sam.transformed({"SnapStart": "PublishedVersions"})["Resources"]
    for name in SNAPSTART_FUNCTIONS:
        assert set(_of(off, name, "AWS::Lambda::Version")).isdisjoint(_of(on, name, "AWS::Lambda::Version"))


def test_with_snapstart_on_the_stack_stays_within_the_resource_budget() -> None:
    count = sam.resource_count({"SnapStart": "PublishedVersions"})
    assert count == sam.resource_count({"SnapStart": "None"})  # the versions and aliases exist either way
    assert 0 < count < RESOURCE_BUDGET
