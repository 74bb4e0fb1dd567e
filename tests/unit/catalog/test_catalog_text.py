"""Search text normalization and HTTP caching helpers: pure functions, no AWS."""

from __future__ import annotations

from souk.catalog import text
from souk.http.caching import _matches, etag_of


def test_normalize_words_folds_case_accents_and_punctuation() -> None:
    assert text.normalize_words("Café-Shoes, CAFÉ shoes!") == ["cafe", "shoes"]
    assert text.normalize_words("a b c d e f g", limit=5) == ["a", "b", "c", "d", "e"]


def test_prefixes_run_from_two_to_fifteen_characters() -> None:
    assert text.prefixes("shoes") == ["sh", "sho", "shoe", "shoes"]
    assert text.prefixes("x") == []
    assert text.prefixes("internationalization")[-1] == "internationaliz"


def test_index_terms_are_distinct_and_bounded() -> None:
    terms = text.index_terms(["Shoe shoes", "running"])
    assert terms == ["sh", "sho", "shoe", "shoes", "ru", "run", "runn", "runni", "runnin", "running"]
    fifty_words = " ".join(f"w{i:03d}" for i in range(50))
    assert text.index_terms([fifty_words], max_words=3) == ["w0", "w00", "w000", "w001", "w002"]


def test_query_term_matches_what_was_indexed() -> None:
    assert text.query_term("s") is None
    assert text.query_term("internationalization") == "internationaliz"
    assert text.tag_key("  Running   Shoes ") == "running-shoes"


def test_etag_ignores_meta_and_if_none_match_uses_weak_comparison() -> None:
    first = etag_of({"data": [1], "meta": {"requestId": "a"}})
    assert first == etag_of({"data": [1], "meta": {"requestId": "b"}})
    assert first != etag_of({"data": [2], "meta": {"requestId": "a"}})
    assert _matches(f"W/{first}", first) and _matches(f'"other", {first}', first) and _matches("*", first)
    assert not _matches(None, first) and not _matches('"other"', first)
