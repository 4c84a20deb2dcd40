"""Evaluators with sentence-transformers' contract, and a one-call evaluation of word vectors.

Each evaluator is configured once (its datasets are read at construction, so a bad path fails early)
and then called on models: ``evaluator(model) -> dict[str, float]``, the dict holding
``evaluator.primary_metric``. Keys are ``{dataset}_{metric}`` plus an aggregate (``mean_score``: sets
scoring NaN are left out), prefixed with ``{name}_`` when a name is given, as sentence-transformers
does. The full results of the last call stay in ``evaluator.results`` (``evaluator.report()`` renders
them).

Example:
    >>> ev = WordSimilarityEvaluator(["ws353", "simlex999"])
    >>> metrics = ev(kv)  # doctest: +SKIP
    >>> metrics[ev.primary_metric]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from embedlab.data.benchmarks import (
    ANALOGY_SETS,
    STS_SETS,
    WORD_SIMILARITY_SETS,
    AnalogySet,
    StsPairs,
    WordPairs,
    load_analogies,
    load_sts,
    load_word_pairs,
)
from embedlab.evaluation.analogy import AnalogyMethod, evaluate_analogies
from embedlab.evaluation.probe import ProbeData, check_folds, evaluate_probe, probe_data
from embedlab.evaluation.protocols import SentenceEncoder, build_vocab_index
from embedlab.evaluation.results import EvalResult, Report, mean_score
from embedlab.evaluation.sts import evaluate_sts_sets
from embedlab.evaluation.word_similarity import Fallback, OovPolicy, evaluate_word_similarity

logger = logging.getLogger(__name__)


class _Evaluator:
    """Shared plumbing: key prefixing, the last results, and writing them to ``output_path``."""

    greater_is_better = True

    def __init__(self, name: str, primary: str) -> None:
        self.name = name
        self.primary_metric = self._key(primary)
        self.results: list[EvalResult] = []

    def _key(self, key: str) -> str:
        return f"{self.name}_{key}" if self.name else key

    def _finish(self, metrics: dict[str, float], output_path: str | Path | None) -> dict[str, float]:
        if output_path is not None:
            path = Path(output_path) / f"{self._key(type(self).__name__)}_results.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.report().save(path)
        return {self._key(k): float(v) for k, v in metrics.items()}

    def report(self) -> Report:
        """The last call's results as a ``Report``."""
        return Report(self.results, title=type(self).__name__)


class WordSimilarityEvaluator(_Evaluator):
    """Spearman of cosine vs human scores on word-pair sets; primary metric: ``spearman_mean``.

    Args:
        datasets: registered names, files or loaded ``WordPairs``.
        restrict_vocab, case_insensitive, oov, fallback: see ``evaluate_word_similarity``.
        name: prefix for the metric keys.

    Example:
        >>> WordSimilarityEvaluator(["rg65"]).primary_metric
        'spearman_mean'
    """

    def __init__(
        self,
        datasets: Sequence[str | Path | WordPairs] = WORD_SIMILARITY_SETS,
        *,
        restrict_vocab: int | None = 300_000,
        case_insensitive: bool = True,
        oov: OovPolicy = "skip",
        fallback: Fallback | None = None,
        name: str = "",
    ) -> None:
        super().__init__(name, "spearman_mean")
        self.datasets = [d if isinstance(d, WordPairs) else load_word_pairs(d) for d in datasets]
        self.restrict_vocab = restrict_vocab
        self.case_insensitive = case_insensitive
        self.oov: OovPolicy = oov
        self.fallback = fallback

    def __call__(
        self, model: Any, output_path: str | Path | None = None, epoch: int = -1, steps: int = -1
    ) -> dict[str, float]:
        """Score ``model`` (anything ``as_word_vectors`` accepts) on every set.

        Returns:
            ``{set}_spearman``, ``{set}_pearson``, ``{set}_coverage`` and ``spearman_mean``.
        """
        index = build_vocab_index(
            model, restrict_vocab=self.restrict_vocab, case_insensitive=self.case_insensitive
        )
        results = [
            evaluate_word_similarity(index, d, oov=self.oov, fallback=self.fallback) for d in self.datasets
        ]
        self.results = list(results)
        metrics: dict[str, float] = {}
        for r in results:
            metrics.update(
                {
                    f"{r.dataset}_spearman": r.spearman,
                    f"{r.dataset}_pearson": r.pearson,
                    f"{r.dataset}_coverage": r.coverage,
                }
            )
        metrics["spearman_mean"] = mean_score(results)
        return self._finish(metrics, output_path)


class AnalogyEvaluator(_Evaluator):
    """Analogy accuracy; primary metric: ``accuracy_mean`` over sets and methods.

    Args:
        datasets: registered names, files or loaded ``AnalogySet``.
        methods: any of ``"3cosadd"``, ``"3cosmul"``.
        restrict_vocab, case_insensitive, oov, cosmul_eps, batch_size: see ``evaluate_analogies``.
        name: prefix for the metric keys.

    Example:
        >>> AnalogyEvaluator(["google"], methods=("3cosadd", "3cosmul")).primary_metric
        'accuracy_mean'
    """

    def __init__(
        self,
        datasets: Sequence[str | Path | AnalogySet] = ANALOGY_SETS,
        *,
        methods: Sequence[AnalogyMethod] = ("3cosadd",),
        restrict_vocab: int | None = 300_000,
        case_insensitive: bool = True,
        oov: OovPolicy = "skip",
        cosmul_eps: float = 1e-3,
        batch_size: int = 2048,
        name: str = "",
    ) -> None:
        super().__init__(name, "accuracy_mean")
        self.datasets = [d if isinstance(d, AnalogySet) else load_analogies(d) for d in datasets]
        self.methods = tuple(methods)
        self.restrict_vocab = restrict_vocab
        self.case_insensitive = case_insensitive
        self.oov: OovPolicy = oov
        self.cosmul_eps = cosmul_eps
        self.batch_size = batch_size

    def __call__(
        self, model: Any, output_path: str | Path | None = None, epoch: int = -1, steps: int = -1
    ) -> dict[str, float]:
        """Score ``model`` on every set with every method.

        Returns:
            ``{set}_{method}_accuracy``, ``{set}_coverage`` and ``accuracy_mean``.
        """
        index = build_vocab_index(
            model, restrict_vocab=self.restrict_vocab, case_insensitive=self.case_insensitive
        )
        results = [
            evaluate_analogies(
                index, d, method=m, oov=self.oov, cosmul_eps=self.cosmul_eps, batch_size=self.batch_size
            )
            for d in self.datasets
            for m in self.methods
        ]
        self.results = list(results)
        metrics: dict[str, float] = {}
        for r in results:
            metrics.update(
                {f"{r.dataset}_{r.method}_accuracy": r.accuracy, f"{r.dataset}_coverage": r.coverage}
            )
        metrics["accuracy_mean"] = mean_score(results)
        return self._finish(metrics, output_path)


class STSEvaluator(_Evaluator):
    """Spearman x100 of cosine on STS sets; primary metric: ``spearman_mean``.

    Args:
        datasets: registered names, files (plain, STS-B, SICK) or loaded ``StsPairs``.
        batch_size, encode_kwargs: see ``evaluate_sts``.
        name: prefix for the metric keys.

    Example:
        >>> STSEvaluator(["sts14-headlines"], name="dev").primary_metric
        'dev_spearman_mean'
    """

    def __init__(
        self,
        datasets: Sequence[str | Path | StsPairs] = STS_SETS,
        *,
        batch_size: int = 256,
        encode_kwargs: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> None:
        super().__init__(name, "spearman_mean")
        self.datasets = [d if isinstance(d, StsPairs) else load_sts(d) for d in datasets]
        self.batch_size = batch_size
        self.encode_kwargs = encode_kwargs

    def __call__(
        self, model: SentenceEncoder, output_path: str | Path | None = None, epoch: int = -1, steps: int = -1
    ) -> dict[str, float]:
        """Encode every distinct sentence once and score each set.

        Returns:
            ``{set}_spearman``, ``{set}_pearson`` (x100) and ``spearman_mean``.
        """
        results = evaluate_sts_sets(
            model, self.datasets, batch_size=self.batch_size, encode_kwargs=self.encode_kwargs
        )
        self.results = list(results)
        metrics: dict[str, float] = {}
        for r in results:
            metrics.update({f"{r.dataset}_spearman": r.spearman, f"{r.dataset}_pearson": r.pearson})
        metrics["spearman_mean"] = mean_score(results)
        return self._finish(metrics, output_path)


class ProbeEvaluator(_Evaluator):
    """Logistic-regression probe accuracy (x100); primary metric: ``{set}_accuracy``.

    Args:
        dataset: ``"mr"``, a ``label<TAB>text`` file or ``(texts, labels)``; read at construction.
        folds, seed, C, max_iter, batch_size, encode_kwargs: see ``evaluate_probe``.
        name: prefix for the metric keys.

    Raises:
        DataError: the set cannot be read.
        ValueError: ``folds`` does not suit the set's classes (see ``check_folds``).

    Example:
        >>> ProbeEvaluator((["good", "bad"] * 10, [1, 0] * 10), folds=2).primary_metric
        '<memory>_accuracy'
    """

    def __init__(
        self,
        dataset: ProbeData = "mr",
        *,
        folds: int = 10,
        seed: int = 1111,
        C: float = 1.0,
        max_iter: int = 1000,
        batch_size: int = 256,
        encode_kwargs: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> None:
        texts, labels, self.set_name = probe_data(dataset)
        check_folds(folds, labels)
        super().__init__(name, f"{self.set_name}_accuracy")
        self.data = (texts, labels)
        self.options: dict[str, Any] = {"folds": folds, "seed": seed, "C": C, "max_iter": max_iter}
        self.batch_size = batch_size
        self.encode_kwargs = encode_kwargs

    def __call__(
        self, model: SentenceEncoder, output_path: str | Path | None = None, epoch: int = -1, steps: int = -1
    ) -> dict[str, float]:
        """Embed the set with ``model`` and cross-validate the probe.

        Returns:
            ``{set}_accuracy`` and ``{set}_accuracy_std``.
        """
        result = evaluate_probe(
            model,
            self.data,
            batch_size=self.batch_size,
            encode_kwargs=self.encode_kwargs,
            name=self.set_name,
            **self.options,
        )
        self.results = [result]
        metrics = {
            f"{self.set_name}_accuracy": result.accuracy,
            f"{self.set_name}_accuracy_std": result.accuracy_std,
        }
        return self._finish(metrics, output_path)


def evaluate_word_vectors(
    vectors: Any,
    datasets: Sequence[str | Path | WordPairs] = WORD_SIMILARITY_SETS,
    analogies: Sequence[str | Path | AnalogySet] = ANALOGY_SETS,
    *,
    analogy_methods: Sequence[AnalogyMethod] = ("3cosadd",),
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    oov: OovPolicy = "skip",
) -> Report:
    """Word similarity on ``datasets`` and analogies on ``analogies``, one row per set (and method).

    A progress bar over the sets is shown when this module's logger is enabled for INFO.

    Args:
        vectors: anything ``as_word_vectors`` accepts (gensim ``KeyedVectors``, ``StaticEmbeddings``,
            model2vec ``StaticModel``, a dict).
        datasets: word-similarity sets (empty to skip).
        analogies: analogy sets (empty to skip).
        analogy_methods: ``"3cosadd"`` and/or ``"3cosmul"``.
        restrict_vocab, case_insensitive, oov: shared by all sets.

    Returns:
        A ``Report``: ``.rows()`` for the headline rows, ``.to_markdown()``, ``.to_json()``.

    Example:
        >>> print(evaluate_word_vectors(kv).to_markdown())  # doctest: +SKIP
    """
    index = build_vocab_index(vectors, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    report = Report(title="word vectors")
    steps = len(datasets) + len(analogies) * len(analogy_methods)
    with tqdm(total=steps, desc="word vectors", unit="set", disable=not logger.isEnabledFor(logging.INFO)) as bar:
        for d in datasets:
            report.add(evaluate_word_similarity(index, d, oov=oov))
            bar.update()
        for a in analogies:
            data = a if isinstance(a, AnalogySet) else load_analogies(a)
            for method in analogy_methods:
                report.add(evaluate_analogies(index, data, method=method, oov=oov))
                bar.update()
    return report
