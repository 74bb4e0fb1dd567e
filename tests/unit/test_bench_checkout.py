"""The checkout bench's arithmetic: DynamoDB item sizes and write units."""

from __future__ import annotations

from bench.checkout import Write, item_size, units, value_size


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    # GIVEN strings, numbers (two digits a byte plus one), booleans, lists and maps
    # WHEN sized / THEN names count their UTF-8 bytes, documents 3 bytes plus 1 per element
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert value_size({"N": "123"}) == 3 and value_size({"N": "-1000"}) == 2
    assert value_size({"BOOL": True}) == 1 and value_size({"S": "é"}) == 2
    assert value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (1 + 2) + (1 + 2)
    assert value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert item_size(None) == 0


def test_write_units_round_up_per_kb_and_double_in_a_transaction() -> None:
    # GIVEN an item of just over 1 KB written inside and outside a transaction
    key = {"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER#1"}}
    big = {**key, "blob": {"S": "x" * 1100}}
    # WHEN costed / THEN 2 units of size, doubled in a transaction
    assert units(1024) == 1 and units(1025) == 2 and units(0) == 1
    assert Write("Transact/Put", key, None, big, True).wcu == 4
    assert Write("PutItem", key, None, big, False).wcu == 2


def test_index_writes_count_a_changed_key_twice() -> None:
    # GIVEN an item that moves from one gsi4 key to another and gains a gsi1 key
    key = {"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER#1"}}
    before = {**key, "gsi4pk": {"S": "A"}, "gsi4sk": {"S": "1"}}
    after = {**key, "gsi4pk": {"S": "B"}, "gsi4sk": {"S": "1"}, "gsi1pk": {"S": "U"}, "gsi1sk": {"S": "1"}}
    # WHEN costed / THEN delete + put on gsi4, one put on gsi1
    assert Write("Transact/Update", key, before, after, True).index_wcu == 3
