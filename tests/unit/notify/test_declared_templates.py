"""Every domain declares its messages (souk/<domain>/emails.py); notify finds them by convention."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from souk import registry
from souk.notify.exceptions import UnknownTemplateError
from souk.notify.schemas import MessageTemplate
from souk.notify.templates import get_template, render, templates
from tests.call_args import Found, string_arguments

# notify() (souk.notifications) forwards the template of the Message its caller built: the callers'
# Message(...) literals are checked instead of its forwarding calls.
FORWARDERS = frozenset({"shared/souk/notifications/service/notifications.py"})
ENQUEUED = sorted(
    [f for f in string_arguments({"enqueue_email", "enqueue_sms"}, 0, "template")
     if f.where.rsplit(":", 1)[0] not in FORWARDERS]
    + list(string_arguments({"Message"}, 0, "template")),
    key=lambda f: f.where,
)  # fmt: skip


def test_the_producers_are_found() -> None:
    # The scan itself must see the calls, or the next test would pass on nothing.
    assert {f.value for f in ENQUEUED} >= {"verification_code", "password_reset", "order_paid", "low_stock"}


@pytest.mark.parametrize("found", ENQUEUED, ids=lambda f: f"{f.where}:{f.value}")
def test_every_template_the_code_enqueues_is_declared_and_renders(found: Found) -> None:
    # GIVEN a template name some code enqueues (a literal, or a literal passed down to it)
    assert found.value is not None, f"{found.where}: the template name is not readable from the source"
    # WHEN it is looked up and rendered with a value for each variable it uses
    template = get_template(found.value)
    message = render(found.value, {name: f"<{name}>" for name in template.variables})
    # THEN every part is there
    assert message.subject and message.text and message.html and message.sms


def test_templates_come_from_each_domains_emails_module() -> None:
    owners = {module.__name__: {t.name for t in module.TEMPLATES} for module in registry.declaring("emails")}
    assert owners["souk.identity.emails"] == {"verification_code", "password_reset"}
    assert owners["souk.orders.emails"] == {"order_status_changed", "order_paid", "new_order"}
    assert "low_stock" in owners["souk.catalog.emails"]
    assert set(templates()) == set().union(*owners.values())


def test_a_name_declared_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN two domains declaring "broadcast"
    other = SimpleNamespace(__name__="souk.other.emails",
                            TEMPLATES=[MessageTemplate(name="broadcast", subject="s", text="t", html="h")])  # fmt: skip

    declaring = registry.declaring
    monkeypatch.setattr(registry, "declaring", lambda module: (*declaring(module), other))
    templates.cache_clear()
    try:
        # WHEN the registry is built THEN it says which module repeats the name
        with pytest.raises(ValueError, match=r"souk\.other\.emails declares the template 'broadcast'"):
            templates()
    finally:
        monkeypatch.undo()
        templates.cache_clear()
    assert templates()["broadcast"].subject == "$subject"


def test_an_undeclared_name_is_unknown() -> None:
    with pytest.raises(UnknownTemplateError):
        get_template("no_such_template")
