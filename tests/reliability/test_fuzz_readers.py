"""Property-based fuzzing of the readers users point at their own files: whatever the bytes, the
corpus reader and the word2vec readers return data or raise embedlab's own error, never crash; and
what they return is clean enough to write back (no control characters, finite vectors)."""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedlab.data.corpus import TextCorpus
from embedlab.data.text import CONTROL
from embedlab.errors import EmbedlabError
from embedlab.io.word2vec import read_word2vec, save_word2vec
from embedlab.static.embeddings import StaticEmbeddings

from .harness import session

# FUZZ_EXAMPLES=3000 for a longer hunt
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes with the structure readers look for (digits, spaces, newlines, tabs, JSON, UTF-8 and its
# breakage, NUL and other controls), not only uniform noise that fails at the first byte.
PIECES = st.sampled_from([b" ", b"\n", b"\t", b"\r\n", b"\x00", b"\x1f", b"\x7f", b"\xc2\x85", b"\xc2\xa0", b"\xff",
                          b"\xe2\x80", b"1", b"0.5", b"-3e2", b"nan", b"inf", b"2 3\n", b"king", b"\xc3\xa9t\xc3\xa9",
                          b"{", b"}", b'"text"', b":", b'"', b"\\u0000", b"\x1f\x8b\x08\x00", b".", b"?"])
STRUCTURED = st.lists(st.one_of(PIECES, st.binary(max_size=8)), max_size=60).map(b"".join)
ANY_BYTES = st.one_of(st.binary(max_size=400), STRUCTURED)


def _file(data: bytes, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-", dir=session().root))  # removed at exit
    path = folder / name
    path.write_bytes(data)
    return path


@FUZZ
@given(data=ANY_BYTES, fmt=st.sampled_from(["lines", "paragraphs", "jsonl"]),
       max_line_bytes=st.sampled_from([8, 64, 1_000_000]))
def test_the_corpus_reader_never_crashes_and_yields_clean_sentences(data: bytes, fmt: str, max_line_bytes: int) -> None:
    corpus = TextCorpus(_file(data, "corpus.txt"), format=fmt, max_line_bytes=max_line_bytes)  # type: ignore[arg-type]
    sentences = list(corpus)  # replace mode: bad bytes are counted, never raised
    for s in sentences:
        assert s and s == s.strip() and not CONTROL.search(s) and "\n" not in s
    assert corpus.stats.sentences == len(sentences)
    assert corpus.stats.lines + corpus.stats.too_long >= data.count(b"\n")


@FUZZ
@given(data=ANY_BYTES)
def test_strict_decoding_raises_only_embedlab_errors(data: bytes) -> None:
    with contextlib.suppress(EmbedlabError):
        list(TextCorpus(_file(data, "corpus.txt"), errors="strict"))


@FUZZ
@given(data=ANY_BYTES, name=st.sampled_from(["v.txt", "v.bin", "v.txt.gz", "v.vec"]))
def test_the_word2vec_readers_return_writable_vectors_or_a_format_error(data: bytes, name: str) -> None:
    path = _file(gzip.compress(data) if name.endswith(".gz") and data[:1] == b"2" else data, name)
    try:
        kv = StaticEmbeddings.load_word2vec_format(path, unicode_errors="replace")
    except EmbedlabError:
        return
    assert np.isfinite(kv.vectors).all() and kv.vectors.shape == (len(kv), kv.dim)
    assert not any(CONTROL.search(w) for w in kv.index_to_key)
    kv.save_word2vec(path.with_name("back.txt"))  # what embedlab reads, it can write
    again = StaticEmbeddings.load_word2vec_format(path.with_name("back.txt"))
    assert again.index_to_key == kv.index_to_key and np.allclose(again.vectors, kv.vectors)


WORD = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=" "), min_size=1, max_size=12)


@FUZZ
@given(words=st.lists(WORD, min_size=1, max_size=8, unique=True), dim=st.integers(1, 5), binary=st.booleans(),
       seed=st.integers(0, 2**16))
def test_any_writable_table_reads_back_the_same(words: list[str], dim: int, binary: bool, seed: int) -> None:
    vectors = np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32)
    path = _file(b"", "v.bin" if binary else "v.txt")
    save_word2vec(path, words, vectors, binary=binary)
    read_words, read_vectors = read_word2vec(path)
    assert read_words == words
    np.testing.assert_allclose(read_vectors, vectors, rtol=1e-6)


@FUZZ
@given(cut=st.integers(0, 200), flips=st.lists(st.tuples(st.integers(0, 199), st.integers(0, 255)), max_size=4),
       binary=st.booleans())
def test_a_damaged_valid_file_gives_vectors_or_a_format_error(cut: int, flips: list[tuple[int, int]],
                                                              binary: bool) -> None:
    path = _file(b"", "v.bin" if binary else "v.txt")
    save_word2vec(path, ["king", "queen", "prince", "été"], np.arange(12, dtype=np.float32).reshape(4, 3),
                  binary=binary)
    data = bytearray(path.read_bytes()[: max(1, len(path.read_bytes()) - cut)])
    for at, value in flips:
        data[at % len(data)] = value
    path.write_bytes(bytes(data))
    try:
        words, vectors = read_word2vec(path, unicode_errors="replace")
    except EmbedlabError:
        return
    assert len(words) == vectors.shape[0]


def test_the_fuzzers_can_fail() -> None:
    """The reader under the fuzzers refuses a NUL-only word: the property is not vacuous."""
    with pytest.raises(EmbedlabError, match="control characters only"):
        read_word2vec(_file(b"1 2\n\x00 1 2\n", "v.txt"))
