"""``embedlab.load``: every format a user has opens through the one loader, as the right class."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import embedlab
from embedlab import loading
from embedlab.errors import ModelFormatError
from embedlab.static.embeddings import StaticEmbeddings


def test_every_model_type_of_embedlab_has_a_loader() -> None:
    written = {"static", "model2vec", "rnn_lm", "autoencoder", "rnn_classifier", "rnn_tagger", "sentence_encoder"}
    assert set(loading.LOADERS) == written


@pytest.mark.parametrize("name", ["v.txt", "v.vec", "v.bin", "v.txt.gz", "v.bin.gz"])
def test_word2vec_files(tmp_path: Path, tiny_kv: StaticEmbeddings, name: str) -> None:
    tiny_kv.save_word2vec(tmp_path / name, binary=".bin" in name)
    got = embedlab.load(tmp_path / name)
    assert isinstance(got, StaticEmbeddings) and got.index_to_key == tiny_kv.index_to_key
    np.testing.assert_allclose(got.vectors, tiny_kv.vectors, atol=1e-6)


def test_gensim_kv_file(tmp_path: Path, tiny_kv: StaticEmbeddings) -> None:
    models = pytest.importorskip("gensim.models")
    kv = models.KeyedVectors(vector_size=tiny_kv.dim)
    kv.add_vectors(tiny_kv.index_to_key, tiny_kv.vectors)
    kv.save(str(tmp_path / "v.kv"))
    got = embedlab.load(tmp_path / "v.kv")
    assert isinstance(got, StaticEmbeddings)
    np.testing.assert_array_equal(got.vectors, tiny_kv.vectors)


def test_static_and_model2vec_folders(tmp_path: Path, tiny_kv: StaticEmbeddings) -> None:
    tiny_kv.save(tmp_path / "static")
    tiny_kv.save_model2vec(tmp_path / "m2v")
    for folder in ("static", "m2v"):
        got = embedlab.load(tmp_path / folder)
        assert isinstance(got, StaticEmbeddings) and got.index_to_key == tiny_kv.index_to_key
        np.testing.assert_allclose(got.vectors, tiny_kv.vectors)


def test_model2vec_own_folder_goes_through_model2vec(tmp_path: Path, tiny_kv: StaticEmbeddings) -> None:
    model2vec = pytest.importorskip("model2vec")
    from embedlab.data.vocab import Vocab

    vocab = Vocab.from_lists(["[UNK]", "[PAD]", *tiny_kv.index_to_key], [0] * (len(tiny_kv) + 2),
                             specials=["[UNK]", "[PAD]"], unk="[UNK]", lowercase=False)
    table = np.vstack([np.zeros((2, tiny_kv.dim), np.float32), tiny_kv.vectors])
    theirs = model2vec.StaticModel(table, vocab.to_tokenizer(), normalize=True)
    theirs.save_pretrained(str(tmp_path / "theirs"))  # model2vec's own config: no embedlab format_version
    got = embedlab.load(tmp_path / "theirs")
    assert type(got).__name__ == "Model2VecEncoder"
    np.testing.assert_allclose(got.encode(["the king", "a pear"]), theirs.encode(["the king", "a pear"]), atol=1e-6)


def test_trained_families_round_trip(tmp_path: Path, tiny_corpus_path: Path, tiny_kv: StaticEmbeddings) -> None:
    from embedlab.contrastive.encoders import build_encoder
    from embedlab.lm.model import LanguageModel

    lm = embedlab.train_lm(tiny_corpus_path, out=tmp_path / "lm", progress=False, emb=8, hidden=8, layers=1, max_tokens=400,
                           bptt=8, batch_size=4, eval_every=0)
    assert isinstance(embedlab.load(tmp_path / "lm"), LanguageModel) and isinstance(lm, LanguageModel)
    torch.manual_seed(0)
    encoder = build_encoder("rnn", texts=["the king", "a queen"], vectors=tiny_kv, hidden=4)
    encoder.save(tmp_path / "rnn")
    np.testing.assert_allclose(embedlab.load(tmp_path / "rnn").encode(["the king"]), encoder.encode(["the king"]),
                               atol=1e-6)


def test_a_transformers_folder_is_a_mean_pooled_encoder(tiny_teacher_dir: Path) -> None:
    from embedlab.contrastive.transformer import TransformerSentenceEncoder

    got = embedlab.load(tiny_teacher_dir)
    assert isinstance(got, TransformerSentenceEncoder) and got.pooler == "avg" and not got.training


def test_load_vectors_names_what_it_found(tmp_path: Path, tiny_teacher_dir: Path) -> None:
    with pytest.raises(ModelFormatError, match="not word vectors"):
        embedlab.load_vectors(tiny_teacher_dir)


def test_unknown_names_fail_fast_and_name_the_local_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(loading, "hub_reachable", lambda *a: calls.append(a) or False)
    started = time.perf_counter()
    with pytest.raises(ModelFormatError, match="minilm.*googlenews-13k"):
        embedlab.load("MiniLM")
    with pytest.raises(ModelFormatError, match="hub is not reachable"):
        embedlab.load("someone/some-model")
    assert time.perf_counter() - started < 5 and len(calls) == 2
    with pytest.raises(ModelFormatError, match="no such file or folder"):
        embedlab.load("/no/such/folder")


def test_hub_probe_is_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def hang(*_: Any, **__: Any) -> Any:
        time.sleep(30)

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "create_connection", hang)
    started = time.perf_counter()
    assert loading.hub_reachable(timeout=0.5) is False
    assert time.perf_counter() - started < 2
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert loading.hub_reachable() is False


def test_a_folder_with_only_a_checkpoint_says_to_resume(tmp_path: Path) -> None:
    (tmp_path / "run" / "checkpoint").mkdir(parents=True)
    with pytest.raises(ModelFormatError, match="resume"):
        embedlab.load(tmp_path / "run")
