"""Analogies: hand-made geometry, OOV accounting, and parity with gensim (3CosAdd and 3CosMul)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedlab.data.benchmarks import AnalogySet, load_analogies
from embedlab.evaluation import AnalogyEvaluator, build_vocab_index, evaluate_analogies, evaluate_word_vectors

# gensim's most_similar_cosmul calls its own deprecated init_sims
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")


def _kv(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(words, np.asarray(vectors, dtype=np.float32))
    return kv


def _set(*questions: tuple[str, str, str, str], section: str = "s") -> AnalogySet:
    return AnalogySet("hand", {section: list(questions)})


# Orthogonal directions: gender (man/woman) and royalty; king = man + royal, queen = woman + royal.
E = np.eye(5)
ROYAL = _kv(
    ["man", "woman", "king", "queen", "apple", "Queen"],
    np.array([E[0], E[1], E[0] + E[2], E[1] + E[2], E[3], E[4]]),
)


def test_3cosadd_solves_king_queen() -> None:
    result = evaluate_analogies(
        ROYAL, _set(("man", "king", "woman", "queen"), ("man", "woman", "king", "queen"))
    )
    # king - man + woman = woman + royal = queen exactly; woman - man + king = queen as well
    assert result.n_correct == 2 and result.accuracy == 1.0 and result.n_oov == 0


def test_question_words_are_excluded() -> None:
    # query for "man king man ?" is exactly king (b); b itself must not be the answer.
    kv = _kv(["man", "king", "prince", "apple"], np.array([E[0], E[0] + E[2], E[0] + 0.9 * E[2], E[3]]))
    for method in ("3cosadd", "3cosmul"):
        result = evaluate_analogies(kv, _set(("man", "king", "man", "prince")), method=method)
        assert result.n_correct == 1, method


def test_case_variants_of_question_words_are_excluded() -> None:
    # "Queen" (row 5) is a variant of "queen"; case-insensitively it must never answer a question containing queen.
    kv = _kv(
        ["woman", "queen", "man", "king", "Queen"],
        np.array([E[1], E[1] + E[2], E[0], E[0] + E[2], E[0] + E[2] + 0.01 * E[3]]),
    )
    # woman:queen :: man:? -> king (Queen is almost as close but is a variant of the question word "queen")
    result = evaluate_analogies(kv, _set(("woman", "queen", "man", "king")))
    assert result.n_correct == 1
    # an expected answer is matched case-insensitively: "KING" counts for king
    assert evaluate_analogies(kv, _set(("woman", "queen", "man", "KING"))).n_correct == 1
    assert evaluate_analogies(kv, _set(("woman", "queen", "man", "KING")), case_insensitive=False).n_oov == 1


def test_3cosmul_by_hand() -> None:
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(30)]
    table = rng.normal(size=(30, 8))
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    shifted = (1 + unit @ unit.T) / 2  # Levy & Goldberg's cosines shifted to [0, 1]
    questions = []
    expected = 0
    for k in range(60):
        ia, ib, ic = rng.choice(30, 3, replace=False)
        score = shifted[ib] * shifted[ic] / (shifted[ia] + 1e-3)
        score[[ia, ib, ic]] = -np.inf
        # half the questions expect the argmax, half a random word
        answer = int(np.argmax(score)) if k % 2 else int(rng.integers(30))
        expected += answer == int(np.argmax(score))
        questions.append((words[ia], words[ib], words[ic], words[answer]))
    result = evaluate_analogies(_kv(words, table), _set(*questions), method="3cosmul")
    assert result.n_correct == expected and expected >= 30


def test_oov_restrict_vocab_and_sections() -> None:
    data = AnalogySet(
        "hand",
        {
            "royal": [("man", "king", "woman", "queen"), ("man", "king", "woman", "unknown")],
            "fruit": [("apple", "man", "king", "woman"), ("man", "queen", "woman", "Queen")],
        },
    )
    result = evaluate_analogies(ROYAL, data)
    assert (result.n_questions, result.n_oov, result.n_answered) == (4, 1, 3)
    assert result.coverage == pytest.approx(0.75)
    royal, fruit = result.sections
    assert (royal.section, royal.n_questions, royal.n_oov, royal.n_answered, royal.n_correct) == (
        "royal",
        2,
        1,
        1,
        1,
    )
    assert royal.accuracy == 1.0 and fruit.n_answered == 2
    zero = evaluate_analogies(ROYAL, data, oov="zero")  # OOV questions count as wrong
    assert zero.n_answered == 4 and zero.accuracy == pytest.approx(result.n_correct / 4)
    restricted = evaluate_analogies(ROYAL, data, restrict_vocab=3)  # only man, woman, king
    assert restricted.n_oov == 4 and math.isnan(restricted.accuracy) and restricted.restrict_vocab == 3


def test_zero_vectors_never_answer() -> None:
    kv = _kv(
        ["man", "king", "woman", "queen", "void"], np.array([E[0], E[0] + E[2], E[1], E[1] + E[2], 0 * E[0]])
    )
    result = evaluate_analogies(kv, _set(("man", "king", "woman", "queen"), ("man", "king", "woman", "void")))
    assert result.n_correct == 1 and result.n_oov == 1


def test_no_candidate_left_is_wrong() -> None:
    kv = _kv(["a", "b", "c"], np.eye(3))  # every row is a question word
    assert evaluate_analogies(kv, _set(("a", "b", "c", "a"))).n_correct == 0


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="method"):
        evaluate_analogies(ROYAL, _set(("man", "king", "woman", "queen")), method="3cosmax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        evaluate_analogies(ROYAL, _set(("man", "king", "woman", "queen")), batch_size=0)


# --- parity with gensim on a slice of the Google set -------------------------------------------


def _google_slice(step: int) -> AnalogySet:
    google = load_analogies("google")
    return AnalogySet("google-slice", {s: q[::step] for s, q in google.sections.items()})


def _write(data: AnalogySet, path: Path) -> Path:
    lines = []
    for section, questions in data.sections.items():
        lines.append(f": {section}")
        lines.extend(" ".join(q) for q in questions)
    path.write_text("\n".join(lines) + "\n")
    return path


def _structured_kv(data: AnalogySet, noise: float, seed: int) -> KeyedVectors:
    """Vectors where b - a is roughly a per-section offset, so many (not all) questions are answerable."""
    rng = np.random.default_rng(seed)
    d = 48
    vec: dict[str, np.ndarray] = {}
    for questions in data.sections.values():
        offset = rng.normal(size=d)
        for q in questions:
            for x, y in ((q[0].lower(), q[1].lower()), (q[2].lower(), q[3].lower())):
                vec.setdefault(x, rng.normal(size=d))
                vec.setdefault(y, vec[x] + offset + rng.normal(scale=noise, size=d))
    words = list(vec)
    rng.shuffle(words)
    drop = set(words[:40])  # OOV words
    vocab = [w for w in words if w not in drop] + [f"filler{i}" for i in range(1500)]
    # case variants with their own vectors, some before and some after the lower-case row
    vocab = [w.capitalize() for w in words[40:80]] + vocab + [w.upper() for w in words[80:140]]
    table = np.stack([vec.get(w.lower(), rng.normal(size=d)) + rng.normal(scale=0.3, size=d) for w in vocab])
    return _kv(vocab, table)


@pytest.fixture(scope="module")
def google_slice() -> AnalogySet:
    return _google_slice(step=6)


@pytest.mark.parametrize(("noise", "restrict_vocab"), [(1.0, 300_000), (2.0, 300_000), (1.0, 2500)])
def test_3cosadd_parity_with_gensim(
    google_slice: AnalogySet, tmp_path: Path, noise: float, restrict_vocab: int
) -> None:
    kv = _structured_kv(google_slice, noise, seed=int(noise * 10))
    path = _write(google_slice, tmp_path / "slice.txt")
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab)
    ours = evaluate_analogies(kv, google_slice, restrict_vocab=restrict_vocab, batch_size=300)
    total = sections[-1]
    assert ours.n_correct == len(total["correct"])
    assert ours.n_answered == len(total["correct"]) + len(total["incorrect"])
    assert ours.accuracy == score
    assert 0.1 < ours.accuracy < 0.95 and ours.n_oov > 0  # a test that can tell right from wrong
    for theirs, mine in zip(sections[:-1], ours.sections, strict=True):
        assert (mine.section, mine.n_correct) == (theirs["section"], len(theirs["correct"]))
        assert mine.n_answered == len(theirs["correct"]) + len(theirs["incorrect"])
    # gensim's dummy4unknown counts OOV questions wrong, like oov="zero"
    score_zero, _ = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab, dummy4unknown=True)
    assert (
        evaluate_analogies(kv, google_slice, restrict_vocab=restrict_vocab, oov="zero").accuracy == score_zero
    )


def _cosmul_reference(kv: KeyedVectors, data: AnalogySet, restrict_vocab: int) -> tuple[int, int]:
    """gensim's most_similar_cosmul with evaluate_word_analogies' lookup rules (upper-case keys, first row wins)."""
    ok = {k.upper(): i for i, k in reversed(list(enumerate(kv.index_to_key[:restrict_vocab])))}
    correct = answered = 0
    for _, (a, b, c, d) in data.questions():
        upper = [w.upper() for w in (a, b, c, d)]
        if not all(w in ok for w in upper):
            continue
        answered += 1
        keys = [kv.index_to_key[ok[w]] for w in upper[:3]]
        sims = kv.most_similar_cosmul(positive=[keys[1], keys[2]], negative=[keys[0]], topn=20)
        predicted = next(
            w for w, _ in sims if kv.key_to_index[w] < restrict_vocab and w.upper() not in set(upper[:3])
        )
        correct += predicted.upper() == upper[3]
    return correct, answered


@pytest.mark.parametrize("restrict_vocab", [300_000, 2500])
def test_3cosmul_parity_with_gensim(google_slice: AnalogySet, restrict_vocab: int) -> None:
    small = AnalogySet("small", {s: q[::3] for s, q in google_slice.sections.items()})
    kv = _structured_kv(google_slice, noise=1.5, seed=4)
    correct, answered = _cosmul_reference(kv, small, restrict_vocab)
    ours = evaluate_analogies(kv, small, method="3cosmul", cosmul_eps=1e-6, restrict_vocab=restrict_vocab)
    assert (ours.n_correct, ours.n_answered) == (correct, answered)
    assert 0.1 < ours.accuracy < 0.95


def test_batching_does_not_change_answers(google_slice: AnalogySet) -> None:
    kv = _structured_kv(google_slice, noise=1.5, seed=5)
    index = build_vocab_index(kv)
    for method in ("3cosadd", "3cosmul"):
        one = evaluate_analogies(index, google_slice, method=method, batch_size=1)
        many = evaluate_analogies(index, google_slice, method=method, batch_size=4096)
        assert one == many


def test_evaluator_and_report(google_slice: AnalogySet) -> None:
    kv = _structured_kv(google_slice, noise=1.0, seed=6)
    evaluator = AnalogyEvaluator([google_slice], methods=("3cosadd", "3cosmul"))
    metrics = evaluator(kv)
    assert evaluator.primary_metric == "accuracy_mean"
    assert set(metrics) == {
        "google-slice_3cosadd_accuracy",
        "google-slice_3cosmul_accuracy",
        "google-slice_coverage",
        "accuracy_mean",
    }
    expected = evaluate_analogies(kv, google_slice).accuracy
    assert metrics["google-slice_3cosadd_accuracy"] == expected
    report = evaluate_word_vectors(kv, datasets=["ws353"], analogies=[google_slice])
    rows = report.rows()
    assert [r["metric"] for r in rows] == ["spearman", "3cosadd_accuracy"]
    assert rows[1]["score"] == expected
