"""``embedlab.load``: the one way in. Anything a user has, opened as the embedlab object that uses it.

| what                                                     | gives                                  |
|----------------------------------------------------------|----------------------------------------|
| an embedlab folder (``config.json`` + ``format_version``) | the family's class, from ``LOADERS``   |
| word2vec ``.txt``/``.vec``/``.bin`` (``.gz``/``.bz2``)    | ``StaticEmbeddings``                   |
| gensim ``.kv`` (read without unpickling code)             | ``StaticEmbeddings``                   |
| a model2vec folder (embedlab's export or model2vec's own) | ``StaticEmbeddings`` / ``Model2VecEncoder`` |
| a sentence-transformers folder (``modules.json``)         | ``TransformerEncoder``                 |
| a Hugging Face transformers folder (e.g. the small MLM)   | ``TransformerSentenceEncoder`` (mean)  |
| ``minilm`` (packaged all-MiniLM-L6-v2)                    | ``TransformerEncoder``                 |
| ``minilm-onnx-int8``, ``paraphrase-minilm-l3``            | ``Teacher`` (ONNX)                     |
| a vectors dataset name (``googlenews-13k``, ...)          | ``StaticEmbeddings`` (fetched once)    |
| a hub name, where the user has network                    | ``TransformerEncoder``                 |

Every model that turns sentences into vectors implements the encoder contract
(``embedlab.blocks.sentence_encoder``). Loading never executes code from the files.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from embedlab.errors import ModelFormatError
from embedlab.io.folder import CONFIG_NAME, read_config
from embedlab.teachers.names import NAMED_TEACHERS, hub_reachable, require_hub_name

if TYPE_CHECKING:
    from embedlab.autoencoder.model import SentenceAutoencoder
    from embedlab.blocks.sentence_encoder import SentenceEncoder
    from embedlab.contrastive.encoder import TrainableEncoder
    from embedlab.lm.model import LanguageModel
    from embedlab.static.embeddings import StaticEmbeddings
    from embedlab.supervised.classification import TextClassifier
    from embedlab.supervised.tagging import Tagger
    from embedlab.teachers.contextual import Teacher
    from embedlab.teachers.model2vec import Model2VecEncoder
    from embedlab.teachers.sentence_transformer import TransformerEncoder

Model = Union["StaticEmbeddings", "LanguageModel", "SentenceAutoencoder", "TextClassifier", "Tagger",
              "TrainableEncoder", "TransformerEncoder", "Model2VecEncoder", "Teacher"]
Loader = Callable[[Path, dict[str, Any]], Any]



# --- one loader per model_type (each family builds its own class) ---------------------------------
def _static(folder: Path, config: dict[str, Any]) -> StaticEmbeddings:
    from embedlab.static.embeddings import StaticEmbeddings

    return StaticEmbeddings.from_folder(folder, config)


def _model2vec(folder: Path, config: dict[str, Any]) -> StaticEmbeddings:
    from embedlab.io.portable import read_model2vec
    from embedlab.static.embeddings import StaticEmbeddings

    words, table = read_model2vec(folder)
    return StaticEmbeddings(words, table, source=str(folder))


def _language_model(folder: Path, config: dict[str, Any]) -> LanguageModel:
    from embedlab.lm.model import load_language_model

    return load_language_model(folder, config)


def _autoencoder(folder: Path, config: dict[str, Any]) -> SentenceAutoencoder:
    from embedlab.autoencoder.model import load_autoencoder

    return load_autoencoder(folder, config)


def _classifier(folder: Path, config: dict[str, Any]) -> TextClassifier:
    from embedlab.supervised.classification import load_classifier

    return load_classifier(folder, config)


def _tagger(folder: Path, config: dict[str, Any]) -> Tagger:
    from embedlab.supervised.tagging import load_tagger

    return load_tagger(folder, config)


def _sentence_encoder(folder: Path, config: dict[str, Any]) -> TrainableEncoder:
    from embedlab.contrastive.encoders import load_encoder_folder

    return load_encoder_folder(folder, config)


LOADERS: dict[str, Loader] = {
    "static": _static,
    "model2vec": _model2vec,
    "rnn_lm": _language_model,
    "autoencoder": _autoencoder,
    "rnn_classifier": _classifier,
    "rnn_tagger": _tagger,
    "sentence_encoder": _sentence_encoder,
}


# --- the front door --------------------------------------------------------------------------------
def load(name_or_path: str | Path, *, device: str | None = None) -> Model:
    """Open any model or vectors a user has (see the module docstring for the table).

    Args:
        name_or_path: a file, a folder, a packaged name, a vectors dataset name or a hub name.
        device: where a transformer runs (``cpu``, ``cuda``); the default picks the GPU when there is one.

    Raises:
        ModelFormatError: nothing embedlab can open is there (the message names what it can).

    Example:
        >>> model = embedlab.load("minilm")                           # doctest: +SKIP
        >>> model.encode(["A cat sat.", "A dog ran."]).shape          # doctest: +SKIP
        (2, 384)
    """
    path = Path(name_or_path)
    if path.is_file():
        return _load_file(path)
    if path.is_dir():
        return _load_folder(path, device)
    return _load_name(str(name_or_path), device)


def load_vectors(name_or_path: str | Path) -> StaticEmbeddings:
    """Word vectors: ``load`` for anything that holds them (a folder, a word2vec or .kv file, a
    model2vec folder, a vectors dataset name).

    Raises:
        ModelFormatError: what is there is not word vectors (the message says what it is).
    """
    from embedlab.static.embeddings import StaticEmbeddings

    model = load(name_or_path)
    if not isinstance(model, StaticEmbeddings):
        raise ModelFormatError(f"{name_or_path}: holds a {type(model).__name__}, not word vectors")
    return model


def load_encoder(name_or_path: str | Path, *, device: str | None = None) -> SentenceEncoder:
    """``load`` for a model that turns sentences into vectors (every encoder, the static bag, the
    autoencoder, the classifier's encoder, a transformer).

    Raises:
        ModelFormatError: the model there does not encode sentences (a language model or a tagger).
    """
    from embedlab.blocks.sentence_encoder import SentenceEncoder

    model = load(name_or_path, device=device)
    if not isinstance(model, SentenceEncoder):
        raise ModelFormatError(f"{name_or_path}: holds a {type(model).__name__}, which does not encode sentences")
    return model


def _load_file(path: Path) -> StaticEmbeddings:
    from embedlab.static.embeddings import StaticEmbeddings

    if path.suffix == ".kv":
        from embedlab.io.gensim_kv import load_gensim_kv

        words, vectors = load_gensim_kv(path)
        return StaticEmbeddings(words, vectors, lowercase=False, source=str(path))
    if path.name == CONFIG_NAME:
        raise ModelFormatError(f"{path}: give the folder that holds {CONFIG_NAME}, not the file")
    return StaticEmbeddings.load_word2vec_format(path)


def _load_folder(folder: Path, device: str | None) -> Any:
    config = _peek_config(folder)
    if config is not None and _is_embedlab(config, folder):
        config = read_config(folder)  # checks the version and model_type
        loader = LOADERS.get(config["model_type"])
        if loader is None:
            raise ModelFormatError(f"{folder}: unknown model_type {config['model_type']!r} "
                                   f"(this embedlab knows: {', '.join(sorted(LOADERS))}); a newer embedlab may")
        return loader(folder, config)
    inner = embedlab_module_folder(folder)
    if inner is not None:
        return load(inner, device=device)
    if config is not None and _is_model2vec(config, folder) and importlib.util.find_spec("model2vec") is not None:
        from embedlab.teachers.model2vec import Model2VecEncoder

        return Model2VecEncoder.load(folder)
    if (folder / "modules.json").is_file():
        from embedlab.teachers.sentence_transformer import TransformerEncoder

        return TransformerEncoder.load(folder, device=device)
    if config is not None:  # a transformers folder (e.g. the small MLM): its mean-pooled states
        from embedlab.contrastive.transformer import TransformerSentenceEncoder

        return TransformerSentenceEncoder.load(folder).eval()
    if (folder / "checkpoint").is_dir():
        raise ModelFormatError(f"{folder}: holds a training checkpoint but no finished model yet; resume the "
                               "training command (same --out) or wait for it to save the best model")
    raise ModelFormatError(f"{folder}: no {CONFIG_NAME} and no modules.json; not an embedlab, sentence-transformers, "
                           "model2vec or transformers model folder")


def _is_embedlab(config: dict[str, Any], folder: Path) -> bool:
    """An embedlab config has ``format_version``. Without one, a folder with sentence-transformers'
    modules.json, model2vec's config or a Hugging Face transformers config (``transformers_version``,
    ``architectures``) is foreign; anything else still counts as embedlab's, so its errors come from
    embedlab's checks (a missing or unknown model_type)."""
    if "format_version" in config:
        return True
    foreign = (folder / "modules.json").is_file() or config.get("model_type") == "model2vec" \
        or "transformers_version" in config or "architectures" in config
    return not foreign


def _is_model2vec(config: dict[str, Any], folder: Path) -> bool:
    """model2vec's own folder: its model_type, or a modules.json led by a StaticEmbedding module."""
    if config.get("model_type") == "model2vec":
        return True
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(modules, list) and bool(modules) and isinstance(modules[0], dict) \
        and str(modules[0].get("type", "")).endswith("StaticEmbedding")


def _peek_config(folder: Path) -> dict[str, Any] | None:
    """config.json as a dict, None when absent; a garbled one is reported as embedlab's (clear error)."""
    if not (folder / CONFIG_NAME).is_file():
        return None
    try:
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {"format_version": 1}  # read_config raises the precise error
    return config if isinstance(config, dict) else {"format_version": 1}


def embedlab_module_folder(path: Path) -> Path | None:
    """The embedlab folder of a sentence-transformers folder made of embedlab's module alone, else None.

    Only a folder inside ``path`` counts: a crafted modules.json cannot point the loader elsewhere.
    """
    from embedlab.contrastive.export import EMBEDLAB_MODULE

    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(modules, list) and len(modules) == 1 and isinstance(modules[0], dict) \
            and modules[0].get("type") == EMBEDLAB_MODULE:
        inner = (path / str(modules[0].get("path", ""))).resolve()
        return inner if path.resolve() in inner.parents else None
    return None


def _load_name(name: str, device: str | None) -> Any:
    from embedlab.data.registry import DATASETS

    if name == "minilm":
        from embedlab.teachers.sentence_transformer import TransformerEncoder

        return TransformerEncoder.load("minilm", device=device)
    if name in NAMED_TEACHERS:
        from embedlab.teachers.contextual import load_teacher

        return load_teacher(name, device=device)
    spec = DATASETS.get(name)
    if spec is not None and spec.kind == "vectors":
        from embedlab.data.fetch import dataset_path, fetch
        from embedlab.data.registry import read_manifest

        if read_manifest(spec.name) is None:
            fetch(spec.name)
        path = dataset_path(spec.name)
        return load(path / spec.files[0] if path.is_dir() else path)
    require_hub_name(name, probe=lambda: hub_reachable())  # looked up here, so tests can replace it
    from embedlab.teachers.sentence_transformer import TransformerEncoder

    return TransformerEncoder.load(name, device=device)


