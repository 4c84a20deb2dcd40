"""Evaluate embeddings from anyone (embedlab, gensim, model2vec, sentence-transformers).

Word vectors (``WordVectors`` protocol): word similarity and analogies. Sentence encoders
(``SentenceEncoder`` protocol): STS and a classification probe. Evaluators follow
sentence-transformers' contract ``evaluator(model) -> dict[str, float]`` with a ``primary_metric``.

Example:
    >>> from embedlab.evaluation import evaluate_word_vectors
    >>> print(evaluate_word_vectors(kv).to_markdown())  # doctest: +SKIP
"""

from embedlab.evaluation.analogy import AnalogyMethod, evaluate_analogies
from embedlab.evaluation.probe import evaluate_probe, probe_data, probe_embeddings
from embedlab.evaluation.protocols import (
    ArrayWordVectors,
    SentenceEncoder,
    VocabIndex,
    WordVectors,
    as_word_vectors,
    build_vocab_index,
    encode_sentences,
)
from embedlab.evaluation.results import (
    AnalogyResult,
    AnalogySectionResult,
    EvalResult,
    ProbeResult,
    Report,
    StsResult,
    WordSimilarityResult,
    html_table,
    markdown_table,
    mean_score,
    to_jsonable,
)
from embedlab.evaluation.sts import evaluate_sts, evaluate_sts_sets, mean_spearman
from embedlab.evaluation.suite import (
    AnalogyEvaluator,
    ProbeEvaluator,
    STSEvaluator,
    WordSimilarityEvaluator,
    evaluate_word_vectors,
)
from embedlab.evaluation.word_similarity import (
    Fallback,
    OovPolicy,
    correlations,
    evaluate_word_similarity,
    paired_cosines,
)

__all__ = [
    "AnalogyEvaluator",
    "AnalogyMethod",
    "AnalogyResult",
    "AnalogySectionResult",
    "ArrayWordVectors",
    "EvalResult",
    "Fallback",
    "OovPolicy",
    "ProbeEvaluator",
    "ProbeResult",
    "Report",
    "STSEvaluator",
    "SentenceEncoder",
    "StsResult",
    "VocabIndex",
    "WordSimilarityEvaluator",
    "WordSimilarityResult",
    "WordVectors",
    "as_word_vectors",
    "build_vocab_index",
    "correlations",
    "encode_sentences",
    "evaluate_analogies",
    "evaluate_probe",
    "evaluate_sts",
    "evaluate_sts_sets",
    "evaluate_word_similarity",
    "evaluate_word_vectors",
    "html_table",
    "markdown_table",
    "mean_score",
    "mean_spearman",
    "paired_cosines",
    "probe_data",
    "probe_embeddings",
    "to_jsonable",
]
