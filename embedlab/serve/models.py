"""A served model: what it can do (embed, similar words, decode, generate), how it counts tokens, and
the one thread it runs on."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedlab.errors import EmbedlabError
from embedlab.serve.batching import Encoded

_WORDS = re.compile(r"\w+|[^\w\s]")


def token_counter(model: Any) -> tuple[Callable[[Sequence[str]], list[int]], int | None, bool]:
    """(texts -> tokens each, the most tokens the model reads or None, whether counting may run beside
    the model on another thread): the tokens each model reads, as its own tokenizer cuts them (special
    tokens included, before truncation), for ``usage``, TEI's length check and the batch budget."""
    from embedlab.autoencoder.model import SentenceAutoencoder
    from embedlab.contrastive.encoder import TrainableEncoder
    from embedlab.lm.model import LanguageModel
    from embedlab.static.embeddings import StaticEmbeddings
    from embedlab.teachers.contextual import Teacher
    from embedlab.teachers.sentence_transformer import TransformerEncoder

    if isinstance(model, StaticEmbeddings):
        return (lambda texts: [len(model.tokenize(t)) for t in texts]), None, True
    if isinstance(model, SentenceAutoencoder):
        return (lambda texts: [len(model.tokenizer.tokenize(t)) for t in texts]), None, True
    if isinstance(model, TransformerEncoder):
        # A copy that never truncates: its settings never change, so it is safe beside the model's own.
        tokenizer = copy.deepcopy(model.model.tokenizer)

        def count(texts: Sequence[str]) -> list[int]:
            return [len(row) for row in tokenizer(list(texts))["input_ids"]]

        return count, int(model.model.max_seq_length), True
    if isinstance(model, TrainableEncoder):
        return (lambda texts: [len(row) for row in model.tokenize(texts)]), getattr(model, "max_length", None), False
    if isinstance(model, Teacher):
        return (lambda texts: [len(row) for row in model.tokenize(texts)]), model.max_length, False
    if isinstance(model, LanguageModel):
        return (lambda texts: [len(model.tokenizer.encode(t, eos=False)) for t in texts]), None, False
    # Other encoders (model2vec's own folder, the classifier's encoder): words and punctuation.
    return (lambda texts: [len(_WORDS.findall(t)) for t in texts]), None, True


def capabilities(model: Any) -> list[str]:
    from embedlab.autoencoder.model import SentenceAutoencoder
    from embedlab.blocks.sentence_encoder import SentenceEncoder
    from embedlab.lm.model import LanguageModel
    from embedlab.static.embeddings import StaticEmbeddings

    kinds = (("embeddings", SentenceEncoder), ("similar", StaticEmbeddings), ("decode", SentenceAutoencoder),
             ("generate", LanguageModel))
    return [name for name, cls in kinds if isinstance(model, cls)]


@dataclass
class ServedModel:
    """One loaded model behind the server, under the name requests use."""

    name: str
    model: Any
    source: str
    count_tokens: Callable[[Sequence[str]], list[int]]
    max_tokens: int | None
    count_inline: bool
    executor: ThreadPoolExecutor = field(repr=False)
    batch_size: int = 16

    capabilities: list[str] = field(init=False)  # what the model does, by the route families that serve it

    def __post_init__(self) -> None:
        self.capabilities = capabilities(self.model)

    @property
    def embeds(self) -> bool:
        return "embeddings" in self.capabilities

    @property
    def dimensions(self) -> int | None:
        return int(self.model.get_sentence_embedding_dimension()) if self.embeds else None

    @property
    def counts_in_encode(self) -> bool:
        """The static model counts tokens as it encodes (tokenizing once for both, which is most of its work)."""
        return "similar" in self.capabilities

    def encode(self, texts: list[str]) -> Encoded:
        """(n, d) float32 raw sentence vectors (normalized and truncated per request later), and the
        token counts where ``counts_in_encode``."""
        if self.counts_in_encode:
            tokens = [self.model.tokenize(t) for t in texts]
            return self.model.embed_tokens(tokens), [len(t) for t in tokens]
        return self.model.encode(texts, batch_size=self.batch_size), None


def model_name(spec: str) -> str:
    """The name a positional MODEL is served under: a path's file or folder name, else the name itself."""
    path = Path(spec)
    return path.stem if path.is_file() else path.name if path.is_dir() else spec


def serve_model(name: str, model: Any, source: str = "", batch_size: int = 16) -> ServedModel:
    """Wrap a loaded model for the server.

    Raises:
        EmbedlabError: the model has nothing to serve (a tagger).
    """
    counter, limit, inline = token_counter(model)
    entry = ServedModel(name, model, source or name, counter, limit, inline,
                        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"model-{name}"), batch_size)
    if not entry.capabilities:
        entry.executor.shutdown()
        raise EmbedlabError(f"{source or name}: a {type(model).__name__} has nothing to serve (the server serves "
                            "sentence encoders, word vectors, the autoencoder and language models)")
    return entry


def load_served(models: dict[str, str], device: str | None = None, batch_size: int = 16) -> dict[str, ServedModel]:
    """Load each model with ``embedlab.load`` and wrap it."""
    from embedlab.loading import load

    return {name: serve_model(name, load(spec, device=device), spec, batch_size) for name, spec in models.items()}
