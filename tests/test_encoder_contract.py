"""One encoder contract, every family: the same assertions for each model that turns sentences into vectors.

The expected values come from numpy (norms, cosines) and from sentence-transformers'
``quantize_embeddings`` applied to the same float vectors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import embedlab
from embedlab.blocks.sentence_encoder import SentenceEncoder
from embedlab.data.tokenize import WordTokenizer

TEXTS = ["the king and the queen", "a man and a woman", "apple and pear", "the car and the truck",
         "Paris is a city", "the prince met the princess"]
SENTENCES = ["the king met the queen", "a pear", "Paris and the car", "the woman"]
UNKNOWN = "zzqxv qqzxw"


def _static(tiny_kv: Any, _teacher: Any) -> Any:
    return tiny_kv


def _rnn(tiny_kv: Any, _teacher: Any) -> Any:
    from embedlab.contrastive.encoders import build_encoder

    torch.manual_seed(0)
    return build_encoder("rnn", texts=TEXTS, hidden=6, dropout=0.1)


def _bag(tiny_kv: Any, _teacher: Any) -> Any:
    from embedlab.contrastive.encoders import build_encoder

    torch.manual_seed(0)
    return build_encoder("bag", texts=TEXTS, vectors=tiny_kv)


def _transformer(_kv: Any, tiny_teacher_dir: Any) -> Any:
    return embedlab.load(tiny_teacher_dir)  # a Hugging Face folder: its mean-pooled states


def _autoencoder(tiny_kv: Any, _teacher: Any) -> Any:
    from embedlab.autoencoder.model import SentenceAutoencoder
    from embedlab.autoencoder.network import AutoencoderConfig, RecurrentAutoencoder
    from embedlab.autoencoder.table import build_table

    vocab, table, _ = build_table([WordTokenizer().tokenize(t) for t in TEXTS], tiny_kv, min_count=1)
    torch.manual_seed(0)
    module = RecurrentAutoencoder(AutoencoderConfig(vocab_size=len(vocab), word_dim=table.shape[1], hidden=8,
                                                    sentence_dim=12, dropout=0.5))
    module.table.copy_(torch.from_numpy(table))
    return SentenceAutoencoder(module, vocab)


def _classifier(tiny_kv: Any, _teacher: Any) -> Any:
    from embedlab.blocks.batching import SPECIALS
    from embedlab.blocks.pretrained import build_vocab
    from embedlab.supervised.classification import TextClassifier
    from embedlab.supervised.classifier import ClassifierConfig, RNNClassifier

    vocab = build_vocab([WordTokenizer().tokenize(t) for t in TEXTS], specials=SPECIALS)
    torch.manual_seed(0)
    module = RNNClassifier(ClassifierConfig(vocab_size=len(vocab), num_classes=2, emb=8, hidden=5, dropout=0.5))
    return TextClassifier(module, vocab, ["neg", "pos"])


def _minilm(_kv: Any, _teacher: Any) -> Any:
    pytest.importorskip("sentence_transformers")
    return embedlab.load("minilm")


def _onnx_teacher(_kv: Any, _teacher: Any) -> Any:
    pytest.importorskip("onnxruntime")
    from embedlab.data.registry import read_manifest

    if read_manifest("minilm-int8-onnx") is None:
        pytest.skip("dataset minilm-int8-onnx not fetched (embedlab data fetch minilm-int8-onnx)")
    return embedlab.load("minilm-onnx-int8")


FAMILIES: dict[str, Callable[[Any, Any], Any]] = {
    "static": _static, "rnn": _rnn, "bag": _bag, "transformer": _transformer, "autoencoder": _autoencoder,
    "classifier": _classifier, "minilm": _minilm, "minilm-onnx-int8": _onnx_teacher,
}
PARAMS = [pytest.param(name, marks=[pytest.mark.needs_data] if name == "minilm-onnx-int8" else [])
          for name in FAMILIES]


@pytest.fixture(params=PARAMS)
def encoder(request: pytest.FixtureRequest, tiny_kv: Any) -> Any:
    teacher_dir = request.getfixturevalue("tiny_teacher_dir") if request.param == "transformer" else None
    return FAMILIES[request.param](tiny_kv, teacher_dir)


def test_is_a_sentence_encoder(encoder: Any) -> None:
    assert isinstance(encoder, SentenceEncoder)
    assert isinstance(encoder.get_sentence_embedding_dimension(), int)


def test_shapes_and_dtypes(encoder: Any) -> None:
    d = encoder.get_sentence_embedding_dimension()
    one = encoder.encode(SENTENCES[0])
    many = encoder.encode(SENTENCES)
    assert one.shape == (d,) and one.dtype == np.float32
    assert many.shape == (len(SENTENCES), d) and many.dtype == np.float32
    assert encoder.encode([]).shape == (0, d)
    np.testing.assert_allclose(one, many[0], atol=1e-5)
    tensor = encoder.encode(SENTENCES, convert_to_tensor=True)
    assert isinstance(tensor, torch.Tensor) and tensor.shape == (len(SENTENCES), d)


def test_normalization(encoder: Any) -> None:
    raw = encoder.encode(SENTENCES)
    unit = encoder.encode(SENTENCES, normalize_embeddings=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(unit, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-5)


def test_unknown_words_and_empty_sentences_give_finite_vectors(encoder: Any) -> None:
    out = encoder.encode([UNKNOWN, "", "the " + UNKNOWN])
    assert out.shape[0] == 3 and np.isfinite(out).all()


def test_eval_mode_is_deterministic(encoder: Any) -> None:
    module = getattr(encoder, "module", encoder)
    if isinstance(module, torch.nn.Module):
        module.train()  # dropout on: encode must switch it off
    first = encoder.encode(SENTENCES)
    np.testing.assert_array_equal(first, encoder.encode(SENTENCES))


def test_truncate_dim_keeps_the_first_dimensions_then_normalizes(encoder: Any) -> None:
    full = encoder.encode(SENTENCES)
    k = max(1, encoder.get_sentence_embedding_dimension() // 2)
    np.testing.assert_allclose(encoder.encode(SENTENCES, truncate_dim=k), full[:, :k], atol=1e-6)
    cut = encoder.encode(SENTENCES, truncate_dim=k, normalize_embeddings=True)
    np.testing.assert_allclose(cut, full[:, :k] / np.linalg.norm(full[:, :k], axis=1, keepdims=True), atol=1e-5)
    with pytest.raises(embedlab.EmbedlabError, match="truncate_dim"):
        encoder.encode(SENTENCES, truncate_dim=encoder.get_sentence_embedding_dimension() + 1)


@pytest.mark.parametrize("precision", ["int8", "uint8", "binary", "ubinary"])
def test_quantized_outputs_equal_sentence_transformers(encoder: Any, precision: str) -> None:
    quantization = pytest.importorskip("sentence_transformers.util.quantization")
    floats = encoder.encode(SENTENCES)
    expected = quantization.quantize_embeddings(floats, precision=precision)
    got = encoder.encode(SENTENCES, precision=precision)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_similarity_is_the_cosine_matrix(encoder: Any) -> None:
    a = encoder.encode(SENTENCES[:3])
    b = encoder.encode(SENTENCES[1:])
    unit_a = a / np.linalg.norm(a, axis=1, keepdims=True)
    unit_b = b / np.linalg.norm(b, axis=1, keepdims=True)
    sims = encoder.similarity(a, b)
    assert tuple(sims.shape) == (3, 3)
    np.testing.assert_allclose(np.asarray(sims), unit_a @ unit_b.T, atol=1e-5)


def test_bad_arguments_are_refused_clearly(encoder: Any) -> None:
    with pytest.raises(embedlab.EmbedlabError, match="precision"):
        encoder.encode(SENTENCES, precision="float16")
    with pytest.raises(embedlab.EmbedlabError, match="strings"):
        encoder.encode([1, 2])
    with pytest.raises(embedlab.EmbedlabError, match="ranges"):
        encoder.encode(SENTENCES[0], precision="int8")  # one vector cannot calibrate int8 ranges
