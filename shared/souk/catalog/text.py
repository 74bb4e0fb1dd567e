"""Text normalization shared by the product and store search indexes and by search queries.

Both sides (what is indexed and what is asked) go through the same functions, so
"Café-Shoes" indexed and "cafe shoes" asked meet on the same partitions
``SRCH#<kind>#<prefix>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MIN_PREFIX = 2  # one letter would put most of the catalog in one partition
MAX_PREFIX = 15  # longer prefixes add items without making a query more selective
MAX_QUERY_WORDS = 5  # one Query per word: the cost of a search stays bounded

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without accents: ``"Café"`` → ``"cafe"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_words(text: str, *, limit: int | None = None) -> list[str]:
    """The distinct words of ``text``, folded, in order of first appearance.

    Parameters
    ----------
    text
        Any user text (a name, a tag, a query).
    limit
        Keep at most this many words (a search query keeps :data:`MAX_QUERY_WORDS`).

    Returns
    -------
    list[str]
        ASCII words of letters and digits; punctuation and spaces separate words.
    """
    words: list[str] = []
    for word in _NOT_WORD.split(fold(text)):
        if word and word not in words:
            words.append(word)
            if limit is not None and len(words) >= limit:
                break
    return words


def prefixes(word: str, *, min_length: int = MIN_PREFIX, max_length: int = MAX_PREFIX) -> list[str]:
    """Every prefix of ``word`` from ``min_length`` to ``max_length`` characters, shortest first.

    A word shorter than ``min_length`` has none: it cannot be searched on its own.
    """
    return [word[:n] for n in range(min_length, min(len(word), max_length) + 1)]


def index_terms(texts: Iterable[str], *, max_words: int = 20) -> list[str]:
    """The distinct prefixes to index for some texts (a name and its tags), in a stable order.

    ``max_words`` bounds the number of index items a single product or store can create.
    """
    words: list[str] = []
    for text in texts:
        for word in normalize_words(text):
            if word not in words and len(words) < max_words:
                words.append(word)
    terms: list[str] = []
    for word in words:
        terms.extend(p for p in prefixes(word) if p not in terms)
    return terms


def query_term(word: str) -> str | None:
    """The index partition suffix a query word is looked up under, or None if it is too short.

    Words longer than :data:`MAX_PREFIX` are cut to it, as they were when indexed.
    """
    if len(word) < MIN_PREFIX:
        return None
    return word[:MAX_PREFIX]


def tag_key(tag: str) -> str:
    """A tag as stored and filtered on: folded words joined by ``-`` (``"Running Shoes"`` → ``"running-shoes"``)."""
    return "-".join(normalize_words(tag))
