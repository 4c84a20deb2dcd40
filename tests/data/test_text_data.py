"""Tokenizer, vocabulary, sentence splitting and streaming corpus readers."""

from __future__ import annotations

import bz2
import gzip
import json
import logging
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from embedlab.data.corpus import TextCorpus, read_sentences
from embedlab.data.text import count_words, split_sentences
from embedlab.data.tokenize import WordTokenizer
from embedlab.data.vocab import Vocab
from embedlab.errors import DataError


def test_tokenizer_splits_punctuation_and_lowercases() -> None:
    assert WordTokenizer().tokenize("The Cat's  hat, ﬁne!") == ["the", "cat", "'", "s", "hat", ",", "fine", "!"]
    assert WordTokenizer(lowercase=False).tokenize("New York") == ["New", "York"]
    assert count_words("The Cat's hat!") == 6


def test_split_sentences() -> None:
    text = 'Mr. Smith went to Washington. He arrived at 3.15 p.m. today! "Why?" asked J. Doe. it ended'
    assert split_sentences(text) == [
        "Mr. Smith went to Washington.",
        "He arrived at 3.15 p.m. today!",
        '"Why?" asked J. Doe. it ended',
    ]
    assert split_sentences("   \n ") == []


def test_vocab_order_min_count_max_size_specials() -> None:
    sents = [["b", "a", "a", "c"], ["a", "b", "d"]]
    vocab = Vocab.build(sents, min_count=1, specials=["<pad>", "<unk>"])
    assert vocab.itos == ["<pad>", "<unk>", "a", "b", "c", "d"]  # count desc, ties alphabetical
    assert vocab.counts.tolist() == [0, 0, 3, 2, 1, 1]
    assert vocab.encode(["a", "zz"]) == [2, 1]
    assert Vocab.build(sents, min_count=2).itos == ["<unk>", "a", "b"]
    assert Vocab.build(sents, max_size=1).itos == ["<unk>", "a"]
    no_unk = Vocab.build(sents, specials=[])
    with pytest.raises(KeyError):
        no_unk.encode(["zz"])


def test_vocab_save_load_and_hf_tokenizer(tmp_path: Path) -> None:
    vocab = Vocab.from_texts(["The cat sat.", "the dog sat"], specials=["<unk>"])
    vocab.save(tmp_path)
    again = Vocab.load(tmp_path)
    assert again.itos == vocab.itos and again.counts.tolist() == vocab.counts.tolist()
    tok = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    assert tok.encode("The Cat flew").ids == vocab.encode(["the", "cat", "flew"])


def test_corpus_formats(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one sentence\n\n  two   sentence \n")
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"three\n"))
    (tmp_path / "c.txt.bz2").write_bytes(bz2.compress(b"four\n"))
    corpus = TextCorpus([tmp_path / "a.txt", tmp_path / "b.txt.gz", tmp_path / "c.txt.bz2"])
    assert list(corpus) == ["one sentence", "two sentence", "three", "four"]
    assert list(corpus) == ["one sentence", "two sentence", "three", "four"]  # re-iterable
    assert corpus.stats.empty == 1 and corpus.stats.sentences == 4
    (tmp_path / "p.txt").write_text("First one. Second\none.\n\nNew paragraph here.\n")
    assert read_sentences(tmp_path / "p.txt", format="paragraphs") == ["First one.", "Second one.", "New paragraph here."]
    rows = [{"text": "hello there"}, {"text": ["a list", "of two"]}, {"other": 1}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    jc = TextCorpus(tmp_path / "d.jsonl", format="jsonl")
    assert list(jc) == ["hello there", "a list", "of two"]
    assert jc.stats.bad_json == 2


def test_bad_encoding_is_counted_or_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "bad.txt").write_bytes(b"good line\ncaf\xe9 latin-1\nfine\n")
    corpus = TextCorpus(tmp_path / "bad.txt")
    with caplog.at_level(logging.WARNING):
        assert list(corpus) == ["good line", "caf\ufffd latin-1", "fine"]
    assert corpus.stats.bad_encoding == 1
    assert "invalid UTF-8" in caplog.text
    with pytest.raises(DataError, match=r"bad.txt:2: not valid UTF-8"):
        list(TextCorpus(tmp_path / "bad.txt", errors="strict"))


def test_giant_lines_are_skipped_in_bounded_memory(tmp_path: Path) -> None:
    giant = b"x" * 5000
    (tmp_path / "g.txt").write_bytes(b"short\n" + giant + b"\nafter\n" + giant)
    corpus = TextCorpus(tmp_path / "g.txt", max_line_bytes=1000)
    assert list(corpus) == ["short", "after"]
    assert corpus.stats.too_long == 2


def test_missing_files_and_bad_format(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        TextCorpus(tmp_path / "nope.txt")
    (tmp_path / "a.txt").write_text("x\n")
    with pytest.raises(DataError, match="unknown corpus format"):
        TextCorpus(tmp_path / "a.txt", format="xml")  # type: ignore[arg-type]


def test_jsonl_non_string_fields_are_counted_not_stringified(tmp_path: Path) -> None:
    rows = [{"text": None}, {"text": 3}, {"text": {"a": 1}}, {"text": ["ok", 5]}, {"text": "fine"}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    corpus = TextCorpus(tmp_path / "d.jsonl", format="jsonl")
    assert list(corpus) == ["fine"]
    assert corpus.stats.bad_json == 4


def test_paragraph_mode_is_bounded_without_blank_lines(tmp_path: Path) -> None:
    body = "".join(f"Sentence number {i} is here.\n" for i in range(2000))  # ~58 kB, no blank line
    (tmp_path / "p.txt").write_text(body)
    corpus = TextCorpus(tmp_path / "p.txt", format="paragraphs", max_line_bytes=1000)
    sentences = list(corpus)
    assert sentences == [f"Sentence number {i} is here." for i in range(2000)]
    assert corpus.stats.paragraph_flushes > 10


def test_corrupt_compressed_corpus(tmp_path: Path) -> None:
    data = gzip.compress(b"one\ntwo\n" * 1000)
    (tmp_path / "c.txt.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cannot read the file"):
        list(TextCorpus(tmp_path / "c.txt.gz"))


def test_vendored_tiny_corpus_streams_into_a_vocab() -> None:
    from importlib.resources import files

    path = Path(str(files("embedlab.data") / "resources" / "tiny_corpus.txt"))
    corpus = TextCorpus(path)
    vocab = Vocab.from_texts(corpus, min_count=2)
    n_sentences = sum(1 for _ in corpus)
    assert n_sentences == len(path.read_text(encoding="utf-8").splitlines())
    assert corpus.stats.bad_encoding == 0 and corpus.stats.too_long == 0
    tokens = [t for s in corpus for t in WordTokenizer().tokenize(s)]
    assert vocab.counts[vocab.stoi["whale"]] == tokens.count("whale") > 0
    assert all(c >= 2 for c in vocab.counts[1:])  # min_count respected (specials aside)
