"""Word analogies ``a : b :: c : ?`` by 3CosAdd or 3CosMul, batched.

Same questions and same answers as gensim's ``KeyedVectors.evaluate_word_analogies`` (3CosAdd) and
``most_similar_cosmul`` (3CosMul), computed many questions at a time:

1. the first ``restrict_vocab`` rows are the search space; their norms are computed once;
2. for a chunk of questions, the cosines of the chunk's distinct question words with every row come
   from one float32 matrix product, (w, d) @ (d, R);
3. each question's scores combine three rows of those cosines, (R,) per question;
4. the three question words, and every case variant of them when case-insensitive, are set to -inf;
5. the argmax is the answer, right when its case-folded key equals the expected word's.

3CosAdd (Mikolov et al. 2013; gensim ``most_similar``): ``cos(x, b) + cos(x, c) - cos(x, a)``, which
ranks rows exactly as gensim's ``cos(x, unit(b̂ + ĉ - â))`` (the two differ by the positive factor
``|b̂ + ĉ - â|``).
3CosMul (Levy & Goldberg 2014, eq. 4, https://aclanthology.org/W14-1618): with cosines shifted to
[0, 1], ``cos'(x, b) * cos'(x, c) / (cos'(x, a) + eps)``; the paper's eps is 0.001 (gensim's
``most_similar_cosmul`` hard-codes 1e-6: pass ``cosmul_eps=1e-6`` to reproduce it).

Questions with a word outside the restricted vocabulary are skipped (gensim's default) or, with
``oov="zero"``, counted wrong (gensim's ``dummy4unknown``); either way they are counted.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np

from embedlab.data.benchmarks import AnalogySet, load_analogies
from embedlab.evaluation.protocols import VocabIndex, build_vocab_index
from embedlab.evaluation.results import AnalogyResult, AnalogySectionResult

logger = logging.getLogger(__name__)

AnalogyMethod = Literal["3cosadd", "3cosmul"]

# Bound on one chunk's (3 * chunk, R) float32 word cosines: a 300k-row search takes ~70 questions per
# chunk instead of allocating gigabytes. Scores are combined a block at a time, the block's (block, R)
# matrices sized to stay in cache.
_CHUNK_BYTES = 256 << 20
_BLOCK_BYTES = 4 << 20


def evaluate_analogies(
    vectors: Any,
    analogies: AnalogySet | str | Path = "google",
    *,
    method: AnalogyMethod = "3cosadd",
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    oov: Literal["skip", "zero"] = "skip",
    cosmul_eps: float = 1e-3,
    batch_size: int = 2048,
) -> AnalogyResult:
    """Accuracy on an analogy set, in total and per section.

    Args:
        vectors: a ``WordVectors`` (gensim ``KeyedVectors``, ``StaticEmbeddings``), anything
            ``as_word_vectors`` accepts, or a ``VocabIndex`` to reuse (its settings win).
        analogies: loaded questions, ``"google"``, ``"msr"`` or a file path.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        restrict_vocab: questions and answers use the first N rows only (gensim's 300000); None for all.
        case_insensitive: match words whatever their case, like gensim.
        oov: ``"skip"`` questions with unknown words, or count them wrong (``"zero"``).
        cosmul_eps: 3CosMul's denominator guard.
        batch_size: questions per chunk, whose distinct words share one matrix product (lowered
            automatically so a chunk's cosines stay under 256 MiB).

    Returns:
        Accuracy, OOV counts and per-section results.

    Raises:
        ValueError: unknown method or oov policy, or ``batch_size < 1``.
        DataError: ``analogies`` names no readable set.

    Example:
        >>> r = evaluate_analogies(kv, "google", restrict_vocab=30000)  # doctest: +SKIP
        >>> r.accuracy, r.n_oov  # doctest: +SKIP
    """
    if method not in ("3cosadd", "3cosmul"):
        raise ValueError(f"method must be '3cosadd' or '3cosmul', got {method!r}")
    if oov not in ("skip", "zero"):
        raise ValueError(f"oov must be 'skip' or 'zero', got {oov!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    data = analogies if isinstance(analogies, AnalogySet) else load_analogies(analogies)
    index = build_vocab_index(vectors, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)

    section_names = list(data.sections)
    section_of = np.repeat(np.arange(len(section_names)), [len(q) for q in data.sections.values()])
    questions = [question for _, question in data.questions()]
    row_of = {w: _row(index, w) for w in {w for question in questions for w in question}}
    rows = np.array([[row_of[w] for w in q] for q in questions], dtype=np.int64).reshape(-1, 4)
    # rows: (n, 4) rows of a, b, c, d; -1 when out of the vocabulary
    known = (rows >= 0).all(axis=1)
    correct = np.zeros(len(rows), dtype=bool)
    if known.any():
        correct[known] = _solve(index, rows[known], method, cosmul_eps, batch_size)

    answered = known | (oov == "zero")
    sections = tuple(
        AnalogySectionResult(
            section=name,
            n_questions=int((section_of == s).sum()),
            n_oov=int(((section_of == s) & ~known).sum()),
            n_answered=int(((section_of == s) & answered).sum()),
            n_correct=int(((section_of == s) & correct).sum()),
        )
        for s, name in enumerate(section_names)
    )
    result = AnalogyResult(
        dataset=data.name,
        method=method,
        n_questions=len(rows),
        n_oov=int((~known).sum()),
        n_answered=int(answered.sum()),
        n_correct=int(correct.sum()),
        sections=sections,
        oov=oov,
        restrict_vocab=index.restrict_vocab,
        case_insensitive=index.case_insensitive,
    )
    logger.info(
        "%s %s: accuracy %.4f (%d/%d), %d questions with OOV words (%s)",
        data.name,
        method,
        result.accuracy,
        result.n_correct,
        result.n_answered,
        result.n_oov,
        "skipped" if oov == "skip" else "counted wrong",
    )
    return result


def _row(index: VocabIndex, word: str) -> int:
    row = index.lookup(word)
    return -1 if row is None else row


def _solve(
    index: VocabIndex, rows: np.ndarray, method: AnalogyMethod, eps: float, batch_size: int
) -> np.ndarray:
    """Whether each question (rows of a, b, c, d, all known) is answered right: (n,) bool."""
    n_rows = len(index.keys)
    chunk = max(1, min(batch_size, _CHUNK_BYTES // (3 * 4 * n_rows)))  # cosines of up to 3 words a question
    block = max(1, min(chunk, _BLOCK_BYTES // (4 * n_rows)))
    invalid = np.flatnonzero(~index.valid)
    variants = _case_variants(index)
    best = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), chunk):
        q = rows[start : start + chunk]  # (m, 4)
        # Benchmark sets reuse few words (Google: 905 distinct in 19544 questions), so one product for
        # the chunk's distinct words replaces one per question: (w, d) @ (d, R), w << 3m.
        words, where = np.unique(q[:, :3], return_inverse=True)
        where = where.reshape(-1, 3)  # (m, 3): a, b, c as rows of `cos`
        with np.errstate(divide="ignore", invalid="ignore"):  # zero/NaN rows, masked below
            cos = index.unit(words) @ index.vectors.T  # (w, R), gensim's dot(vectors, unit) / norms
            cos /= index.norms
        if method == "3cosmul":
            cos += 1.0  # shifted to [0, 1] (Levy & Goldberg, footnote 7)
            cos /= 2.0
        for lo in range(0, len(q), block):  # score a cache-sized block of questions at a time
            w = where[lo : lo + block]
            with np.errstate(invalid="ignore"):
                if method == "3cosadd":
                    # cos(x, b) + cos(x, c) - cos(x, a): gensim's cos(x, unit(b̂ + ĉ - â)) times the
                    # query's norm, a positive per-question factor, so the same argmax.
                    scores = cos[w[:, 1]] + cos[w[:, 2]]
                    scores -= cos[w[:, 0]]
                else:
                    scores = cos[w[:, 1]] * cos[w[:, 2]]
                    scores /= cos[w[:, 0]] + np.float32(eps)
            _exclude(scores, q[lo : lo + block], invalid, variants)
            top = scores.argmax(axis=1)
            # every candidate excluded (a tiny vocabulary): no answer, as gensim returns none
            top[np.isneginf(scores[np.arange(len(top)), top])] = -1
            best[start + lo : start + lo + len(w)] = top
    return (best >= 0) & (index.canonical[best] == rows[:, 3])


def _exclude(scores: np.ndarray, q: np.ndarray, invalid: np.ndarray, variants: dict[int, np.ndarray]) -> None:
    """Set to -inf what may not be an answer: zero/NaN rows and the question words (with case variants)."""
    scores[:, invalid] = -np.inf  # their scores are NaN, which argmax would pick
    m = np.arange(len(q))
    for col in range(3):
        scores[m, q[:, col]] = -np.inf
    if variants:  # gensim skips any candidate whose upper-cased key is a question word
        for i, (a, b, c) in enumerate(q[:, :3].tolist()):
            for r in (a, b, c):
                if r in variants:
                    scores[i, variants[r]] = -np.inf


def _case_variants(index: VocabIndex) -> dict[int, np.ndarray]:
    """canonical row -> the other rows folding to the same key (only for keys with several rows)."""
    canonical = index.canonical
    others = np.flatnonzero((canonical >= 0) & (canonical != np.arange(len(canonical))))
    groups: dict[int, list[int]] = {}
    for r in others.tolist():
        groups.setdefault(int(canonical[r]), []).append(r)
    return {k: np.asarray(v, dtype=np.int64) for k, v in groups.items()}
