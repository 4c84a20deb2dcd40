"""``Tagger``: a biRNN part-of-speech tagger (per-token softmax), trained with the generic loop.

Words are looked up lower-cased; their spelling reaches the model through a suffix and a shape
feature (see ``embedlab.supervised.tagger``). During training, words seen once are replaced by
``<unk>`` with probability ``word_dropout`` so the model learns what to do with unknown words.
"""

from __future__ import annotations

from collections import Counter
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
from embedlab.data.vocab import UNK, Vocab
from embedlab.errors import EmbedlabError, ModelFormatError
from embedlab.io.modules import load_module_folder, save_module_folder
from embedlab.supervised.tagger import RNNTagger, TaggerConfig, word_shape
from embedlab.supervised.tagsets import TaggedSentence, brown_to_universal, penn_to_universal
from embedlab.train.best import KeepBest
from embedlab.train.loop import LoopConfig, train
from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint, module_bytes
from embedlab.train.settings_check import check_settings

SUFFIX = 3


@dataclass
class TaggerTrainConfig:
    """How to train a ``Tagger`` (``emb`` None: the pretrained vectors' size, else 100)."""

    cell: str = "lstm"
    emb: int | None = None
    hidden: int = 128
    layers: int = 1
    dropout: float = 0.3
    word_dropout: float = 0.25
    epochs: int = 3
    batch_size: int = 32
    lr: float = 2e-3
    seed: int = 0


    def __post_init__(self) -> None:
        check_settings(self)

def _suffix(word: str) -> str:
    return word.lower()[-SUFFIX:]


class Tagger:
    """A trained tagger: ``tag`` token lists, score ``accuracy`` on tagged sentences, save/load."""

    def __init__(self, module: RNNTagger, vocab: Vocab, suffixes: Sequence[str], tags: Sequence[str]) -> None:
        self.module = module
        self.vocab = vocab
        self.suffixes = list(suffixes)
        self.suffix_id = {s: i for i, s in enumerate(self.suffixes)}
        self.tags = list(tags)

    def features(self, words: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
        """Word ids (lower-cased), suffix ids (1 = unknown suffix), shape ids of one sentence."""
        return (self.vocab.encode([w.lower() for w in words]),
                [self.suffix_id.get(_suffix(w), 1) for w in words],
                [word_shape(w) for w in words])

    @torch.no_grad()
    def tag(self, sentences: Sequence[Sequence[str]], *, batch_size: int = 128) -> list[list[str]]:
        """The tag of every token of every sentence."""
        self.module.eval()
        out: list[list[str]] = []
        for start in range(0, len(sentences), batch_size):
            chunk = sentences[start:start + batch_size]
            feats = [self.features(s) for s in chunk]
            words, lengths = pad([f[0] for f in feats])
            suffixes, _ = pad([f[1] for f in feats])
            shapes, _ = pad([f[2] for f in feats])
            best = self.module(words, suffixes, shapes, lengths).argmax(-1)
            out.extend([self.tags[int(t)] for t in best[i, : len(s)]] for i, s in enumerate(chunk))
        return out

    def accuracy(self, sentences: Sequence[TaggedSentence]) -> float:
        """Share of tokens tagged exactly as given."""
        predicted = self.tag([[w for w, _ in s] for s in sentences])
        pairs = [(p, g) for pred, gold in zip(predicted, sentences, strict=True) for p, (_, g) in zip(pred, gold, strict=True)]
        return float(np.mean([p == g for p, g in pairs])) if pairs else 0.0

    def save(self, folder: str | Path) -> Path:
        config = {"model_type": "rnn_tagger", "tags": self.tags, "suffixes": self.suffixes,
                  "tagger": self.module.config.as_dict()}
        return save_module_folder(folder, self.module, self.vocab, config)


def load_tagger(folder: Path, config: dict[str, Any]) -> Tagger:
    module, vocab = load_module_folder(folder, config, lambda: RNNTagger(TaggerConfig.from_dict(config["tagger"])),
                                       specials=list(SPECIALS), unk=UNK)
    try:
        tags, suffixes = list(config["tags"]), list(config["suffixes"])
    except (KeyError, TypeError) as exc:
        raise ModelFormatError(f"{folder}: config.json lacks the tagger's tags or suffixes ({exc})") from exc
    return Tagger(module, vocab, suffixes, tags)


def train_tagger(train_sents: Sequence[TaggedSentence], valid_sents: Sequence[TaggedSentence],
                 config: TaggerTrainConfig | None = None, *, vectors: Any = None, out_dir: str | Path | None = None,
                 progress: bool = True, overwrite: bool = False) -> tuple[Tagger, dict[str, Any]]:
    """Train on tagged sentences, keep the epoch with the best accuracy on ``valid_sents``.

    Args:
        vectors: StaticEmbeddings to start the word embedding from (their words join the vocabulary).
        out_dir: the model folder (best model, ``checkpoint/`` for resuming, ``metrics.jsonl``); another
            run there is refused unless ``overwrite`` (``embedlab.train.run_folder``).
    """
    config = config or TaggerTrainConfig()
    if not train_sents or not valid_sents:
        raise EmbedlabError("need tagged training and validation sentences")
    torch.manual_seed(config.seed)
    lowered = [[w.lower() for w, _ in s] for s in train_sents]
    vocab = build_vocab(lowered, specials=SPECIALS, min_count=1, lowercase=True,
                        extra_words=[w.lower() for w in vectors.index_to_key] if vectors is not None else ())
    suffix_counts = Counter(_suffix(w) for s in train_sents for w, _ in s)
    suffixes = ["<pad>", "<unk>"] + sorted(s for s, c in suffix_counts.items() if c >= 2)
    tags = sorted({t for s in train_sents for _, t in s})
    emb = config.emb or (vectors.dim if vectors is not None else 100)
    module = RNNTagger(TaggerConfig(vocab_size=len(vocab), suffix_size=len(suffixes), num_tags=len(tags), cell=config.cell,
                                    emb=emb, hidden=config.hidden, layers=config.layers, dropout=config.dropout))
    coverage = copy_pretrained(module.embedding, vocab, vectors) if vectors is not None else 0.0
    tagger = Tagger(module, vocab, suffixes, tags)
    if out_dir is not None:
        data = fingerprint([*(" ".join(f"{w}/{t}" for w, t in s) for s in train_sents), "",
                            *(" ".join(f"{w}/{t}" for w, t in s) for s in valid_sents), *module_bytes(module.embedding)],
                           "tagged sentences, vectors")
        claim_folder(out_dir, RunIdentity("tagger", asdict(config), data), overwrite=overwrite)
    tag_id = {t: i for i, t in enumerate(tags)}
    singletons = np.zeros(len(vocab), dtype=bool)
    singletons[np.flatnonzero(vocab.counts == 1)] = True

    def encode(sentences: Sequence[TaggedSentence]) -> list[tuple[list[int], list[int], list[int], list[int]]]:
        return [(*tagger.features([w for w, _ in s]), [tag_id.get(t, -100) for _, t in s]) for s in sentences]

    def collate(batch: list[tuple[list[int], list[int], list[int], list[int]]], rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        words, lengths = pad([b[0] for b in batch])
        if config.word_dropout > 0:
            drop = torch.from_numpy(singletons)[words] & torch.from_numpy(rng.random(words.shape) < config.word_dropout)
            words = words.masked_fill(drop, 1)  # <unk>
        suffix_ids, _ = pad([b[1] for b in batch])
        shapes, _ = pad([b[2] for b in batch])
        gold = torch.full(words.shape, -100, dtype=torch.long)
        for i, b in enumerate(batch):
            gold[i, : len(b[3])] = torch.tensor(b[3])
        return words, suffix_ids, shapes, lengths, gold

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        words, suffix_ids, shapes, lengths, gold = batch
        logits = model(words, suffix_ids, shapes, lengths)          # (B, T, K)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), gold.reshape(-1), ignore_index=-100)

    examples = encode(train_sents)
    task = ShuffledTask(module, examples, batch_size=config.batch_size, seed=config.seed, lr=config.lr,
                        collate=collate, loss_fn=loss_fn, units_fn=lambda b: int(b[3].sum()))
    keeper = KeepBest(module, None if out_dir is None else lambda: tagger.save(out_dir))
    result = train(task, LoopConfig(epochs=config.epochs, checkpoint_every=0, log_every=50, eval_mode="max",
                                    progress=progress),
                   out_dir, steps_per_epoch=task.steps_per_epoch(), evaluate=lambda _m: tagger.accuracy(valid_sents),
                   on_best=keeper)
    if out_dir is not None and (Path(out_dir) / "config.json").is_file():
        from embedlab.io.folder import read_config

        tagger = load_tagger(Path(out_dir), read_config(out_dir, expect="rnn_tagger"))
    else:
        keeper.restore()
    report = {"valid_accuracy": result.best, "evaluations": result.evaluations, "coverage": coverage,
              "seconds": result.seconds, "train_tokens": sum(len(s) for s in train_sents), "tags": len(tags),
              "config": asdict(config)}
    return tagger, report


def universal_accuracy(tagger: Tagger, penn_sentences: Sequence[TaggedSentence]) -> float:
    """Accuracy of a Brown-tagset tagger on Penn-tagged text, both mapped to the universal tags.

    Penn's possessive token (``'s``/POS) has no Brown counterpart (Brown tags ``Atlanta's`` as one
    word), so those tokens are left out.
    """
    predicted = tagger.tag([[w for w, _ in s] for s in penn_sentences])
    hits = [brown_to_universal(p) == penn_to_universal(g)
            for pred, gold in zip(predicted, penn_sentences, strict=True)
            for p, (_, g) in zip(pred, gold, strict=True) if g != "POS"]
    return float(np.mean(hits)) if hits else 0.0
