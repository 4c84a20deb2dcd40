"""SimCSE and DiffCSE training on the generic loop (``embedlab.train.loop``); the methods themselves are
``simcse.py`` and ``diffcse.py``.

One ``ContrastiveModel`` holds what trains: the encoder, the training-only head and, for DiffCSE, the
discriminator; its ``forward`` returns the loss, so DistributedDataParallel wraps the whole thing
under ``torchrun``. Per batch:

- unsupervised SimCSE: the batch goes through the encoder twice in one pass (2B rows; dropout makes
  the views differ), ``info_nce`` over the head's outputs;
- supervised SimCSE: (anchor, positive, hard negative) triplets, ``info_nce`` with the negatives;
- DiffCSE: SimCSE plus ``lambda * rtd``: the batch is masked (``masking``), the frozen generator fills
  the masked positions, and the discriminator, given the sentence vector of the original sentence
  (before the head), finds the replaced tokens.

Batches hold sentence indices and are rebuilt (masking, generator) inside ``loss`` with a seeded
generator, so a resumed run skips batches without running the generator for them. Validation is
STS12 Spearman (the dev set); the best encoder is what the output folder keeps. Under ``torchrun``
the positives (and hard negatives) of every rank are gathered, so each sentence's negatives are the
other sentences of all ranks' batches, as in SimCSE's multi-GPU training: N ranks of batch B train
like one batch of N x B.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import nn

from embedlab.blocks.batching import shuffled_batches
from embedlab.contrastive.diffcse import ConditionalDiscriminator, edit_sentences, replaced_token_detection
from embedlab.contrastive.encoder import TrainableEncoder
from embedlab.contrastive.generators import Generator, load_generator
from embedlab.contrastive.heads import make_head
from embedlab.contrastive.simcse import simcse_loss, views
from embedlab.data.corpus import corpus_texts
from embedlab.errors import DataError, EmbedlabError
from embedlab.train.best import KeepBest
from embedlab.train.loop import LoopConfig, distributed, train
from embedlab.train.optim import adam
from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint, module_bytes
from embedlab.train.settings_check import check_settings

logger = logging.getLogger(__name__)

Method = Literal["simcse", "diffcse"]
LOG_EVERY = 25  # steps per logged line; DiffCSE's h probe runs once per such window


@dataclass
class ContrastiveTrainConfig:
    """How to train (defaults: the papers' where they fit a CPU).

    Attributes:
        method: ``simcse`` or ``diffcse``.
        temperature: of the contrastive softmax (0.05).
        head: training-only head ``none``/``mlp``/``bn``; ``auto`` = SimCSE's mlp for both methods
            (DiffCSE's paper uses ``bn``; on the RNN encoder it scored lower, see the benchmark).
        lambda_rtd: weight of the replaced-token-detection loss (DiffCSE; 0.005).
        mask_ratio: share of tokens masked for the edited sentence (DiffCSE; 0.3).
        generator: ``unigram``, ``random``, a masked-LM folder/hub name or an embedlab LM folder.
        disc_hidden, disc_layers, disc_heads: the discriminator's size; disc_lr its learning rate.
        lr: the encoder's (and head's) learning rate; ``None`` = 3e-5 transformer, 1e-3 rnn, 1e-4 bag.
        max_length: tokens per training sentence (specials included; 32 as in the papers).
        eval_every: validate on ``eval_set`` (STS12, the dev set) every N steps; 0 = at the end only.
        max_sentences: use at most this many training sentences.
    """

    method: Method = "simcse"
    temperature: float = 0.05
    head: str = "auto"
    lambda_rtd: float = 0.005
    mask_ratio: float = 0.3
    generator: str = "unigram"
    disc_hidden: int = 256
    disc_layers: int = 2
    disc_heads: int = 4
    disc_lr: float = 5e-4
    batch_size: int = 64
    lr: float | None = None
    max_length: int = 32
    epochs: int = 1
    max_steps: int | None = None
    eval_every: int = 125
    eval_set: str = "sts12"
    max_sentences: int | None = None
    grad_clip: float = 0.0
    checkpoint_every: int = 500
    seed: int = 0

    def __post_init__(self) -> None:
        check_settings(self, {"lambda_rtd": "--lambda"})

    def head_kind(self) -> str:
        return "mlp" if self.head == "auto" else self.head

    def encoder_lr(self, encoder: TrainableEncoder) -> float:
        if self.lr is not None:
            return self.lr
        return {"transformer": 3e-5, "bag": 1e-4}.get(encoder.kind, 1e-3)

    def check(self) -> None:
        if self.method not in ("simcse", "diffcse"):
            raise EmbedlabError(f"method must be simcse or diffcse, got {self.method!r}")
        if self.batch_size < 2:
            raise EmbedlabError("contrastive training needs batch_size >= 2 (the other sentences are the negatives)")
        if not 0.0 < self.mask_ratio < 1.0:
            raise EmbedlabError(f"mask_ratio must be in (0, 1), got {self.mask_ratio}")
        if self.temperature <= 0:
            raise EmbedlabError(f"temperature must be > 0, got {self.temperature}")


class ContrastiveModel(nn.Module):
    """Encoder + training-only head (+ DiffCSE's discriminator); ``forward`` returns the loss."""

    def __init__(self, encoder: TrainableEncoder, config: ContrastiveTrainConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = make_head(config.head_kind(), encoder.dim)
        self.discriminator = None
        if config.method == "diffcse":
            self.discriminator = ConditionalDiscriminator(len(encoder.tokens), encoder.dim, hidden=config.disc_hidden,
                                                          layers=config.disc_layers, heads=config.disc_heads,
                                                          max_length=max(config.max_length, 8))
        self.temperature, self.lambda_rtd = config.temperature, config.lambda_rtd
        self.stats: dict[str, float] = {}
        self.candidates = 0  # of the last step

    def forward(self, ids: torch.Tensor, attention: torch.Tensor, *, pairs: int = 0, triplets: int = 0,
                edited: torch.Tensor | None = None, scored: torch.Tensor | None = None,
                probe_condition: bool = False) -> torch.Tensor:
        """Unsupervised: ids/attention (B, L) are the sentences (encoded twice). Supervised: they hold
        ``pairs`` anchors then positives (then hard negatives when ``triplets``), (2B or 3B, L).
        DiffCSE: ``edited`` (B, L) ids of the edited sentences, ``scored`` (B, L) positions to judge;
        ``probe_condition`` also scores the batch with the sentence vectors shuffled (no gradient):
        the stat ``rtd_h_gain`` (that loss minus the true one) says how much the discriminator uses h."""
        h, b = views(self.encoder, ids, attention, pairs=pairs, triplets=triplets)     # (2B or 3B, d)
        loss, self.candidates = simcse_loss(self.head(h), b, temperature=self.temperature, triplets=bool(triplets))
        self.stats = {"cl": float(loss.detach())}
        if self.discriminator is not None and edited is not None and scored is not None:
            rtd, stats = replaced_token_detection(self.discriminator, ids[:b], edited, attention[:b], scored, h[:b],
                                                  probe_condition=probe_condition)
            loss = loss + self.lambda_rtd * rtd
            self.stats.update(stats)
        return loss


class ContrastiveTask:
    """The loop's ``TrainingTask`` for SimCSE/DiffCSE over pre-tokenized sentences (or triplets)."""

    def __init__(self, encoder: TrainableEncoder, examples: Sequence[Sequence[Sequence[int]]],
                 config: ContrastiveTrainConfig, generator: Generator | None = None) -> None:
        self.contrastive = ContrastiveModel(encoder, config)
        self.model: nn.Module = self.contrastive  # the loop's handle (it may wrap it in DDP)
        self.examples = examples  # each: (sentence,) or (anchor, positive[, negative]) id lists
        self.config = config
        self.generator = generator
        self.width = len(examples[0]) if examples else 1
        self._stats: list[dict[str, float]] = []
        self.last_logged: dict[str, float] = {}  # the latest averaged stats (the report's discriminator figures)

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        inner = cast(ContrastiveModel, getattr(model, "module", model))
        groups: list[dict[str, Any]] = [
            {"params": [*inner.encoder.parameters(), *inner.head.parameters()],
             "lr": self.config.encoder_lr(inner.encoder)}]
        if inner.discriminator is not None:
            groups.append({"params": list(inner.discriminator.parameters()), "lr": self.config.disc_lr})
        return [adam(groups, lr=groups[0]["lr"], decoupled=True)]

    def steps_per_epoch(self, world: int = 1) -> int:
        per_rank = len(self.examples) // self.config.batch_size
        return max(1, per_rank // world)

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[tuple[int, int, np.ndarray]]:
        return shuffled_batches(len(self.examples), self.config.batch_size, self.config.seed, epoch, rank, world)

    def units(self, batch: tuple[int, int, np.ndarray]) -> int:
        return len(batch[2])

    def loss(self, model: nn.Module, batch: tuple[int, int, np.ndarray]) -> torch.Tensor:
        epoch, i, rows = batch
        inner = cast(ContrastiveModel, getattr(model, "module", model))
        encoder = inner.encoder
        columns = [[self.examples[r][c] for r in rows] for c in range(self.width)]
        ids, attention = encoder.batch([seq for column in columns for seq in column])
        extra: dict[str, Any] = {"pairs": len(rows)} if self.width == 2 else {"triplets": len(rows)} if self.width == 3 else {}
        if self.generator is not None:
            rng = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch * 100_003 + i)
            first, first_att = ids[: len(rows)], attention[: len(rows)]
            extra["edited"], extra["scored"] = edit_sentences(first, first_att, encoder.tokens, self.generator,
                                                              ratio=self.config.mask_ratio, rng=rng)
            extra["probe_condition"] = i % LOG_EVERY == 0
        loss = model(ids, attention, **extra)
        self._stats.append(inner.stats)
        return loss

    def log_stats(self) -> dict[str, float]:
        if not self._stats:
            return {}
        keys = dict.fromkeys(k for s in self._stats for k in s if k != "cl")  # rtd_h_gain: probed batches only
        out = {k: float(np.mean([s[k] for s in self._stats if k in s])) for k in keys}
        self._stats = []
        self.last_logged = out
        return out


def read_triplets(path: str | Path) -> list[tuple[str, ...]]:
    """A supervised SimCSE file: one example per line, tab-separated ``anchor, positive[, hard negative]``.

    Raises:
        DataError: unreadable file, a line with another number of fields, or mixed 2- and 3-field lines.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the triplet file ({exc})") from exc
    rows: list[tuple[str, ...]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = tuple(f.strip() for f in line.split("\t"))
        if len(fields) not in (2, 3) or not all(fields):
            raise DataError(f"{path}:{n}: expected 'anchor<TAB>positive[<TAB>hard negative]', got {len(fields)} field(s)")
        if rows and len(fields) != len(rows[0]):
            raise DataError(f"{path}:{n}: {len(fields)} fields, but the first line has {len(rows[0])}; use one layout")
        rows.append(fields)
    if len(rows) < 2:
        raise DataError(f"{path}: needs at least 2 examples (the other examples are the negatives)")
    return rows


def token_counts(id_lists: Iterable[Sequence[int]], vocab_size: int) -> np.ndarray:
    """How often each id occurs: the unigram generator's distribution."""
    counts = np.zeros(vocab_size, dtype=np.int64)
    for ids in id_lists:
        np.add.at(counts, np.asarray(ids, dtype=np.int64), 1)
    return counts


def train_contrastive(encoder: TrainableEncoder, config: ContrastiveTrainConfig,
                      corpus: Iterable[str] | str | Path = "en-mix", out_dir: str | Path | None = None, *,
                      triplets: str | Path | None = None, progress: bool = True,
                      overwrite: bool = False) -> tuple[TrainableEncoder, dict[str, Any]]:
    """Train ``encoder`` with SimCSE or DiffCSE; return the best encoder (by dev STS) and a report.

    Args:
        encoder: any ``TrainableEncoder`` (trained in place; the best state is restored at the end).
        corpus: a registered corpus (its train split), a text file, or lines (unsupervised).
        out_dir: the output folder: the best encoder (embedlab folder), ``sentence-transformers/``,
            ``checkpoint/``, ``metrics.jsonl`` and ``report.json``. A killed run resumes there; another
            run is refused unless ``overwrite`` (``embedlab.train.run_folder``).
        triplets: a supervised SimCSE file (see ``read_triplets``); ``corpus`` is then not read.

    Raises:
        EmbedlabError: bad settings, too little data, or a generator that cannot be used.
    """
    from embedlab.evaluation.sts import evaluate_sts_sets

    config.check()
    torch.manual_seed(config.seed)
    if triplets is not None:
        rows = read_triplets(triplets)[: config.max_sentences]
        examples: list[tuple[list[int], ...]] = [tuple(encoder.tokenize(list(r), config.max_length)) for r in rows]
    else:
        texts = list(itertools.islice((t for t in corpus_texts(corpus, "train") if t.strip()), config.max_sentences))
        examples = [(ids,) for ids in encoder.tokenize(texts, config.max_length) if ids]
    if len(examples) < config.batch_size:
        raise EmbedlabError(f"{len(examples)} training examples: fewer than one batch of {config.batch_size}")
    if out_dir is not None:
        data = fingerprint([*(b"".join(np.asarray(ids, dtype=np.int64).tobytes() for ids in e) for e in examples),
                            *module_bytes(encoder)], "examples and start weights")
        claim_folder(out_dir, RunIdentity(config.method, {**asdict(config), "encoder": type(encoder).__name__}, data),
                     overwrite=overwrite)
    generator = None
    if config.method == "diffcse":
        counts = token_counts((e[0] for e in examples), len(encoder.tokens))
        generator = load_generator(config.generator, encoder.tokens, counts)
    task = ContrastiveTask(encoder, examples, config, generator)
    rank, world = distributed()
    loop = LoopConfig(epochs=config.epochs, max_steps=config.max_steps, grad_clip=config.grad_clip, log_every=LOG_EVERY,
                      checkpoint_every=config.checkpoint_every, eval_every=config.eval_every, eval_mode="max",
                      progress=progress)
    out = Path(out_dir) if out_dir is not None else None
    keeper = KeepBest(encoder, None if out is None else lambda: encoder.save(out))

    def evaluate(_: nn.Module) -> float:
        return evaluate_sts_sets(encoder, [config.eval_set])[0].spearman

    started = time.perf_counter()
    result = train(task, loop, out, steps_per_epoch=task.steps_per_epoch(world), evaluate=evaluate, on_best=keeper)
    seconds = time.perf_counter() - started
    if out is not None and (out / "config.json").is_file():
        from embedlab.contrastive.encoders import load_sentence_encoder

        best: TrainableEncoder = load_sentence_encoder(out)
    else:
        keeper.restore()
        best = encoder.eval()
    report: dict[str, Any] = {
        "method": config.method, "encoder": encoder.kind, "generator": generator.name if generator else None,
        "examples": len(examples), "supervised": triplets is not None, "steps": result.steps, "seconds": seconds,
        "total_seconds": result.total_seconds, "best_dev": result.best, "evaluations": result.evaluations,
        "steps_per_s": (result.steps - result.resumed_from) / seconds if seconds > 0 else None,
        "config": asdict(config), "encoder_settings": encoder.settings(),
        "discriminator": {k: v for k, v in task.last_logged.items() if k.startswith(("rtd", "replaced"))} or None,
        "negatives_per_sentence": max(task.contrastive.candidates - 1, 0),  # all ranks' (last step)
    }
    if out is not None and rank == 0:
        from embedlab.contrastive.export import export_sentence_transformers, needs_embedlab_module

        try:
            export_sentence_transformers(best, out / "sentence-transformers")
            report["sentence_transformers"] = "sentence-transformers"
            report["sentence_transformers_trust_remote_code"] = needs_embedlab_module(best)
        except EmbedlabError as exc:
            logger.warning("no sentence-transformers copy: %s", exc)
            report["sentence_transformers"] = None
        (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return best, report
