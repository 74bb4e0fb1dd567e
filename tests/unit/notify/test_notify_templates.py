"""Message templates: substitution, escaping, defaults and the errors the worker relies on."""

from __future__ import annotations

from string import Template

import pytest

from souk.notify.exceptions import MissingVariableError, PermanentNotificationError, UnknownTemplateError
from souk.notify.templates import render, templates, validate

CODE_VARS = {"code": "482913", "expires_in_minutes": 10}


def test_variables_are_substituted_in_every_part() -> None:
    # GIVEN a verification code and its lifetime
    # WHEN the template is rendered
    message = render("verification_code", {**CODE_VARS, "name": "Ada"})

    # THEN each part carries the values
    assert message.subject == "Your Souk verification code"
    assert "Hi Ada," in message.text
    assert "482913" in message.text and "10 minutes" in message.text
    assert "482913" in message.html and "<!doctype html>" in message.html
    assert message.sms == "Your Souk code is 482913. It expires in 10 minutes."


def test_defaults_fill_optional_variables_and_can_be_overridden() -> None:
    # GIVEN no name WHEN rendered THEN the default greeting is used
    assert "Hi there," in render("verification_code", CODE_VARS).text
    # GIVEN a reason WHEN rendered THEN it replaces the default
    changed = render("store_status_changed", {"store_name": "Deli", "status": "suspended", "reason": "expired docs"})
    assert "Reason: expired docs" in changed.text
    assert "Reason: none given" in render("store_status_changed", {"store_name": "Deli", "status": "approved"}).text


def test_values_are_html_escaped_in_html_only() -> None:
    # GIVEN a store name that is markup
    hostile = '<script>alert("x")</script> & Co'

    # WHEN rendered
    message = render("store_status_changed", {"store_name": hostile, "status": "approved"})

    # THEN the HTML body shows it as text, while the text body and subject keep it verbatim
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in message.html
    assert hostile in message.text
    assert message.subject == f"Your store {hostile} is now approved"


def test_a_value_cannot_add_a_line_to_the_subject() -> None:
    # GIVEN a broadcast subject carrying CR/LF (a header-injection attempt)
    # WHEN rendered
    message = render("broadcast", {"subject": "Sale\r\nBcc: everyone@example.com", "body": "line one\nline two"})

    # THEN the subject is one line, and the body's line breaks survive as <br> in HTML
    assert message.subject == "Sale Bcc: everyone@example.com"
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "line one<br>\nline two" in message.html
    assert message.text.startswith("line one\nline two")


def test_dollar_signs_in_values_are_not_substituted_again() -> None:
    # GIVEN a value that looks like a placeholder
    message = render("broadcast", {"subject": "Save $5 on $code", "body": "${body}"})
    # THEN it is printed as given
    assert message.subject == "Save $5 on $code"
    assert message.text.startswith("${body}")


def test_numbers_are_formatted() -> None:
    message = render(
        "low_stock", {"store_name": "Deli", "product_name": "Tea", "variant_sku": "TEA-1", "stock": 2, "threshold": 5}
    )
    assert "2 left, threshold 5" in message.text


def test_unknown_template_is_a_permanent_error() -> None:
    # WHEN a template name is not registered
    with pytest.raises(UnknownTemplateError) as excinfo:
        render("welcome_pony", {})

    # THEN the error names it and tells the worker not to hope for a retry
    assert "welcome_pony" in str(excinfo.value)
    assert isinstance(excinfo.value, PermanentNotificationError)
    assert excinfo.value.retryable is False


def test_missing_variables_are_all_named_without_values() -> None:
    # GIVEN a team invite with only some variables
    with pytest.raises(MissingVariableError) as excinfo:
        render("team_invite", {"team_name": "Ops", "token": "s3cr3t-token"})

    # THEN every missing name is listed, sorted, and no supplied value leaks into the message
    assert excinfo.value.missing == ["accept_url", "inviter_name", "role"]
    assert "accept_url, inviter_name, role" in str(excinfo.value)
    assert "s3cr3t-token" not in str(excinfo.value)
    assert excinfo.value.retryable is False


def test_extra_variables_are_ignored() -> None:
    assert validate("broadcast", {"subject": "s", "body": "b", "unused": "x"}).name == "broadcast"


@pytest.mark.parametrize("name", sorted(templates()))
def test_every_template_renders_with_its_required_variables(name: str) -> None:
    # GIVEN a value for each required variable
    template = templates()[name]
    values = {var: f"<{var}>" for var in template.required}

    # WHEN rendered
    message = render(name, values)

    # THEN nothing is left unsubstituted and every part is non-empty
    for part in (message.subject, message.text, message.html, message.sms):
        assert part
        assert not Template(part).get_identifiers(), part


def test_the_contracts_templates_are_registered() -> None:
    expected = {"verification_code", "password_reset", "team_invite", "store_status_changed", "low_stock", "broadcast"}
    assert expected <= templates().keys()
