"""word2vec text/binary round trips with gensim, and malformed files."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import numpy as np
import pytest

from embedlab.errors import ModelFormatError
from embedlab.io.word2vec import save_word2vec
from embedlab.static.embeddings import StaticEmbeddings

gensim_models = pytest.importorskip("gensim.models")


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_what_embedlab_writes(tiny_kv: StaticEmbeddings, tmp_path: Path, binary: bool) -> None:
    path = tmp_path / ("v.bin" if binary else "v.txt")
    tiny_kv.save_word2vec(path, binary=binary)
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == tiny_kv.index_to_key
    np.testing.assert_array_equal(kv.vectors, tiny_kv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_embedlab_reads_what_gensim_writes(tiny_kv: StaticEmbeddings, tmp_path: Path, binary: bool) -> None:
    kv = gensim_models.KeyedVectors(vector_size=tiny_kv.dim)
    kv.add_vectors(tiny_kv.index_to_key, tiny_kv.vectors)
    path = tmp_path / ("g.bin" if binary else "g.vec")
    kv.save_word2vec_format(str(path), binary=binary)
    ours = StaticEmbeddings.load_word2vec_format(path)
    assert ours.index_to_key == tiny_kv.index_to_key
    np.testing.assert_allclose(ours.vectors, tiny_kv.vectors, rtol=1e-6)


def test_binary_with_c_tool_newlines_and_compression(tmp_path: Path) -> None:
    # The original C tool writes "\n" after every vector; gensim does not. Both must read.
    vecs = np.array([[1.0, 2.0], [3.0, -4.5]], dtype="<f4")
    body = b"2 2\n" + b"".join(w + b" " + v.tobytes() + b"\n" for w, v in zip([b"a", b"b\xc3\xa9"], vecs, strict=True))
    (tmp_path / "c.bin.gz").write_bytes(gzip.compress(body))
    kv = StaticEmbeddings.load_word2vec_format(tmp_path / "c.bin.gz")
    assert kv.index_to_key == ["a", "bé"]
    np.testing.assert_array_equal(kv.vectors, vecs)
    (tmp_path / "c.txt.bz2").write_bytes(bz2.compress(b"2 2\na 1 2\nb 3 -4.5\n"))
    np.testing.assert_array_equal(StaticEmbeddings.load_word2vec_format(tmp_path / "c.txt.bz2").vectors, vecs)


def test_headerless_glove_text(tmp_path: Path) -> None:
    (tmp_path / "glove.txt").write_text("the 0.5 1.0 -1\nof 2 3 4\n")
    kv = StaticEmbeddings.load_word2vec_format(tmp_path / "glove.txt")
    assert kv.index_to_key == ["the", "of"] and kv.dim == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"3 2\na 1 2\nb 3 4\n", "truncated"),
        (b"2 3\na 1 2 3\nb 1 2\n", "expected a word and 3 values"),
        (b"2 2\na 1 x\nb 1 2\n", "non-numeric"),
        (b"2 2\na 1 nan\nb 1 2\n", "NaN or inf"),
        (b"2 2\n\xff\xfe 1 2\nb 1 2\n", "not valid UTF-8"),
    ],
)
def test_malformed_text_files_raise_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ModelFormatError, match=message):
        StaticEmbeddings.load_word2vec_format(path)


def test_undecodable_words_can_be_replaced(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_bytes(b"1 2\n\xffa 1 2\n")
    kv = StaticEmbeddings.load_word2vec_format(tmp_path / "v.txt", unicode_errors="replace")
    assert kv.index_to_key == ["\ufffda"]


def test_truncated_binary(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    path = tmp_path / "v.bin"
    tiny_kv.save_word2vec(path, binary=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(ModelFormatError, match="truncated"):
        StaticEmbeddings.load_word2vec_format(path)
    path.write_bytes(b"garbage header\n")
    with pytest.raises(ModelFormatError, match="first line"):
        StaticEmbeddings.load_word2vec_format(path)


def test_limit_and_writer_refuses_bad_input(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    tiny_kv.save_word2vec(tmp_path / "v.bin", binary=True)
    assert len(StaticEmbeddings.load_word2vec_format(tmp_path / "v.bin", limit=3)) == 3
    with pytest.raises(ValueError, match="spaces"):
        save_word2vec(tmp_path / "x.txt", ["a b"], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="NaN"):
        save_word2vec(tmp_path / "x.txt", ["a"], np.array([[np.nan, 1.0]]))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"2 3\nking 1 2 3 4\nqueen 1 2 3\n", "expected a word and 3 values, found 4"),
        (b"king 1 2\nqueen 1 2 3\n", "expected a word and 2 values, found 3"),  # ragged headerless file
    ],
)
def test_surplus_values_are_not_glued_onto_the_word(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "v.txt").write_bytes(content)
    with pytest.raises(ModelFormatError, match=message):
        StaticEmbeddings.load_word2vec_format(tmp_path / "v.txt")


def test_binary_with_a_wrong_header(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    path = tmp_path / "v.bin"
    tiny_kv.save_word2vec(path, binary=True)
    body = path.read_bytes().split(b"\n", 1)[1]
    path.write_bytes(b"12 8\n" + body)  # the vectors have 16 dims
    with pytest.raises(ModelFormatError, match="malformed word|data continues"):
        StaticEmbeddings.load_word2vec_format(path)
    path.write_bytes(b"99999999999 16\n" + body)  # absurd count: a clear error, no giant allocation
    with pytest.raises(ModelFormatError, match="truncated"):
        StaticEmbeddings.load_word2vec_format(path)
    path.write_bytes(b"3 16\n" + body)  # fewer than the file holds
    with pytest.raises(ModelFormatError, match="data continues"):
        StaticEmbeddings.load_word2vec_format(path)
    assert len(StaticEmbeddings.load_word2vec_format(path, limit=3)) == 3


def test_corrupt_compressed_files(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    tiny_kv.save_word2vec(tmp_path / "v.txt.gz")
    data = (tmp_path / "v.txt.gz").read_bytes()
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "plain.txt.gz").write_bytes(b"2 2\na 1 2\nb 3 4\n")
    (tmp_path / "bad.bin.bz2").write_bytes(b"BZh9 not really bzip2")
    for name in ("cut.txt.gz", "plain.txt.gz", "bad.bin.bz2"):
        with pytest.raises(ModelFormatError, match="cannot read the file"):
            StaticEmbeddings.load_word2vec_format(tmp_path / name)


def test_case_sensitive_word2vec_tables_are_reachable_from_text(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_text("2 2\nParis 1 0\ncity 0 1\n")
    kv = StaticEmbeddings.load_word2vec_format(tmp_path / "v.txt")
    np.testing.assert_allclose(kv.encode(["Paris City"])[0], [0.5, 0.5])
