"""``TextClassifier``: a biRNN sentence classifier, trained with the generic loop; cross-validation.

Training holds out part of the training set for model selection (the epoch with the best held-out
accuracy is kept), so a test split is never looked at before the end.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from embedlab.blocks.batching import SPECIALS, ShuffledTask, pad
from embedlab.blocks.pretrained import build_vocab, copy_pretrained
from embedlab.blocks.sentence_encoder import SentenceEncoder
from embedlab.data.tokenize import WordTokenizer
from embedlab.data.vocab import UNK, Vocab
from embedlab.errors import EmbedlabError, ModelFormatError
from embedlab.io.modules import load_module_folder, save_module_folder
from embedlab.supervised.classifier import ClassifierConfig, RNNClassifier
from embedlab.train.best import KeepBest
from embedlab.train.loop import LoopConfig, train
from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint, module_bytes
from embedlab.train.settings_check import check_settings

logger = logging.getLogger(__name__)


@dataclass
class ClassifierTrainConfig:
    """How to train a ``TextClassifier``.

    Attributes:
        emb: embedding size (None: the pretrained vectors' size, else 300).
        freeze_embeddings: keep pretrained rows fixed (small data: fewer parameters to overfit).
        valid_share: share of the training set held out to pick the best epoch.
    """

    cell: str = "lstm"
    emb: int | None = None
    hidden: int = 150
    layers: int = 1
    pooling: str = "mean"
    dropout: float = 0.5
    epochs: int = 8
    batch_size: int = 32
    lr: float = 1e-3
    min_count: int = 1
    valid_share: float = 0.1
    freeze_embeddings: bool = False
    lowercase: bool = True
    seed: int = 0


    def __post_init__(self) -> None:
        check_settings(self)

class TextClassifier(SentenceEncoder):
    """A trained classifier: ``predict``, ``predict_proba``, ``encode`` (pooled states), save/load."""

    def __init__(self, module: RNNClassifier, vocab: Vocab, labels: Sequence[str]) -> None:
        if len(labels) != module.config.num_classes:
            raise ModelFormatError(f"{len(labels)} labels for {module.config.num_classes} classes")
        self.module = module
        self.vocab = vocab
        self.labels = [str(label) for label in labels]
        self._words = WordTokenizer(lowercase=vocab.lowercase)

    def _ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.vocab.encode(self._words.tokenize(t)) for t in texts]

    @torch.no_grad()
    def _batched(self, texts: Sequence[str], fn: Any, batch_size: int = 256) -> np.ndarray:
        self.module.eval()
        out = []
        ids = self._ids(texts)
        for start in range(0, len(ids), batch_size):
            x, lengths = pad(ids[start:start + batch_size])
            out.append(fn(x, lengths).float().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.module.encoder.output_size), dtype=np.float32)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, C) class probabilities, columns in ``labels`` order."""
        return self._batched(texts, lambda x, n: torch.softmax(self.module(x, n), -1))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.labels[i] for i in self.predict_proba(texts).argmax(1)]

    def accuracy(self, texts: Sequence[str], labels: Sequence[Any]) -> float:
        """Share of ``texts`` whose predicted label equals ``str(label)``."""
        predicted = self.predict(texts)
        return float(np.mean([p == str(g) for p, g in zip(predicted, labels, strict=True)]))

    default_batch_size = 256

    def get_sentence_embedding_dimension(self) -> int:
        return self.module.encoder.output_size

    def embed(self, sentences: list[str], *, batch_size: int = 256, show_progress_bar: bool = False,
              **options: Any) -> np.ndarray:
        """(n, D*H) pooled sentence vectors (the encoder contract: STS, probes, ``encode``)."""
        return self._batched(sentences, self.module.sentence_vectors, batch_size)

    def save(self, folder: str | Path) -> Path:
        config = {"model_type": "rnn_classifier", "labels": self.labels, "lowercase": self.vocab.lowercase,
                  "classifier": self.module.config.as_dict()}
        return save_module_folder(folder, self.module, self.vocab, config)


def load_classifier(folder: Path, config: dict[str, Any]) -> TextClassifier:
    """The classifier of an embedlab ``rnn_classifier`` folder (``embedlab.load`` calls this)."""
    module, vocab = load_module_folder(folder, config, lambda: RNNClassifier(ClassifierConfig.from_dict(config["classifier"])),
                                       specials=list(SPECIALS), unk=UNK, lowercase=bool(config.get("lowercase", True)))
    return TextClassifier(module, vocab, [str(label) for label in config.get("labels", [])])


def _split(n: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    cut = n - max(1, round(n * share))
    return np.sort(order[:cut]), np.sort(order[cut:])


def train_classifier(texts: Sequence[str], labels: Sequence[Any], config: ClassifierTrainConfig | None = None, *,
                     vectors: Any = None, out_dir: str | Path | None = None,
                     progress: bool = True, overwrite: bool = False) -> tuple[TextClassifier, dict[str, Any]]:
    """Train on (texts, labels); ``valid_share`` of them pick the best epoch.

    Args:
        vectors: StaticEmbeddings to start the embedding from (their words join the vocabulary).
        out_dir: the model folder (best model, ``checkpoint/`` for resuming, ``metrics.jsonl``); another
            run there is refused unless ``overwrite`` (``embedlab.train.run_folder``).

    Returns:
        the best model and ``{"valid_accuracy", "epochs", "coverage", "seconds", ...}``.
    """
    config = config or ClassifierTrainConfig()
    if len(texts) != len(labels):
        raise EmbedlabError(f"{len(texts)} texts but {len(labels)} labels")
    names = sorted({str(label) for label in labels})
    if len(names) < 2:
        raise EmbedlabError(f"need at least two distinct labels, got {names}")
    torch.manual_seed(config.seed)
    words = WordTokenizer(lowercase=config.lowercase)
    tokens = [words.tokenize(t) for t in texts]
    train_idx, valid_idx = _split(len(texts), config.valid_share, config.seed)
    vocab = build_vocab([tokens[i] for i in train_idx], specials=SPECIALS, min_count=config.min_count, lowercase=config.lowercase,
                        extra_words=vectors.index_to_key if vectors is not None else ())
    emb = config.emb or (vectors.dim if vectors is not None else 300)
    module = RNNClassifier(ClassifierConfig(vocab_size=len(vocab), num_classes=len(names), cell=config.cell, emb=emb,
                                            hidden=config.hidden, layers=config.layers, pooling=config.pooling,
                                            dropout=config.dropout))
    coverage = copy_pretrained(module.embedding, vocab, vectors) if vectors is not None else 0.0
    if out_dir is not None:
        data = fingerprint([*texts, "", *map(str, labels), *module_bytes(module.embedding)], "texts, labels, vectors")
        claim_folder(out_dir, RunIdentity("classifier", asdict(config), data), overwrite=overwrite)
    module.embedding.weight.requires_grad_(not (config.freeze_embeddings and vectors is not None))
    label_id = {name: i for i, name in enumerate(names)}
    examples = [(vocab.encode(tokens[i]), label_id[str(labels[i])]) for i in train_idx]
    held = [(vocab.encode(tokens[i]), label_id[str(labels[i])]) for i in valid_idx]

    def collate(batch: list[tuple[list[int], int]], rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        x, lengths = pad([ids for ids, _ in batch])
        return x, lengths, torch.tensor([y for _, y in batch])

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, lengths, y = batch
        return F.cross_entropy(model(x, lengths), y)

    task = ShuffledTask(module, examples, batch_size=config.batch_size, seed=config.seed, lr=config.lr,
                        collate=collate, loss_fn=loss_fn, units_fn=lambda b: int(b[1].sum()))
    classifier = TextClassifier(module, vocab, names)

    def evaluate(model: nn.Module) -> float:
        x, lengths = pad([ids for ids, _ in held])
        return float((model(x, lengths).argmax(1) == torch.tensor([y for _, y in held])).float().mean())

    keeper = KeepBest(module, None if out_dir is None else lambda: classifier.save(out_dir))
    result = train(task, LoopConfig(epochs=config.epochs, checkpoint_every=0, log_every=20, eval_mode="max",
                                    progress=progress),
                   out_dir, steps_per_epoch=task.steps_per_epoch(), evaluate=evaluate, on_best=keeper)
    if out_dir is not None and (Path(out_dir) / "config.json").is_file():
        from embedlab.io.folder import read_config

        classifier = load_classifier(Path(out_dir), read_config(out_dir, expect="rnn_classifier"))
    else:
        keeper.restore()
    report = {"valid_accuracy": result.best, "evaluations": result.evaluations, "coverage": coverage,
              "seconds": result.seconds, "train_examples": len(examples), "config": asdict(config)}
    return classifier, report


def cross_validate(texts: Sequence[str], labels: Sequence[Any], config: ClassifierTrainConfig | None = None, *,
                   folds: int = 10, seed: int = 1111, vectors: Any = None, progress: bool = False) -> dict[str, Any]:
    """Stratified k-fold accuracy x100 (the folds of ``embedlab.evaluation.probe``: same seed, same splits).

    Each fold trains a fresh classifier on the other folds (which hold out their own ``valid_share``).
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.array([str(label) for label in labels])
    scores = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y)):
        model, _ = train_classifier([texts[i] for i in train_idx], y[train_idx].tolist(), config, vectors=vectors,
                                    progress=progress)
        scores.append(100 * model.accuracy([texts[i] for i in test_idx], y[test_idx].tolist()))
        logger.info("fold %d/%d: %.1f", k + 1, folds, scores[-1])
    return {"accuracy": float(np.mean(scores)), "std": float(np.std(scores)), "folds": scores}
