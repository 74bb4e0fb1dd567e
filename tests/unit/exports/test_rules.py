"""Exports' pure rules: who exports what, CSV neutralising and rows, JSON Lines, progress, parts."""

from __future__ import annotations

import csv
import io
import json

import pytest

from souk.exports import rules


@pytest.mark.parametrize(("role", "roles", "allowed"), [
    ("admin", {"admin"}, True), ("admin", {"admin", "store_owner"}, True), ("store_owner", {"admin"}, False),
    ("store_owner", {"admin", "store_owner"}, True), ("customer", {"admin", "store_owner"}, False),
    ("admin", set(), False),  # an internal source: no role asks for it
])  # fmt: skip
def test_a_source_says_who_may_export_it(role: str, roles: set[str], allowed: bool) -> None:
    assert rules.may_export(role, frozenset(roles)) is allowed


@pytest.mark.parametrize(("value", "cell"), [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+1 555", "'+1 555"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (42, "42"), (-5, "'-5"), (" =x", " =x"),
])  # fmt: skip
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value: object, cell: str) -> None:
    assert rules.neutralise(value) == cell


def test_csv_rows_quote_and_neutralise_every_cell_in_column_order() -> None:
    columns = ("id", "name", "note")
    data = rules.csv_rows([{"id": "o1", "name": 'Ali, "the" baker', "note": "=HYPERLINK(\"x\")"},
                           {"id": "o2", "name": "line\nbreak"}], columns)  # fmt: skip
    parsed = list(csv.reader(io.StringIO(data.decode())))
    assert parsed == [["o1", 'Ali, "the" baker', '\'=HYPERLINK("x")'], ["o2", "line\nbreak", ""]]
    assert data.endswith(b"\r\n")


def test_the_header_is_the_columns_neutralised_like_any_row() -> None:
    assert rules.csv_header(("id", "storeId", "-x")).decode().strip().split(",") == ["id", "storeId", "'-x"]


def test_json_lines_one_object_a_line_so_parts_concatenate() -> None:
    first = rules.json_lines([{"id": "a", "total": 1}])
    second = rules.json_lines([{"id": "b", "total": 2}, {"id": "c", "total": None}])
    rows = [json.loads(line) for line in (first + second).decode().splitlines()]
    assert rows == [{"id": "a", "total": 1}, {"id": "b", "total": 2}, {"id": "c", "total": None}]
    assert rules.encode_rows([{"id": "a"}], ("id", "total"), "json") == b'{"id":"a"}\n'
    assert rules.encode_rows([{"id": "=a"}], ("id", "total"), "csv") == b"'=a,\r\n"


def test_progress_grows_with_pages_and_reaches_100_only_when_done() -> None:
    values = [rules.progress(p, done=False) for p in range(0, 2000, 7)]
    assert values == sorted(values) and values[0] == 0 and max(values) == 98
    assert (rules.progress(10, done=False), rules.progress(40, done=False), rules.progress(90, done=False)) == (
        49,
        79,
        89,
    )
    assert rules.progress(0, done=True) == rules.progress(3, done=True) == 100


def test_a_part_is_ready_at_5_mib_and_parts_are_numbered_from_1() -> None:
    assert rules.MIN_PART_SIZE == 5 * 1024 * 1024
    assert not rules.part_ready(rules.MIN_PART_SIZE - 1)
    assert rules.part_ready(rules.MIN_PART_SIZE)
    assert rules.part_ready(100, part_size=100) and not rules.part_ready(99, part_size=100)
    assert rules.next_part_number([]) == 1
    assert rules.next_part_number([{"PartNumber": 1, "ETag": "a"}, {"PartNumber": 2, "ETag": "b"}]) == 3
