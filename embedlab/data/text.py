"""Plain-text helpers shared by corpus readers and packaged-corpus normalizers.

Sentence splitting is rule-based (no model): it breaks after ``.``, ``!`` or ``?`` (optionally
followed by closing quotes or brackets) when the next non-space character starts a new sentence, and
it does not break after common abbreviations ("Mr.", "e.g.") or single initials ("J. Smith").
"""

from __future__ import annotations

import re
import unicodedata

# Same split as the HF ``tokenizers`` Whitespace pre-tokenizer, so counts agree with WordTokenizer.
_TOKEN_RE = re.compile(r"\w+|[^\w\s]+")
_SPACE_RE = re.compile(r"\s+")
# Control characters (C0 but tab / line or page breaks, DEL, C1): a NUL inside a word would reach a
# vocabulary and break the word2vec files written from it.
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e", "cf", "no", "vol", "fig", "gen", "col", "capt", "lt", "sgt", "rev", "hon", "gov", "sen", "rep", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "ltd", "co", "corp", "dept", "u.s", "u.k"]
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY_RE = re.compile(r"([.!?]+[\"'\u201d\u2019)\]]*)(\s+)")


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace (including newlines and tabs) to one space and strip the ends."""
    return _SPACE_RE.sub(" ", text).strip()


def normalize_unicode(text: str) -> str:
    """NFKC-normalize and drop control characters other than whitespace."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if ch.isprintable() or ch.isspace())


def count_words(text: str) -> int:
    """Number of word and punctuation tokens, as the default ``WordTokenizer`` would split them."""
    return len(_TOKEN_RE.findall(text))


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences.

    Args:
        text: a paragraph; internal newlines are treated as spaces.

    Returns:
        The sentences, whitespace-normalized, empty ones dropped.

    Example:
        >>> split_sentences("Mr. Smith went home. He slept!  Then? Yes.")
        ['Mr. Smith went home.', 'He slept!', 'Then?', 'Yes.']
    """
    text = normalize_whitespace(text)
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        end = match.end(1)
        nxt = match.end()
        if nxt >= len(text):
            break
        following = text[nxt]
        if not (following.isupper() or following.isdigit() or following in "\"'\u201c\u2018(["):
            continue
        if match.group(1).startswith(".") and _is_abbreviation(text[start:match.start(1)]):
            continue
        sentences.append(text[start:end].strip())
        start = nxt
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def _is_abbreviation(before: str) -> bool:
    """True when the word right before a period is an abbreviation or a single initial."""
    word = before.rsplit(" ", 1)[-1].lstrip("\"'(\u201c[").lower()
    return len(word) == 1 and word.isalpha() or word in _ABBREVIATIONS
