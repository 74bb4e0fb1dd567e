"""The dashboard hooks issue 14 leaves for the SaaS dashboard: each domain's ``dashboard.py`` (found by
``souk.registry``) gives a role's view from its own service, here for a customer with points and unread
notifications."""

from __future__ import annotations

from souk.caller import Principal
from souk.notifications.service.notifications import notify
from souk.registry import declaring
from tests.factories import create_user
from tests.functional.points.support import delivered

ROLES = {"customer", "store_owner", "courier", "admin"}


def _views() -> dict[str, object]:
    return {module.KEY: module for module in declaring("dashboard")}


def test_the_declared_views_are_keyed_by_roles() -> None:
    views = _views()
    assert {"points", "notifications"} <= set(views)
    for module in views.values():
        assert set(module.VIEWS) <= ROLES and module.VIEWS, module.__name__  # type: ignore[attr-defined]


def test_a_customers_points_and_unread_views(aws_resources: dict[str, str]) -> None:
    user = create_user("customer")
    caller = Principal(user.user_id, "customer", None)
    views = _views()
    # GIVEN a delivered order of 12.00 (12 points at the default 1 a unit) and 7 unread notifications
    delivered(user, 1200)
    for n in range(7):
        notify(user.user_id, "order", f"order-{n}", "1", title=f"Order {n}", body="moved")
    # WHEN the SaaS dashboard asks each domain for the customer's view
    points = views["points"].VIEWS["customer"](caller)  # type: ignore[attr-defined]
    unread = views["notifications"].VIEWS["customer"](caller)  # type: ignore[attr-defined]
    # THEN the points view is GET /points' answer, and the unread view the newest 5 with more to read
    assert (points.balance, points.next_expiry.points) == (12, 12)
    assert [n.entity_id for n in unread.newest_unread] == [f"order-{n}" for n in range(6, 1, -1)]
    assert unread.more_unread is True
