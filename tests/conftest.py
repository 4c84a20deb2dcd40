"""Shared fixtures: a tiny vector table."""

from __future__ import annotations

import os

import numpy as np
import pytest

from embedlab.static.embeddings import StaticEmbeddings

WORDS = ["the", "king", "queen", "man", "woman", "prince", "princess", "apple", "pear", "car", "truck", "Paris"]


@pytest.fixture
def tiny_kv() -> StaticEmbeddings:
    """12 words, 16 dims, counts decreasing with the row (frequency order)."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(WORDS), 16)).astype(np.float32)
    counts = np.arange(len(WORDS), 0, -1) * 10
    return StaticEmbeddings(WORDS, vectors, counts, lowercase=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """With EMBEDLAB_REQUIRE_DATA=1 (set by `python3 dev.py test`), a `needs_data` test that skips
    because its data is missing fails instead: the README's test command fetches that data, so a skip
    there would hide a broken fetch."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("needs_data") and os.environ.get("EMBEDLAB_REQUIRE_DATA") == "1":
        report.outcome = "failed"
        report.longrepr = f"needs_data test skipped although EMBEDLAB_REQUIRE_DATA=1: {report.longrepr}"


RESOURCES = __import__("pathlib").Path(__file__).resolve().parents[1] / "embedlab" / "data" / "resources"


@pytest.fixture(scope="session")
def tiny_corpus_path():  # type: ignore[no-untyped-def]
    """The vendored 400-line public-domain corpus."""
    return RESOURCES / "tiny_corpus.txt"


@pytest.fixture(scope="session")
def tiny_teacher_dir(tmp_path_factory: pytest.TempPathFactory, tiny_corpus_path):  # type: ignore[no-untyped-def]
    """A random 1-layer, 16-dim BERT with a WordPiece vocabulary of the tiny corpus, saved as a
    Hugging Face folder (model + tokenizer.json). For unit tests only: its vectors mean nothing."""
    transformers = pytest.importorskip("transformers")
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    from embedlab.data.tokenize import WordTokenizer

    folder = tmp_path_factory.mktemp("tiny_teacher")
    words: dict[str, int] = {}
    tok = WordTokenizer()
    for line in tiny_corpus_path.read_text(encoding="utf-8").splitlines():
        for w in tok.tokenize(line):
            words[w] = words.get(w, 0) + 1
    common = sorted(words, key=lambda w: -words[w])[:300]
    letters = sorted({c for w in words for c in w})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *common, *(f"##{c}" for c in letters),
             *(c for c in letters if c not in common)]
    vocab = list(dict.fromkeys(vocab))
    wp = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    wp.save(str(folder / "tokenizer.json"))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)
    transformers.BertModel(config).eval().save_pretrained(str(folder))
    return folder
