"""DiffCSE's generators: fill the masked positions of a sentence to make the edited sentence x''.

Every generator is frozen and answers ``fill(masked, attention, chosen, original, rng) -> edited``
in the ENCODER's ids: positions not chosen keep the original token. Kinds:

- ``MaskedLMGenerator``: a Hugging Face masked LM (a folder, a hub name with network, or the small
  one ``embedlab train mlm`` trains on a corpus): the argmax at each chosen position, as in the paper.
- ``LMGenerator``: an embedlab RNN language model (``embedlab train lm``): the argmax of the next token
  given the words to the left (the paper's LM-generator ablation).
- ``RandomGenerator``: a random ordinary token, uniform (``random``) or by corpus frequency
  (``unigram``); the paper's "random replacement" ablation.

A generator with another vocabulary is bridged to the encoder's by token string; its predictions
are restricted to tokens the encoder has (``coverage`` says how many of the encoder's tokens it can write).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from embedlab.contrastive.encoder import TokenSpace
from embedlab.contrastive.subwords import TokenizerTokens
from embedlab.errors import EmbedlabError, require

logger = logging.getLogger(__name__)

GENERATOR_KINDS = ("unigram", "random", "a masked-LM folder or hub name", "an embedlab language-model folder")


class Generator(Protocol):
    name: str

    def fill(self, masked: torch.Tensor, attention: torch.Tensor, chosen: torch.Tensor, original: torch.Tensor,
             rng: torch.Generator | None = None) -> torch.Tensor:
        """(B, L) masked input, attention, chosen positions and the original ids -> (B, L) edited ids."""
        ...


class RandomGenerator:
    """Chosen positions get an ordinary token drawn uniformly, or in proportion to ``counts`` (unigram)."""

    def __init__(self, tokens: TokenSpace, counts: np.ndarray | None = None) -> None:
        ordinary = tokens.ordinary_ids()
        self.name = "random" if counts is None else "unigram"
        weights = torch.ones(len(ordinary)) if counts is None else torch.as_tensor(counts, dtype=torch.float)[ordinary]
        if float(weights.sum()) <= 0:
            raise EmbedlabError("unigram replacement needs token counts from a non-empty corpus")
        self.ordinary, self.weights = ordinary, weights / weights.sum()

    def fill(self, masked: torch.Tensor, attention: torch.Tensor, chosen: torch.Tensor, original: torch.Tensor,
             rng: torch.Generator | None = None) -> torch.Tensor:
        n = int(chosen.sum())
        edited = original.clone()
        if n:
            picks = torch.multinomial(self.weights, n, replacement=True, generator=rng)
            edited[chosen] = self.ordinary[picks].to(original.device)
        return edited


class _Bridge:
    """Id maps between the encoder's tokens and a generator's, by token string."""

    def __init__(self, tokens: TokenSpace, generator_strings: list[str], *, mask: int, pad: int, unk: int) -> None:
        index = {s: i for i, s in enumerate(generator_strings) if s}
        to_gen = np.array([index.get(s, unk) for s in tokens.strings], dtype=np.int64)
        to_gen[tokens.mask_id], to_gen[tokens.pad_id], to_gen[tokens.unk_id] = mask, pad, unk
        to_enc = np.full(len(generator_strings), -1, dtype=np.int64)
        for i, s in enumerate(tokens.strings):
            j = index.get(s)
            if j is not None and i not in tokens.special_ids and i != tokens.unk_id:
                to_enc[j] = i
        self.to_gen, self.to_enc = torch.from_numpy(to_gen), torch.from_numpy(to_enc)
        # Added to the generator's logits: only tokens the encoder can hold may win.
        self.allowed = torch.where(self.to_enc >= 0, 0.0, float("-inf"))
        ordinary = len(tokens) - len(tokens.special_ids | {tokens.unk_id})
        self.coverage = float((self.to_enc >= 0).sum()) / max(1, ordinary)
        if self.coverage == 0:
            raise EmbedlabError("the generator shares no token with the encoder; train one with its vocabulary "
                                "(embedlab train mlm --tokenizer ENCODER)")

    def write(self, logits: torch.Tensor, chosen: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
        """logits (n, Vg) for the n chosen positions -> the edited (B, L) encoder ids."""
        best = (logits.float() + self.allowed.to(logits.device)).argmax(-1)
        edited = original.clone()
        edited[chosen] = self.to_enc.to(original.device)[best]
        return edited


class MaskedLMGenerator:
    """A frozen Hugging Face masked LM (``AutoModelForMaskedLM``) with its ``tokenizer.json``.

    Raises:
        EmbedlabError: the model cannot be loaded, or it shares no token with the encoder.
    """

    def __init__(self, name_or_path: str | Path, tokens: TokenSpace) -> None:
        transformers = require("transformers", "teacher")
        from embedlab.teachers.backends import load_tokenizer

        path = Path(name_or_path)
        if path.exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            self.model = transformers.AutoModelForMaskedLM.from_pretrained(str(name_or_path)).eval()
            if (path / "tokenizer.json").is_file():
                tokenizer = load_tokenizer(path / "tokenizer.json")
            else:
                tokenizer = transformers.AutoTokenizer.from_pretrained(str(name_or_path), use_fast=True).backend_tokenizer
        except (OSError, ValueError) as exc:
            raise EmbedlabError(f"cannot load the masked LM {name_or_path!r}: {exc}") from exc
        self.model.requires_grad_(False)
        self.name = f"mlm:{path.name or name_or_path}"
        own = TokenizerTokens(tokenizer, int(self.model.config.vocab_size)).space
        self.bridge = _Bridge(tokens, list(own.strings), mask=own.mask_id, pad=own.pad_id, unk=own.unk_id)
        logger.info("generator %s covers %.1f%% of the encoder's tokens", self.name, 100 * self.bridge.coverage)

    @torch.no_grad()
    def fill(self, masked: torch.Tensor, attention: torch.Tensor, chosen: torch.Tensor, original: torch.Tensor,
             rng: torch.Generator | None = None) -> torch.Tensor:
        ids = self.bridge.to_gen.to(masked.device)[masked]
        body, head = getattr(self.model, "bert", None), getattr(self.model, "cls", None)
        if body is not None and head is not None:  # BERT-like: the vocabulary head at the chosen positions only
            states = body(input_ids=ids, attention_mask=attention).last_hidden_state   # (B, L, h)
            logits = head(states[chosen])                                              # (n, Vg)
        else:
            logits = self.model(input_ids=ids, attention_mask=attention).logits[chosen]
        return self.bridge.write(logits, chosen, original)


class LMGenerator:
    """A frozen embedlab RNN language model: each chosen token becomes the LM's best next word.

    The LM reads the masked sentence left to right from ``<eos>`` (its sentence start); masked
    positions read as ``<unk>``.
    """

    def __init__(self, lm: Any, tokens: TokenSpace, name: str = "lm") -> None:
        vocab = lm.tokenizer.vocab
        self.module = lm.module.eval()
        self.module.requires_grad_(False)
        self.eos = lm.tokenizer.eos_id
        self.name = name
        unk = vocab.unk_id
        self.bridge = _Bridge(tokens, list(vocab.itos), mask=unk, pad=self.eos, unk=unk)
        logger.info("generator %s covers %.1f%% of the encoder's tokens", self.name, 100 * self.bridge.coverage)

    @torch.no_grad()
    def fill(self, masked: torch.Tensor, attention: torch.Tensor, chosen: torch.Tensor, original: torch.Tensor,
             rng: torch.Generator | None = None) -> torch.Tensor:
        ids = self.bridge.to_gen.to(masked.device)[masked]                     # (B, L)
        start = torch.full((ids.size(0), 1), self.eos, dtype=ids.dtype, device=ids.device)
        logits, _ = self.module(torch.cat([start, ids[:, :-1]], dim=1))         # (B, L, V): position t from < t
        return self.bridge.write(logits[chosen], chosen, original)


def load_generator(spec: str, tokens: TokenSpace, counts: np.ndarray | None = None) -> Generator:
    """``unigram`` (needs ``counts``), ``random``, a masked-LM folder or hub name, or an embedlab LM folder.

    Raises:
        EmbedlabError: an unknown spec, or a model that cannot be loaded or bridged.
    """
    if spec == "random":
        return RandomGenerator(tokens)
    if spec == "unigram":
        if counts is None:
            raise EmbedlabError("the unigram generator needs token counts")
        return RandomGenerator(tokens, counts)
    path = Path(spec)
    if path.is_dir() and (path / "config.json").is_file():
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") == "rnn_lm":
            from embedlab.loading import load

            return LMGenerator(load(path), tokens, name=f"lm:{path.name}")
        return MaskedLMGenerator(path, tokens)
    if path.exists():
        raise EmbedlabError(f"{spec}: not a model folder (expected config.json); generators: {', '.join(GENERATOR_KINDS)}")
    if "/" not in spec:
        raise EmbedlabError(f"unknown generator {spec!r}; choose one of: {', '.join(GENERATOR_KINDS)}")
    return MaskedLMGenerator(spec, tokens)  # a hub name: needs network the first time
