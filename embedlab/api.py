"""Short front doors: one function per method, like model2vec's ``distill(model_name, ...)``.

Each takes the corpus by name (a packaged dataset such as ``en-mix``, fetched on first use) or as a
path or a list of sentences, the method's settings as keywords (the fields of its config dataclass;
a misspelt one is an error that lists the valid ones), and ``out`` (a folder to save into, resumable).
Each returns the trained model; the full training report is what the underlying function returns
(``embedlab.static.pipeline.distill_x2static``, ``embedlab.lm.training.train_language_model``, ...).

Example:
    >>> import embedlab
    >>> kv = embedlab.distill("minilm", "en-mix", max_sentences=20000)      # doctest: +SKIP
    >>> kv.most_similar("river", topn=3)                                    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from embedlab.errors import EmbedlabError

if TYPE_CHECKING:
    from embedlab.autoencoder.model import SentenceAutoencoder
    from embedlab.contrastive.encoder import TrainableEncoder
    from embedlab.lm.model import LanguageModel
    from embedlab.static.embeddings import StaticEmbeddings
    from embedlab.supervised.classification import TextClassifier
    from embedlab.supervised.tagging import Tagger
    from embedlab.supervised.tagsets import TaggedSentence

C = TypeVar("C")
Corpus = str | Path | Iterable[str]


def config_from(cls: type[C], settings: dict[str, Any], **fixed: Any) -> C:
    """``cls(**fixed, **settings)``; an unknown setting raises an error naming the valid ones."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(settings) - names)
    if unknown:
        raise EmbedlabError(f"unknown setting(s) {', '.join(unknown)} for {cls.__name__}; "
                            f"valid: {', '.join(sorted(names - set(fixed)))}")
    return cls(**fixed, **settings)


def _corpus_paths(corpus: Corpus) -> tuple[Iterable[str], list[Path]]:
    """A text stream and the files behind it (the X2Static cache's fingerprint); lists have none."""
    if isinstance(corpus, (str, Path)):
        from embedlab.data.corpus import resolve_corpus

        return resolve_corpus(corpus)
    return list(corpus), []


def distill(teacher: str = "minilm", corpus: Corpus = "en-mix", *, method: Literal["x2static", "pooled"] = "x2static",
            variant: Literal["sent", "para"] = "sent", out: str | Path | None = None,
            max_sentences: int | None = None, min_count: int = 10, progress: bool = True, overwrite: bool = False,
            **settings: Any) -> StaticEmbeddings:
    """Static word vectors distilled from a contextual teacher.

    Args:
        teacher: ``minilm``, ``minilm-onnx-int8``, ``paraphrase-minilm-l3``, a model folder or a hub name.
        method: ``x2static`` (CBOW whose context vector is the teacher's; docs/METHODS.md A) or ``pooled``
            (each corpus word through the teacher alone, model2vec's recipe).
        variant: X2Static's context: a sentence (``sent``) or a paragraph (``para``).
        settings: ``StaticTrainConfig`` fields (``dim``, ``epochs``, ``lr``, ``negatives``, ...) for x2static.
        overwrite: replace what ``out`` holds; without it, only the same run resumes there (every
            ``train_*`` function takes it too; ``embedlab.train.run_folder``).
    """
    from embedlab.teachers.contextual import load_teacher

    model = load_teacher(teacher)
    texts, paths = _corpus_paths(corpus)
    if method == "pooled":
        from embedlab.static.pooled import claim_pooled, corpus_vocabulary, distill_pooled

        if settings:
            raise EmbedlabError(f"pooled distillation takes no settings besides min_count; got {sorted(settings)}")
        words, counts = corpus_vocabulary(texts, min_count, max_sentences=max_sentences, progress=progress)
        if out is not None:
            claim_pooled(out, model.name, words, counts, {"min_count": min_count, "max_sentences": max_sentences},
                         overwrite)
        kv = distill_pooled(model, words, counts, progress=progress)
        if out is not None:
            kv.save(out)
        return kv
    if method != "x2static":
        raise EmbedlabError(f"method must be x2static or pooled, got {method!r}")
    from embedlab.static.pipeline import distill_x2static
    from embedlab.static.x2static import StaticTrainConfig

    config = config_from(StaticTrainConfig, settings, min_count=min_count)
    return distill_x2static(model, texts, paths, variant=variant, config=config, out_dir=out,
                            max_sentences=max_sentences, progress=progress, overwrite=overwrite).vectors


def train_cbow(corpus: Corpus = "en-mix", *, out: str | Path | None = None, max_sentences: int | None = None,
               progress: bool = True, overwrite: bool = False, **settings: Any) -> StaticEmbeddings:
    """Classic CBOW with negative sampling (the baseline X2Static improves on); ``settings`` are
    ``StaticTrainConfig`` fields."""
    from embedlab.static.pipeline import train_cbow as run_cbow
    from embedlab.static.x2static import StaticTrainConfig

    texts, paths = _corpus_paths(corpus)
    settings.setdefault("epochs", 5)  # word2vec's default, as on the command line; X2Static's is 1
    return run_cbow(texts, paths, config=config_from(StaticTrainConfig, settings, method="cbow"), out_dir=out,
                    max_sentences=max_sentences, progress=progress, overwrite=overwrite).vectors


def train_lm(corpus: Corpus = "en-mix", *, out: str | Path | None = None, progress: bool = True,
             overwrite: bool = False, **settings: Any) -> LanguageModel:
    """A recurrent language model (RNN/LSTM/GRU, tying, projection regularization; docs/METHODS.md B);
    ``settings`` are ``LMTrainConfig`` fields (``cell``, ``tied``, ``hidden``, ``max_tokens``, ...)."""
    from embedlab.lm.training import LMTrainConfig, train_language_model

    return train_language_model(config_from(LMTrainConfig, settings), corpus, out, progress=progress,
                                overwrite=overwrite)[0]


def train_autoencoder(vectors: str | Path | StaticEmbeddings, corpus: Corpus = "en-mix", *,
                      out: str | Path | None = None, preset: Literal["cpu", "paper"] = "cpu", progress: bool = True,
                      overwrite: bool = False, **settings: Any) -> SentenceAutoencoder:
    """The invertible sentence autoencoder over word vectors (a path, a name such as
    ``googlenews-13k``, or ``StaticEmbeddings``; docs/METHODS.md D). ``preset``: ``cpu`` (the design
    that reconstructs on a CPU) or ``paper`` (the reference code's settings); ``settings`` are
    ``AutoencoderTrainConfig`` fields on top of it."""
    from embedlab.autoencoder.training import AutoencoderTrainConfig
    from embedlab.autoencoder.training import preset as preset_config
    from embedlab.autoencoder.training import train_autoencoder as run
    from embedlab.loading import load_vectors

    config_from(AutoencoderTrainConfig, settings)   # a misspelt setting: an error naming the valid ones
    table = load_vectors(vectors) if isinstance(vectors, (str, Path)) else vectors
    return run(preset_config(preset, **settings), table, corpus, out, progress=progress, overwrite=overwrite)[0]


def train_simcse(encoder: str = "minilm", corpus: Corpus = "en-mix", *, vectors: str | Path | None = None,
                 out: str | Path | None = None, progress: bool = True, overwrite: bool = False,
                 **settings: Any) -> TrainableEncoder:
    """SimCSE (docs/METHODS.md E) on ``encoder``: ``minilm``, ``rnn`` or ``bag`` (the word encoders start
    from ``vectors``); ``settings`` are ``ContrastiveTrainConfig`` fields."""
    return _contrastive("simcse", encoder, corpus, vectors, out, progress, overwrite, settings)


def train_diffcse(encoder: str = "minilm", corpus: Corpus = "en-mix", *, vectors: str | Path | None = None,
                  out: str | Path | None = None, progress: bool = True, overwrite: bool = False,
                  **settings: Any) -> TrainableEncoder:
    """DiffCSE (docs/METHODS.md E): SimCSE plus replaced-token detection conditioned on the sentence vector."""
    return _contrastive("diffcse", encoder, corpus, vectors, out, progress, overwrite, settings)


def _contrastive(method: str, encoder: str, corpus: Corpus, vectors: str | Path | None, out: str | Path | None,
                 progress: bool, overwrite: bool, settings: dict[str, Any]) -> TrainableEncoder:
    from embedlab.contrastive.encoders import build_encoder
    from embedlab.contrastive.training import ContrastiveTrainConfig, train_contrastive
    from embedlab.data.corpus import corpus_texts
    from embedlab.loading import load_vectors

    config = config_from(ContrastiveTrainConfig, settings, method=method)
    table = load_vectors(vectors) if vectors is not None else None
    texts: Sequence[str] = ()
    if encoder in ("rnn", "bag"):
        texts = [t for _, t in zip(range(config.max_sentences or 100_000), corpus_texts(corpus), strict=False)]
    model = build_encoder(encoder, texts=texts, vectors=table)
    return train_contrastive(model, config, corpus, out, progress=progress, overwrite=overwrite)[0]


def train_classifier(texts: Sequence[str], labels: Sequence[Any], *, vectors: str | Path | None = None,
                     out: str | Path | None = None, progress: bool = True, overwrite: bool = False,
                     **settings: Any) -> TextClassifier:
    """A biRNN text classifier; ``settings`` are ``ClassifierTrainConfig`` fields."""
    from embedlab.loading import load_vectors
    from embedlab.supervised.classification import ClassifierTrainConfig
    from embedlab.supervised.classification import train_classifier as run

    table = load_vectors(vectors) if vectors is not None else None
    return run(texts, labels, config_from(ClassifierTrainConfig, settings), vectors=table, out_dir=out,
               progress=progress, overwrite=overwrite)[0]


def train_tagger(train: Sequence[TaggedSentence], valid: Sequence[TaggedSentence], *,
                 vectors: str | Path | None = None, out: str | Path | None = None, progress: bool = True,
                 overwrite: bool = False, **settings: Any) -> Tagger:
    """A biRNN part-of-speech tagger; ``settings`` are ``TaggerTrainConfig`` fields."""
    from embedlab.loading import load_vectors
    from embedlab.supervised.tagging import TaggerTrainConfig
    from embedlab.supervised.tagging import train_tagger as run

    table = load_vectors(vectors) if vectors is not None else None
    return run(train, valid, config_from(TaggerTrainConfig, settings), vectors=table, out_dir=out, progress=progress,
               overwrite=overwrite)[0]
