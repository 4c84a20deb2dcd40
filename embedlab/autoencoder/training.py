"""Training the sentence autoencoder: length-bucketed batches, squared error, match drop, Adam.

Runs through the generic loop (``train/loop.py``), so it checkpoints, resumes after a kill, shows
progress and runs unchanged under ``torchrun``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from embedlab.autoencoder.match_drop import MatchDrop
from embedlab.autoencoder.metrics import evaluate_reconstruction
from embedlab.autoencoder.model import SentenceAutoencoder, reversed_batch
from embedlab.autoencoder.nearest import NearestWords
from embedlab.autoencoder.network import AutoencoderConfig, RecurrentAutoencoder
from embedlab.autoencoder.table import EOS, build_table
from embedlab.blocks.batching import pad
from embedlab.data.corpus import corpus_texts, held_out_splits
from embedlab.data.tokenize import WordTokenizer
from embedlab.errors import EmbedlabError
from embedlab.train.best import KeepBest
from embedlab.train.loop import LoopConfig, distributed, train
from embedlab.train.optim import adam
from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint
from embedlab.train.settings_check import check_module_memory, check_settings

logger = logging.getLogger(__name__)


@dataclass
class AutoencoderTrainConfig:
    """Settings of ``train_autoencoder``. The defaults are the CPU design (``preset("cpu")``), chosen by
    learning curves on en-mix (docs/METHODS.md D; held-out word accuracy of sentences of up to 20
    words after 2,831 steps, 512 wide): the paper's decoder 21.6%, with 64-d targets and a 1024-d
    sentence vector 16.3%, plus the previous word 32.4% (exact sentences 0.0% -> 16.9%), lr 3e-4 with
    warm-up 34.5% (1e-3: 14.8%). ``preset("paper")`` gives the reference code's settings.

    Attributes:
        hidden / sentence_dim / cell / extra_blocks / dropout: the network (``AutoencoderConfig``);
            the paper used 10,000 wide layers on a GPU and dropout 0.5 over a long run.
        batch_size: sentences per step; the paper's 32 (batch 128 at lr 6e-4 learned less per
            sentence seen, at about the same tokens/s).
        lr / betas / lr_decay / weight_decay: Adam; the paper's betas (0.85, 0.99), a slow per-step
            decay and a small L2. Its lr 4.2e-5 is for 10,000 wide layers; 3e-4 with warm-up learned
            fastest at 512 wide with the CPU design (1e-4 and 1e-3 slower).
        max_length: longest training sentence in words (longer ones are skipped and counted).
        whiten: whiten the pretrained word vectors before use (``table.py``; centring always happens).
        match_drop: probability that a position whose nearest word is already right leaves the loss.
        loss: ``mse`` (squared error, the paper's) or ``cosine``.
        neighbours: K of the match-drop certificate (``nearest.py``; 0 = full matmul every time).
        eval_every / eval_sentences: validation (exact-sentence rate on held-out sentences).
        max_sentences: train on the first N usable sentences only (quick runs).
        max_minutes: stop after this much training time (a budget; validations count).
        word_dim: reduce the whitened word vectors to their top ``word_dim`` principal directions
            (None: keep them all); the inputs and the regression targets get smaller, so the
            sentence vector holds more words (a 1024-d vector and 20 words x 64 numbers).
        unit_rows / target_scale: every word vector at norm sqrt(d), or (False) every dimension
            standardized as in the paper's code; then the table times ``target_scale`` (paper: 0.05).
        decoder_input / position_dim / output_tanh / previous_dropout: the decoder's wiring
            (``AutoencoderConfig``).
        warmup_steps: linear learning-rate warm-up.
        curriculum_steps / curriculum_start: the longest sentence in a batch grows linearly from
            ``curriculum_start`` words to ``max_length`` over the first ``curriculum_steps`` steps
            (batches drawn at random among those allowed; 0 = no curriculum).
    """

    hidden: int = 512
    sentence_dim: int = 1024
    cell: str = "residual"
    extra_blocks: int = 0
    dropout: float = 0.0
    batch_size: int = 32
    lr: float = 3e-4
    betas: tuple[float, float] = (0.85, 0.99)
    lr_decay: float = 0.99998
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    max_length: int = 40
    min_count: int = 2
    max_vocab: int = 30000
    whiten: bool = True
    match_drop: float = 1.0
    loss: str = "mse"
    neighbours: int = 32
    epochs: int = 1
    max_steps: int | None = None
    max_minutes: float | None = None
    eval_every: int = 1000
    eval_sentences: int = 500
    max_sentences: int | None = None
    seed: int = 0
    word_dim: int | None = 64
    unit_rows: bool = True
    target_scale: float = 1.0
    decoder_input: str = "previous"
    position_dim: int = 32
    output_tanh: bool = True
    previous_dropout: float = 0.0
    warmup_steps: int = 200
    curriculum_steps: int = 0
    curriculum_start: int = 5

    def __post_init__(self) -> None:
        check_settings(self)

    def model_config(self, vocab_size: int, word_dim: int) -> AutoencoderConfig:
        return AutoencoderConfig(vocab_size=vocab_size, word_dim=word_dim, hidden=self.hidden,
                                 sentence_dim=self.sentence_dim, cell=self.cell, extra_blocks=self.extra_blocks,
                                 dropout=self.dropout, decoder_input=self.decoder_input,
                                 position_dim=self.position_dim, max_positions=2 * self.max_length + 2,
                                 output_tanh=self.output_tanh, previous_dropout=self.previous_dropout)


PRESETS: dict[str, dict[str, Any]] = {
    "cpu": {},   # the defaults above
    # The reference code's wiring and settings (SentEncDec), at whatever width is asked for: the decoder
    # reads the sentence vector only, output Linear(tanh(h)), word vectors standardized per dimension and
    # scaled by 0.05, Adam lr 4.2e-5 decaying per step, no gradient clipping, sentences up to 59 words.
    "paper": {"decoder_input": "sentence", "output_tanh": True, "whiten": False, "unit_rows": False,
              "target_scale": 0.05, "word_dim": None, "grad_clip": 0.0, "lr": 4.2e-5, "betas": (0.85, 0.99),
              "lr_decay": 0.99998, "warmup_steps": 0, "curriculum_steps": 0, "max_length": 59, "batch_size": 32},
}


def preset(name: str, **settings: Any) -> AutoencoderTrainConfig:
    """``AutoencoderTrainConfig`` of a named preset (``cpu``: the defaults; ``paper``: the reference code's
    settings), with ``settings`` on top. Under ``paper`` the sentence vector is as wide as ``hidden``
    unless ``sentence_dim`` is given, as in the paper."""
    if name not in PRESETS:
        raise EmbedlabError(f"unknown autoencoder preset {name!r}; choose one of {', '.join(PRESETS)}")
    chosen = {**PRESETS[name], **settings}
    if name == "paper" and "sentence_dim" not in settings:
        chosen["sentence_dim"] = chosen.get("hidden", AutoencoderTrainConfig.hidden)
    return AutoencoderTrainConfig(**chosen)


class AutoencoderTask:
    """The loop's ``TrainingTask``: batches of similar length, reconstruction loss with match drop."""

    def __init__(self, model: RecurrentAutoencoder, sentences: Sequence[np.ndarray], config: AutoencoderTrainConfig,
                 eos: int) -> None:
        if config.loss not in ("mse", "cosine"):
            raise EmbedlabError(f"loss must be mse or cosine, got {config.loss!r}")
        if not 0.0 <= config.match_drop <= 1.0:
            raise EmbedlabError(f"match_drop is a probability, got {config.match_drop}")
        self.model: nn.Module = model      # the loop's handle (it may wrap it in DDP)
        self.autoencoder = model
        self.sentences = list(sentences)
        self.config = config
        self.eos = eos
        self.lengths = np.array([len(s) for s in self.sentences])
        self.match_drop = MatchDrop(model.table, config.match_drop, config.neighbours) if config.match_drop > 0 else None
        self._clock: tuple[float, float] | None = None   # (time, matchdrop_seconds) at the last log line
        self.tokens_trained = 0                           # target positions of the steps run in this process

    def steps_per_epoch(self, world: int = 1) -> int:
        return -(-len(self.sentences) // (self.config.batch_size * world))

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        c = self.config
        return [adam(model.parameters(), lr=c.lr, betas=c.betas, weight_decay=c.weight_decay)]

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Sort by length (random tie order), cut into batches, shuffle the batches: little padding.

        Under a curriculum, step k draws a random batch among those whose longest sentence is within
        that step's cap (batches cut from the length-sorted order: the allowed ones are a prefix).
        """
        c = self.config
        rng = np.random.default_rng([c.seed, epoch])
        order = np.lexsort((rng.random(len(self.sentences)), self.lengths))
        cuts = np.arange(0, len(order), c.batch_size)
        starts = rng.permutation(cuts)
        longest = self.lengths[order[np.minimum(cuts + c.batch_size, len(order)) - 1]]     # per sorted batch
        first_step = epoch * len(cuts)
        for index, start in enumerate(starts):
            step = first_step + index
            if c.curriculum_steps and step < c.curriculum_steps:
                cap = c.curriculum_start + (c.max_length - c.curriculum_start) * step / c.curriculum_steps
                allowed = max(1, int(np.searchsorted(longest, cap, side="right")))
                start = cuts[rng.integers(allowed)]
            if index % world == rank:
                chunk = [self.sentences[i] for i in order[start:start + c.batch_size]]
                reversed_ids, lengths = reversed_batch(chunk)
                targets, _ = pad([[*ids.tolist(), self.eos] for ids in chunk])   # (B, L+1), 0 = padding
                yield reversed_ids, lengths, targets

    def units(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> int:
        return int((batch[2] != 0).sum())

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        reversed_ids, lengths, targets = batch
        self.tokens_trained += self.units(batch)
        predicted = model(reversed_ids, lengths, targets)                    # (B, L+1, d)
        valid = targets != 0                                                 # (B, L+1)
        pred, target_ids = predicted[valid], targets[valid]                  # (N, d), (N,)
        truth = self.autoencoder.table[target_ids]                                 # (N, d)
        if self.config.loss == "mse":
            per_position = (pred - truth).pow(2).sum(dim=1)
        else:
            per_position = 1.0 - torch.nn.functional.cosine_similarity(pred, truth, dim=1)
        keep = torch.ones_like(target_ids, dtype=torch.bool)
        if self.match_drop is not None:
            keep = self.match_drop.keep(pred, target_ids, per_position)
        # All real positions divide (match_drop.py says why).
        return (per_position * keep).sum() / max(1, target_ids.numel())

    @property
    def nearest(self) -> NearestWords | None:
        return None if self.match_drop is None else self.match_drop.nearest

    @property
    def matchdrop_seconds(self) -> float:
        """Time spent in match drop's nearest-word test, all steps."""
        return 0.0 if self.match_drop is None else self.match_drop.seconds

    @matchdrop_seconds.setter
    def matchdrop_seconds(self, value: float) -> None:
        if self.match_drop is not None:
            self.match_drop.seconds = value

    def log_stats(self) -> dict[str, float]:
        """Since the last log line: the share of positions already decoded right and the share of
        wall-clock time spent on the match-drop test (needs match drop on)."""
        now = time.perf_counter()
        accuracy = self.match_drop.take_accuracy() if self.match_drop is not None else None
        if accuracy is None:
            return {}
        stats = {"word_acc": accuracy}
        if self._clock is not None:
            stats["matchdrop_share"] = (self.matchdrop_seconds - self._clock[1]) / max(now - self._clock[0], 1e-9)
        self._clock = (now, self.matchdrop_seconds)
        return stats


def tokenize_corpus(texts: Iterable[str], tokenizer: WordTokenizer, max_length: int,
                    limit: int | None = None) -> tuple[list[list[str]], dict[str, int]]:
    """Tokenized sentences of 1..max_length words, and counts of what was skipped."""
    kept: list[list[str]] = []
    skipped = {"empty": 0, "too_long": 0}
    for text in texts:
        tokens = tokenizer.tokenize(text)
        if not tokens:
            skipped["empty"] += 1
        elif len(tokens) > max_length:
            skipped["too_long"] += 1
        else:
            kept.append(tokens)
            if limit is not None and len(kept) >= limit:
                break
    return kept, skipped


def train_autoencoder(config: AutoencoderTrainConfig, vectors: Any, corpus: Iterable[str] | str | Path = "en-mix",
                      out_dir: str | Path | None = None, *, valid: Iterable[str] | str | Path | None = None,
                      progress: bool = True, overwrite: bool = False) -> tuple[SentenceAutoencoder, dict[str, Any]]:
    """Train an autoencoder on a corpus over the given word vectors; return the best and a report.

    Args:
        vectors: a ``StaticEmbeddings`` (``embedlab.load_vectors`` reads folders and word2vec files).
        corpus: a registered corpus (its train split), a text file, or lines.
        out_dir: the model folder (best model, ``checkpoint/``, ``metrics.jsonl``, ``report.json``);
            a run killed there resumes when called again with the same arguments; other arguments
            are refused unless ``overwrite`` (``embedlab.train.run_folder``).
        valid: held-out lines for validation; default: a registered corpus's valid split, otherwise
            the last ``eval_sentences`` training sentences (kept out of training).

    Returns:
        the best model (by validation exact-sentence rate, ties broken by word accuracy) and a report.
    """
    torch.manual_seed(config.seed)
    lowercase = bool(getattr(vectors, "lowercase", True))
    tokenizer = WordTokenizer(lowercase=lowercase)
    sentences, skipped = tokenize_corpus(corpus_texts(corpus, "train"), tokenizer, config.max_length, config.max_sentences)
    if valid is None and isinstance(corpus, str) and not Path(corpus).exists():
        valid = held_out_splits(corpus)[0]
    if valid is not None:
        valid_tokens, _ = tokenize_corpus(corpus_texts(valid, "valid"), tokenizer, config.max_length, config.eval_sentences)
    else:
        cut = max(1, min(config.eval_sentences, len(sentences) // 10))
        sentences, valid_tokens = sentences[:-cut], sentences[-cut:]
    if not sentences:
        raise EmbedlabError(f"no training sentences of 1..{config.max_length} words in the corpus")
    vocab, table, table_info = build_table(sentences, vectors, max_vocab=config.max_vocab, min_count=config.min_count,
                                           lowercase=lowercase, whiten=config.whiten, dim=config.word_dim,
                                           unit_rows=config.unit_rows, scale=config.target_scale, seed=config.seed)
    if out_dir is not None:
        data = fingerprint([*(" ".join(t) for t in sentences), "", *(" ".join(t) for t in valid_tokens),
                            np.ascontiguousarray(table).tobytes()], "sentences and word vectors")
        claim_folder(out_dir, RunIdentity("autoencoder", asdict(config), data), overwrite=overwrite)
    check_module_memory(lambda: RecurrentAutoencoder(config.model_config(len(vocab), table.shape[1])),
                        "this autoencoder", "lower --hidden, --sentence-dim or --max-vocab")
    module = RecurrentAutoencoder(config.model_config(len(vocab), table.shape[1]))
    module.table.copy_(torch.from_numpy(table))
    ids = [np.asarray(vocab.encode(tokens), dtype=np.int64) for tokens in sentences]
    valid_ids = [vocab.encode(tokens) for tokens in valid_tokens]
    task = AutoencoderTask(module, ids, config, eos=vocab.stoi[EOS])
    model = SentenceAutoencoder(module, vocab, max_length=config.max_length, lowercase=lowercase)
    rank, world = distributed()
    loop = LoopConfig(epochs=config.epochs, max_steps=config.max_steps, max_minutes=config.max_minutes, grad_clip=config.grad_clip, log_every=50,
                      checkpoint_every=500, eval_every=config.eval_every, eval_mode="max", lr_decay=config.lr_decay,
                      warmup_steps=config.warmup_steps, progress=progress)
    best_path = Path(out_dir) if out_dir is not None else None
    keeper = KeepBest(module, None if best_path is None else lambda: model.save(best_path))

    def evaluate(_: nn.Module) -> tuple[float, dict[str, float]]:
        # The exact-sentence rate, ties broken by word accuracy (worth less than one sentence): early in
        # training every checkpoint has exact 0, and the best model must still be the latest good one.
        scores = evaluate_reconstruction(model, valid_ids)
        return (scores.exact + scores.tight / (10 * max(1, len(valid_ids))),
                {"word_acc": round(scores.tight, 4), "exact": round(scores.exact, 4)})

    started = time.perf_counter()
    result = train(task, loop, out_dir, steps_per_epoch=task.steps_per_epoch(world), evaluate=evaluate, on_best=keeper)
    seconds = time.perf_counter() - started
    if best_path is not None and (best_path / "config.json").is_file():
        best = SentenceAutoencoder.load(best_path)
    else:
        keeper.restore()
        best = model
    report: dict[str, Any] = {
        "valid_exact": evaluate_reconstruction(best, valid_ids).exact, "steps": result.steps, "seconds": seconds, "total_seconds": result.total_seconds,
        "params": module.num_parameters(), "sentences": len(sentences),
        "skipped": skipped, "table": table_info, "matchdrop_seconds": task.matchdrop_seconds,
        "evaluations": result.evaluations, "config": asdict(config), "resumed_from": result.resumed_from,
    }
    report["tokens_per_s"] = task.tokens_trained * world / seconds if seconds > 0 else None
    if task.nearest is not None:
        report["matchdrop_full_rows"] = task.nearest.stats["full_rows"] / max(1, task.nearest.stats["rows"])
    if best_path is not None and rank == 0:
        (best_path / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return best, report
