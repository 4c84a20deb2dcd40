"""A small masked language model trained on the user's corpus: DiffCSE's generator when no
pretrained masked LM is at hand (``embedlab train mlm``).

A BERT of a few layers (``transformers.BertForMaskedLM`` from a config, no pretrained weights) over
the tokenizer the encoder uses: ``minilm`` (the packaged all-MiniLM-L6-v2 WordPiece vocabulary),
``words`` (the corpus's most frequent words) or any folder with a ``tokenizer.json`` (an embedlab
encoder folder gives exactly its vocabulary). BERT's masking (15%, 80/10/10), the generic loop
(checkpoints, resume, DDP), validation by masked-token accuracy on held-out sentences. The output is a
Hugging Face folder (safetensors, ``tokenizer.json``) that ``--generator DIR`` loads.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from embedlab.blocks.batching import attention_mask, pad, shuffled_batches
from embedlab.contrastive.diffcse import mask_tokens
from embedlab.contrastive.subwords import TokenizerTokens
from embedlab.data.corpus import corpus_texts, held_out_splits
from embedlab.errors import EmbedlabError, require
from embedlab.train.best import KeepBest
from embedlab.train.loop import LoopConfig, distributed, train
from embedlab.train.optim import adam
from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint
from embedlab.train.settings_check import check_settings


@dataclass
class MLMTrainConfig:
    """Size and schedule of the small masked LM (defaults train in minutes on a CPU)."""

    hidden: int = 256
    layers: int = 2
    heads: int = 4
    max_length: int = 32
    max_vocab: int = 30000
    batch_size: int = 64
    lr: float = 5e-4
    mask_ratio: float = 0.15
    epochs: int = 1
    max_steps: int | None = 2000
    eval_every: int = 500
    eval_sentences: int = 1000
    max_sentences: int | None = None
    seed: int = 0


    def __post_init__(self) -> None:
        check_settings(self)

def mlm_tokenizer(spec: str | Path, texts: Iterable[str] = (), max_vocab: int = 30000) -> Any:
    """``minilm``, ``words`` (built from ``texts``) or a folder holding ``tokenizer.json`` (or ``transformer/tokenizer.json``).

    Raises:
        EmbedlabError: no tokenizer found there.
    """
    from embedlab.teachers.backends import load_tokenizer
    from embedlab.teachers.sentence_transformer import resolve_encoder_path

    if str(spec) == "words":
        from embedlab.contrastive.words import build_word_vocab

        tok = build_word_vocab(texts, max_vocab=max_vocab).to_tokenizer()
        tok.no_padding()
        tok.no_truncation()
        return tok
    folder = Path(resolve_encoder_path(spec)) if str(spec) == "minilm" else Path(spec)
    for candidate in (folder / "tokenizer.json", folder / "transformer" / "tokenizer.json"):
        if candidate.is_file():
            return load_tokenizer(candidate)
    raise EmbedlabError(f"{spec}: no tokenizer.json there; give minilm, words, or an encoder/model folder")


class _Body(nn.Module):
    """BertForMaskedLM seen as its body: forward gives the last-layer states; parameters include the head."""

    def __init__(self, mlm: Any) -> None:
        super().__init__()
        self.mlm = mlm

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.mlm.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


class MLMTask:
    """The loop's task: BERT masking of a batch of sentences, the model's own cross-entropy."""

    def __init__(self, mlm: Any, sentences: Sequence[Sequence[int]], tokens: TokenizerTokens,
                 config: MLMTrainConfig) -> None:
        # The loop trains ``model`` (the body, wrapped in DDP under torchrun) and the head alongside:
        # the vocabulary head only runs at the ~15% masked positions, not at every token as
        # BertForMaskedLM's own forward does (with a 30k vocabulary that is most of the step).
        self.mlm = mlm
        self.model: nn.Module = _Body(mlm)
        self.head = mlm.cls
        self.sentences, self.tokens, self.config = sentences, tokens, config

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        return [adam(model.parameters(), lr=self.config.lr, decoupled=True, weight_decay=0.01)]  # body + head (tied)

    def steps_per_epoch(self, world: int = 1) -> int:
        return max(1, len(self.sentences) // self.config.batch_size // world)

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[tuple[int, int, np.ndarray]]:
        return shuffled_batches(len(self.sentences), self.config.batch_size, self.config.seed, epoch, rank, world)

    def units(self, batch: tuple[int, int, np.ndarray]) -> int:
        return len(batch[2])

    def masked(self, rows: Sequence[Sequence[int]], rng: torch.Generator) -> dict[str, torch.Tensor]:
        """Padded, masked inputs and labels (-100 where nothing is predicted)."""
        ids, lengths = pad(rows, self.tokens.space.pad_id)
        attention = attention_mask(lengths, ids.size(1))
        masked, chosen = mask_tokens(ids, attention, self.tokens.space, ratio=self.config.mask_ratio, rng=rng)
        return {"input_ids": masked, "attention_mask": attention, "labels": torch.where(chosen, ids, -100)}

    def loss(self, model: nn.Module, batch: tuple[int, int, np.ndarray]) -> torch.Tensor:
        epoch, i, rows = batch
        rng = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch * 100_003 + i)
        inputs = self.masked([self.sentences[r] for r in rows], rng)
        labels = inputs.pop("labels")
        picked = labels != -100
        states = model(**inputs)                                 # (B, L, h): the BERT body only
        logits = self.head(states[picked])                        # (n, V): the vocabulary head at masked positions
        return nn.functional.cross_entropy(logits, labels[picked])


def masked_accuracy(model: nn.Module, task: MLMTask, sentences: Sequence[Sequence[int]], batch_size: int = 128) -> float:
    """Share of masked tokens the masked LM restores exactly (fixed masks, so scores compare across steps)."""
    rng = torch.Generator().manual_seed(12345)
    right = total = 0
    with torch.no_grad():
        for start in range(0, len(sentences), batch_size):
            inputs = task.masked(sentences[start:start + batch_size], rng)
            labels = inputs.pop("labels")
            keep = labels != -100
            logits = task.head(model(**inputs)[keep])             # (n, V)
            right += int((logits.argmax(-1) == labels[keep]).sum())
            total += int(keep.sum())
    return right / max(1, total)


def train_mlm(config: MLMTrainConfig, tokenizer: str | Path = "minilm", corpus: Iterable[str] | str | Path = "en-mix",
              out_dir: str | Path | None = None, *, progress: bool = True, overwrite: bool = False) -> tuple[Any, dict[str, Any]]:
    """Train the small masked LM; return (the best ``BertForMaskedLM``, a report).

    ``out_dir`` gets the Hugging Face folder (config.json, model.safetensors, tokenizer.json) of the best
    model by held-out masked accuracy, plus ``checkpoint/``, ``metrics.jsonl`` and ``report.json``; another
    run there is refused unless ``overwrite`` (``embedlab.train.run_folder``).
    """
    transformers = require("transformers", "teacher")
    torch.manual_seed(config.seed)
    texts = list(itertools.islice((t for t in corpus_texts(corpus, "train") if t.strip()), config.max_sentences))
    tok = mlm_tokenizer(tokenizer, texts, config.max_vocab)
    tokens = TokenizerTokens(tok)
    valid_source = held_out_splits(corpus)[0] if isinstance(corpus, str) else None
    if valid_source is not None:
        valid_texts = [t for t in corpus_texts(valid_source, "valid") if t.strip()][: config.eval_sentences]
    else:
        cut = max(1, min(config.eval_sentences, len(texts) // 10))
        texts, valid_texts = texts[:-cut], texts[-cut:]
    sentences = [s for s in tokens.tokenize(texts, config.max_length) if s]
    valid = [s for s in tokens.tokenize(valid_texts, config.max_length) if s]
    if len(sentences) < config.batch_size:
        raise EmbedlabError(f"{len(sentences)} training sentences: fewer than one batch of {config.batch_size}")
    if out_dir is not None:
        data = fingerprint([*texts, "", *valid_texts, str(tokenizer)], "texts")
        claim_folder(out_dir, RunIdentity("mlm", asdict(config), data), overwrite=overwrite)
    bert = transformers.BertConfig(vocab_size=len(tokens.space), hidden_size=config.hidden,
                                   num_hidden_layers=config.layers, num_attention_heads=config.heads,
                                   intermediate_size=4 * config.hidden, max_position_embeddings=max(config.max_length, 8),
                                   pad_token_id=tokens.space.pad_id, type_vocab_size=1)
    model = transformers.BertForMaskedLM(bert)
    task = MLMTask(model, sentences, tokens, config)
    out = Path(out_dir) if out_dir is not None else None

    def save() -> None:
        assert out is not None
        model.save_pretrained(out)
        tok.save(str(out / "tokenizer.json"))

    keeper = KeepBest(task.model, save if out is not None else None)
    _, world = distributed()
    loop = LoopConfig(epochs=config.epochs, max_steps=config.max_steps, eval_every=config.eval_every, eval_mode="max",
                      log_every=50, checkpoint_every=500, progress=progress)
    started = time.perf_counter()
    result = train(task, loop, out, steps_per_epoch=task.steps_per_epoch(world),
                   evaluate=lambda m: masked_accuracy(m, task, valid), on_best=keeper)
    if out is not None and (out / "config.json").is_file():
        model = transformers.BertForMaskedLM.from_pretrained(out)
    else:
        keeper.restore()
    report = {"steps": result.steps, "seconds": time.perf_counter() - started, "valid_masked_accuracy": result.best,
              "sentences": len(sentences), "vocab_size": len(tokens.space), "tokenizer": str(tokenizer),
              "evaluations": result.evaluations, "config": asdict(config)}
    if out is not None and distributed()[0] == 0:
        (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return model.eval(), report
