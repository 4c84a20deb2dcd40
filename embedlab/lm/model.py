"""``LanguageModel``: a trained RNN LM with its tokenizer; perplexity, generation, embeddings, save/load.

Saved as an embedlab folder: ``config.json`` (model_type ``rnn_lm``, sizes, level), ``model.safetensors``
(a tied matrix stored once, re-tied on load) and ``tokenizer.json`` (+ vocabulary counts in the weights).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from embedlab.data.vocab import UNK
from embedlab.errors import EmbedlabError, ModelFormatError
from embedlab.io.modules import load_module_folder, save_module_folder
from embedlab.lm.batching import perplexity
from embedlab.lm.generation import sample
from embedlab.lm.network import LMConfig, RNNLanguageModel
from embedlab.lm.tokens import EOS, LMTokenizer
from embedlab.static.embeddings import StaticEmbeddings

Which = Literal["input", "output", "tied"]


class LanguageModel:
    """A recurrent LM you can query.

    Args:
        module: the network.
        tokenizer: word- or character-level ids.

    Example:
        >>> lm = embedlab.load("runs/lm")                                  # doctest: +SKIP
        >>> lm.perplexity(["the cat sat on the mat ."]), lm.generate("the", max_tokens=5, seed=0)  # doctest: +SKIP
    """

    def __init__(self, module: RNNLanguageModel, tokenizer: LMTokenizer) -> None:
        if module.config.vocab_size != len(tokenizer):
            raise ModelFormatError(f"the model has {module.config.vocab_size} output tokens but the tokenizer "
                                   f"{len(tokenizer)}")
        self.module = module
        self.tokenizer = tokenizer

    @property
    def config(self) -> LMConfig:
        return self.module.config

    def perplexity(self, texts: Iterable[str], *, batch_size: int = 10, bptt: int = 35) -> float:
        """Perplexity of ``texts`` (lines, each ended by ``<eos>``), ``<eos>`` predictions included."""
        stream = self.tokenizer.encode_stream(texts)
        return perplexity(self.module, stream, batch_size=batch_size, bptt=bptt)

    def generate(self, prompt: str = "", *, max_tokens: int = 50, temperature: float = 1.0, top_k: int = 0,
                 top_p: float = 1.0, seed: int | None = None, stop_at_eos: bool = False) -> str:
        """Sample a continuation of ``prompt`` (empty: start as after a line break). ``<unk>`` is never sampled."""
        return self.tokenizer.decode(self.generate_ids(prompt, max_tokens=max_tokens, temperature=temperature,
                                                       top_k=top_k, top_p=top_p, seed=seed, stop_at_eos=stop_at_eos))

    def generate_ids(self, prompt: str = "", *, max_tokens: int = 50, temperature: float = 1.0, top_k: int = 0,
                     top_p: float = 1.0, seed: int | None = None, stop_at_eos: bool = False) -> list[int]:
        """``generate``, as the sampled token ids (``tokenizer.decode`` makes them text)."""
        ids = [self.tokenizer.eos_id] + self.tokenizer.encode(prompt, eos=False)
        unk = self.tokenizer.vocab.unk_id
        return sample(self.module, ids, max_tokens=max_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
                      seed=seed, banned=() if unk is None else (unk,),
                      stop_id=self.tokenizer.eos_id if stop_at_eos else None)

    def embeddings(self, which: Which = "input") -> StaticEmbeddings:
        """The input, output (softmax) or tied embedding as word vectors (specials left out).

        Raises:
            EmbedlabError: ``tied`` of an untied model, ``input``/``output`` naming differently sized
                tables, or a character-level model (its rows are characters, not words).
        """
        if self.tokenizer.level != "word":
            raise EmbedlabError("only a word-level model's embeddings are word vectors")
        if which == "tied" and not self.config.tied:
            raise EmbedlabError("this model is untied: export 'input' or 'output'")
        table = self.module.output_embedding if which == "output" else self.module.input_embedding
        vocab = self.tokenizer.vocab
        keep = [i for i, w in enumerate(vocab.itos) if w not in (UNK, EOS)]
        vectors = table.detach().cpu().numpy()[keep]
        return StaticEmbeddings([vocab.itos[i] for i in keep], vectors, vocab.counts[keep],
                                lowercase=vocab.lowercase, source=f"rnn_lm {which} embedding")

    def save(self, folder: str | Path) -> Path:
        config = {"model_type": "rnn_lm", "level": self.tokenizer.level, "lowercase": self.tokenizer.vocab.lowercase,
                  "lm": self.config.as_dict()}
        return save_module_folder(folder, self.module, self.tokenizer.vocab, config)

    @classmethod
    def load(cls, folder: str | Path) -> LanguageModel:
        from embedlab.io.folder import read_config

        """A language-model folder (``embedlab.load`` opens any model)."""
        return load_language_model(Path(folder), read_config(folder, expect="rnn_lm"))


def load_language_model(folder: Path, config: dict[str, Any]) -> LanguageModel:
    """The language model of an embedlab ``rnn_lm`` folder (``embedlab.load`` calls this)."""
    module, vocab = load_module_folder(folder, config, lambda: RNNLanguageModel(LMConfig.from_dict(config["lm"])),
                                       specials=[UNK, EOS], unk=UNK, lowercase=bool(config.get("lowercase", True)))
    level = config.get("level", "word")
    if level not in ("word", "char"):
        raise ModelFormatError(f"{folder}: unknown level {level!r} in config.json")
    return LanguageModel(module, LMTokenizer(vocab, level))
