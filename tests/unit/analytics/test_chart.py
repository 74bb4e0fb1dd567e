"""The SVG chart: fixed size, one bar per point, every text escaped."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

from souk.analytics import chart
from souk.analytics.schemas import AnalyticsOut, Point, ProductCount
from souk.money import Money

NS = "{http://www.w3.org/2000/svg}"


def test_a_chart_is_a_fixed_size_svg_with_a_bar_per_point_scaled_to_the_largest() -> None:
    out = AnalyticsOut(metric="revenue", interval="day", points=[
        Point(start=date(2026, 1, 1), value=Money(amount=500, currency="usd")),
        Point(start=date(2026, 1, 2), value=Money(amount=1000, currency="usd"))])  # fmt: skip
    root = ElementTree.fromstring(chart.render(out, "revenue"))
    assert (root.get("width"), root.get("height")) == ("640", "320")
    bars = [r for r in root.iter(f"{NS}rect") if r.get("fill") == "#3b82f6"]
    assert [float(b.get("height") or 0) for b in bars] == [120.0, 240.0]
    assert [b.find(f"{NS}title").text for b in bars] == ["2026-01-01: 500", "2026-01-02: 1000"]  # type: ignore[union-attr]


def test_text_is_escaped_so_a_title_cannot_inject_markup() -> None:
    point = Point(start=date(2026, 1, 5), value=[ProductCount(product_id="p", quantity=3)])
    out = AnalyticsOut(metric="topProducts", interval="week", points=[point])
    svg = chart.render(out, '<script>alert("x")</script> & "store"')
    assert "<script>" not in svg
    root = ElementTree.fromstring(svg)  # still well-formed
    assert root.find(f"{NS}title").text == '<script>alert("x")</script> & "store"'  # type: ignore[union-attr]
    assert root.get("aria-label") == '<script>alert("x")</script> & "store"'
    assert [r.find(f"{NS}title").text for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None] == [
        "2026-01-05: 3"]  # fmt: skip


def test_an_empty_range_draws_no_bar() -> None:
    root = ElementTree.fromstring(chart.render(AnalyticsOut(metric="orders", interval="day", points=[]), "orders"))
    assert [r for r in root.iter(f"{NS}rect") if r.get("fill") == "#3b82f6"] == []
