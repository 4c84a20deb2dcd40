"""Request bodies, as the protocols define them (pydantic: FastAPI checks them and documents them at
``/docs``). Unknown fields are ignored, as OpenAI's and TEI's servers do."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# Token-id inputs are accepted by the schema so that the route can answer them with a clear 400.
Inputs = str | list[str] | list[int] | list[list[int]]


class EmbeddingsRequest(BaseModel):
    """OpenAI ``POST /v1/embeddings``."""

    input: Inputs
    model: str | None = None
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None


class EmbedRequest(BaseModel):
    """TEI ``POST /embed``; ``model`` is embedlab's addition (default: the first model served)."""

    inputs: Inputs
    normalize: bool = True
    truncate: bool = False
    truncation_direction: Literal["Left", "Right", "left", "right"] = "Right"
    dimensions: int | None = None
    model: str | None = None


class SimilarRequest(BaseModel):
    """``POST /v1/similar``: gensim's ``most_similar`` over a word model."""

    model: str | None = None
    positive: str | list[str] = Field(default_factory=list)
    negative: str | list[str] = Field(default_factory=list)
    topn: int = 10


class DecodeRequest(BaseModel):
    """``POST /v1/decode``: sentence vectors back to sentences (the invertible autoencoder)."""

    model: str | None = None
    vectors: list[list[float]] | list[str]
    max_words: int | None = None


class GenerateRequest(BaseModel):
    """``POST /v1/generate``: a continuation sampled from a language model."""

    model: str | None = None
    prompt: str = ""
    max_tokens: int = 50
    temperature: float = Field(1.0, allow_inf_nan=False)
    top_k: int = 0
    top_p: float = Field(1.0, allow_inf_nan=False)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    stop_at_eos: bool = False
