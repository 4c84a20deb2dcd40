"""Training a recurrent LM with the generic loop: BPTT windows, SGD with plateau annealing or Adam.

Defaults follow pytorch/examples ``word_language_model`` (SGD lr 20, clip 0.25, bptt 35, batch 20,
lr / 4 when the validation perplexity stops improving). The best model by validation perplexity is
written to the output folder as it appears (``embedlab.load(out)``); ``checkpoint/`` holds the last
state for resuming a killed run (the hidden state restarts from zeros at the resumed window).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from embedlab.blocks.recurrent import Hidden, detach_hidden
from embedlab.data.corpus import corpus_texts, held_out_splits
from embedlab.errors import EmbedlabError
from embedlab.lm.batching import batchify, num_windows, stream_nll, windows
from embedlab.lm.model import LanguageModel
from embedlab.lm.network import LMConfig, RNNLanguageModel
from embedlab.lm.tokens import Level, LMTokenizer
from embedlab.train.best import KeepBest
from embedlab.train.loop import LoopConfig, distributed, train
from embedlab.train.optim import adam
from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint
from embedlab.train.settings_check import check_module_memory, check_settings

logger = logging.getLogger(__name__)


@dataclass
class LMTrainConfig:
    """Everything ``train_language_model`` needs besides the text.

    Attributes:
        level / vocab_size / min_count: the vocabulary (``vocab_size`` counts the two specials).
        cell, emb, hidden, layers, dropout, tied, tie_projection, proj_reg: the model (``LMConfig``);
            ``dropout`` applies to embeddings, between layers and to outputs alike.
        optimizer: ``sgd`` (annealed on plateau) or ``adam``.
        lr: learning rate (None: 20 for SGD, 1e-3 for Adam).
        anneal: multiply lr by this when validation does not improve (SGD default 0.25; Adam 1).
        grad_clip: gradient-norm clipping.
        batch_size / bptt: rows and window length.
        epochs / max_tokens: how long (``max_tokens`` caps the training tokens in total).
        eval_every: validate every N steps as well as at epoch ends (0: epoch ends only).
        eval_tokens: validate on at most this many tokens of the valid split (None: all).
        seed: initialization and nothing else (batches are in corpus order).
    """

    level: Level = "word"
    vocab_size: int = 10_000
    min_count: int = 1
    cell: str = "lstm"
    emb: int = 200
    hidden: int = 200
    layers: int = 2
    dropout: float = 0.2
    tied: bool = False
    tie_projection: bool = False
    proj_reg: float = 0.0
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: float | None = None
    anneal: float | None = None
    grad_clip: float = 0.25
    batch_size: int = 20
    bptt: int = 35
    epochs: int = 1
    max_tokens: int | None = None
    eval_every: int = 0
    eval_tokens: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        check_settings(self, {"vocab_size": "--vocab", "grad_clip": "--clip"})

    def model_config(self, vocab_size: int) -> LMConfig:
        return LMConfig(vocab_size=vocab_size, cell=self.cell, emb=self.emb, hidden=self.hidden, layers=self.layers,
                        dropout_emb=self.dropout, dropout_rnn=self.dropout, dropout_out=self.dropout,
                        tied=self.tied, tie_projection=self.tie_projection, proj_reg=self.proj_reg)


class LMTask:
    """A ``TrainingTask``: windows of the token stream, hidden state carried within an epoch."""

    def __init__(self, model: RNNLanguageModel, stream: np.ndarray, config: LMTrainConfig) -> None:
        self.model: nn.Module = model
        self.network = model
        self.stream = stream
        self.config = config
        self.hidden: Hidden | None = None

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        c = self.config
        if c.optimizer == "adam":
            return [adam(model.parameters(), lr=c.lr if c.lr is not None else 1e-3)]
        return [torch.optim.SGD(model.parameters(), lr=c.lr if c.lr is not None else 20.0)]

    def steps_per_epoch(self, world: int = 1) -> int:
        return num_windows(len(self.stream) // (self.config.batch_size * world), self.config.bptt)

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, bool]]:
        rows = batchify(self.stream, self.config.batch_size, rank=rank, world=world)
        for i, (x, y) in enumerate(windows(rows, self.config.bptt)):
            yield x, y, i == 0

    def units(self, batch: tuple[torch.Tensor, torch.Tensor, bool]) -> int:
        return int(batch[1].numel())

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, bool]) -> torch.Tensor:
        x, y, first = batch
        if first:
            self.hidden = None  # a new pass over the text starts from a zero state
        logits, hidden = model(x, self.hidden)                       # (B, T, V)
        self.hidden = detach_hidden(hidden)
        nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        return nll + self.network.projection_penalty() if self.network.projection is not None else nll


def train_language_model(config: LMTrainConfig, corpus: Iterable[str] | str | Path = "en-mix",
                         out_dir: str | Path | None = None, *, valid: Iterable[str] | str | Path | None = None,
                         test: Iterable[str] | str | Path | None = None, progress: bool = True,
                         tokenizer: LMTokenizer | None = None, overwrite: bool = False
                         ) -> tuple[LanguageModel, dict[str, Any]]:
    """Train a language model; return the best (by validation perplexity) and a report.

    Args:
        corpus: a registered corpus (its train split), a text file, or lines.
        out_dir: the model folder (best model, ``checkpoint/``, ``metrics.jsonl``, ``report.json``);
            a run killed there resumes when called again with the same arguments; other arguments
            are refused unless ``overwrite`` (``embedlab.train.run_folder``).
        valid / test: lines or a file; a registered corpus with splits defaults to its valid/test
            splits; without a valid split the last 2% of the training tokens are held out.
        tokenizer: reuse a vocabulary (default: built from the training text).

    Returns:
        the best model and ``{"valid_ppl", "test_ppl", "params", "train_tokens", "seconds", ...}``.
    """
    torch.manual_seed(config.seed)
    split_valid, split_test = held_out_splits(corpus)
    valid = split_valid if valid is None else valid
    test = split_test if test is None else test
    train_texts = list(corpus_texts(corpus, "train"))
    if tokenizer is None:
        tokenizer = LMTokenizer.build(train_texts, level=config.level, max_size=config.vocab_size - 2,
                                      min_count=config.min_count)
    stream = tokenizer.encode_stream(train_texts)
    if valid is not None:
        valid_stream = tokenizer.encode_stream(corpus_texts(valid, "valid"))
    else:
        cut = len(stream) - max(2, len(stream) // 50)
        stream, valid_stream = stream[:cut], stream[cut:]
    test_stream = tokenizer.encode_stream(corpus_texts(test, "test")) if test is not None else None
    return train_on_streams(config, tokenizer, stream, valid_stream, test_stream, out_dir, progress=progress,
                            overwrite=overwrite)


def train_on_streams(config: LMTrainConfig, tokenizer: LMTokenizer, stream: np.ndarray, valid_stream: np.ndarray,
                     test_stream: np.ndarray | None = None, out_dir: str | Path | None = None, *,
                     progress: bool = True, overwrite: bool = False) -> tuple[LanguageModel, dict[str, Any]]:
    """``train_language_model`` on token ids already encoded with ``tokenizer`` (benchmarks reuse them)."""
    if out_dir is not None:
        data = fingerprint([stream.tobytes(), valid_stream.tobytes(), "\n".join(tokenizer.vocab.itos)], "token streams")
        claim_folder(out_dir, RunIdentity("lm", asdict(config), data), overwrite=overwrite)
    torch.manual_seed(config.seed)
    if config.eval_tokens is not None:
        valid_stream = valid_stream[: config.eval_tokens]
    check_module_memory(lambda: RNNLanguageModel(config.model_config(len(tokenizer))), "this language model",
                        "lower --hidden, --emb or --vocab")
    model = RNNLanguageModel(config.model_config(len(tokenizer)))
    task = LMTask(model, stream, config)
    rank, world = distributed()
    steps_per_epoch = task.steps_per_epoch(world)
    max_steps = None
    if config.max_tokens is not None:
        max_steps = max(1, config.max_tokens // (config.batch_size * config.bptt * world))
    anneal = config.anneal if config.anneal is not None else (0.25 if config.optimizer == "sgd" else 1.0)
    loop = LoopConfig(epochs=config.epochs, max_steps=max_steps, grad_clip=config.grad_clip, log_every=50,
                      checkpoint_every=500, eval_every=config.eval_every, anneal=anneal, perplexity=True,
                      progress=progress)
    best_path = Path(out_dir) if out_dir is not None else None
    keeper = KeepBest(model, None if best_path is None else lambda: LanguageModel(model, tokenizer).save(best_path))

    def evaluate(module: nn.Module) -> float:
        total, count = stream_nll(module, valid_stream)
        return math.exp(total / count)

    started = time.perf_counter()
    result = train(task, loop, out_dir, steps_per_epoch=steps_per_epoch, evaluate=evaluate, on_best=keeper)
    seconds = time.perf_counter() - started
    if best_path is not None and (best_path / "config.json").is_file():
        best = LanguageModel.load(best_path)
    else:
        keeper.restore()
        best = LanguageModel(model, tokenizer)
    report: dict[str, Any] = {
        "valid_ppl": result.best, "params": best.module.num_parameters(), "vocab_size": len(tokenizer),
        "train_tokens": result.steps * config.batch_size * config.bptt * world,
        "tokens_per_s": (result.steps - result.resumed_from) * config.batch_size * config.bptt * world / seconds,
        "steps": result.steps, "seconds": seconds, "evaluations": result.evaluations, "config": asdict(config),
    }
    if test_stream is not None:
        total, count = stream_nll(best.module, test_stream)
        report["test_ppl"] = math.exp(total / count)
        report["test_tokens"] = count
    if best_path is not None and rank == 0:
        (best_path / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not math.isfinite(report["valid_ppl"] or math.nan):
        raise EmbedlabError(f"validation perplexity is {report['valid_ppl']}; lower the learning rate")
    return best, report
