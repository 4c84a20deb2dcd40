"""The teacher-pass cache: contents, para blocks, resume after a kill, reuse guards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedlab.data.corpus import TextCorpus
from embedlab.data.tokenize import WordTokenizer
from embedlab.errors import EmbedlabError
from embedlab.static import context_cache
from embedlab.static.context_cache import build_cache, open_cache
from embedlab.teachers.contextual import load_teacher


@pytest.fixture
def teacher(tiny_teacher_dir: Path):  # type: ignore[no-untyped-def]
    return load_teacher(tiny_teacher_dir, device="cpu")


def test_sent_cache_holds_words_and_sentence_contexts(tmp_path: Path, teacher, tiny_corpus_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = TextCorpus(tiny_corpus_path)
    cache = build_cache(tmp_path / "c", corpus, [tiny_corpus_path], teacher, max_sentences=50,
                        chunk_sentences=16, progress=False)
    sentences = list(corpus)[:50]
    assert cache.n_sentences == 50 and cache.meta["n_contexts"] == 50
    ends = np.asarray(cache.sentence_ends())
    tokens = np.asarray(cache.tokens())
    tok = WordTokenizer()
    for i in range(50):  # each sentence's word ids decode back to the words the teacher saw
        lo = int(ends[i - 1]) if i else 0
        got = [cache.words[j] for j in tokens[lo:ends[i]]]
        words = tok.tokenize(sentences[i])
        if len(teacher.tokenize([sentences[i]])[0]) <= teacher.max_text_tokens:
            assert got == words
        else:  # truncated by the teacher: only the words it saw are targets (aligned by offsets)
            assert 0 < len(got) < len(words) and got == words[:len(got)]
    np.testing.assert_allclose(np.asarray(cache.contexts(), dtype=np.float32)[[0, 17, 49]],
                               teacher.context_vectors([sentences[0], sentences[17], sentences[49]]), atol=2e-3)
    # counts are the corpus counts, most frequent first
    counts = dict(zip(cache.words, cache.counts.tolist(), strict=True))
    assert counts[tok.tokenize(sentences[0])[0]] >= 1 and list(cache.counts) == sorted(cache.counts, reverse=True)


def test_para_blocks_pack_consecutive_sentences(tmp_path: Path, teacher, tiny_corpus_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = TextCorpus(tiny_corpus_path)
    cache = build_cache(tmp_path / "p", corpus, [tiny_corpus_path], teacher, variant="para", context_tokens=40,
                        max_sentences=60, progress=False)
    ctx = np.asarray(cache.sentence_contexts())
    assert (np.diff(ctx) >= 0).all() and (np.diff(ctx) <= 1).all()  # blocks are runs of neighbours
    assert cache.meta["n_contexts"] == ctx[-1] + 1 < 60
    sentences = list(corpus)[:60]
    block = [s for s, c in zip(sentences, ctx, strict=True) if c == ctx[0]]
    ids = [i for s in block for i in teacher.tokenize([s])[0]]
    assert len(ids) <= 40 - 2 or len(block) == 1
    np.testing.assert_allclose(np.asarray(cache.contexts()[0], dtype=np.float32),
                               teacher.pooled_from_ids([ids])[0], atol=2e-3)


def test_killed_pass_resumes_to_the_same_cache(tmp_path: Path, teacher, tiny_corpus_path: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = TextCorpus(tiny_corpus_path)
    whole = build_cache(tmp_path / "whole", corpus, [tiny_corpus_path], teacher, max_sentences=80,
                        chunk_sentences=16, progress=False)
    real = context_cache._process_chunk
    calls = {"n": 0}

    def dies_on_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(context_cache, "_process_chunk", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        build_cache(tmp_path / "resumed", corpus, [tiny_corpus_path], teacher, max_sentences=80,
                    chunk_sentences=16, progress=False)
    with pytest.raises(EmbedlabError, match="resume"):
        open_cache(tmp_path / "resumed")
    # a half-written chunk on disk (as a kill during a write leaves it) must be cut off on resume
    with open(tmp_path / "resumed" / "tokens.i32", "ab") as f:
        f.write(b"\x01\x02\x03")
    monkeypatch.setattr(context_cache, "_process_chunk", real)
    resumed = build_cache(tmp_path / "resumed", corpus, [tiny_corpus_path], teacher, max_sentences=80,
                          chunk_sentences=16, progress=False)
    assert resumed.meta["n_sentences"] == 80
    for name in ("tokens.i32", "sent_end.i64", "sent_ctx.i32"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "resumed" / name).read_bytes()
    np.testing.assert_allclose(np.asarray(whole.contexts(), dtype=np.float32),
                               np.asarray(resumed.contexts(), dtype=np.float32), atol=1e-3)


def test_a_cache_of_something_else_is_refused(tmp_path: Path, teacher, tiny_corpus_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = TextCorpus(tiny_corpus_path)
    build_cache(tmp_path / "c", corpus, [tiny_corpus_path], teacher, max_sentences=10, progress=False)
    with pytest.raises(EmbedlabError, match="something else"):
        build_cache(tmp_path / "c", corpus, [tiny_corpus_path], teacher, variant="para", max_sentences=10,
                    progress=False)


def test_token_only_cache_for_cbow(tmp_path: Path, tiny_corpus_path: Path) -> None:
    cache = build_cache(tmp_path / "t", TextCorpus(tiny_corpus_path), [tiny_corpus_path], None, progress=False)
    assert not cache.has_contexts and cache.n_sentences == len(list(TextCorpus(tiny_corpus_path)))
    with pytest.raises(EmbedlabError, match="no teacher contexts"):
        cache.contexts()
