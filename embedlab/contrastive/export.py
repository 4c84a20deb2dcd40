"""A trained encoder as a sentence-transformers folder (``SentenceTransformer(DIR)`` loads it as is).

- transformer: sentence-transformers' Transformer module over the saved model, then Pooling (``avg``
  -> mean, ``cls_before_pooler`` -> cls; ``cls`` adds the model's pooler as a Dense + tanh module).
- bag: the model2vec layout with sentence-transformers' StaticEmbedding (mean pooling only).
- rnn, and transformers pooled by ``avg_first_last`` / ``avg_top2`` (no sentence-transformers module
  does these): one ``st_module.EmbedlabEncoder`` module over the embedlab folder; it loads with
  ``SentenceTransformer(DIR, trust_remote_code=True)`` where embedlab is installed (the flag lets
  sentence-transformers import embedlab's module class; nothing in the folder is executed).
Weights are written as safetensors.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from embedlab.errors import EmbedlabError, require

ST_POOLING = {"avg": "mean", "cls_before_pooler": "cls", "cls": "cls"}
EMBEDLAB_MODULE = "embedlab.contrastive.st_module.EmbedlabEncoder"  # its type in modules.json


def needs_embedlab_module(encoder: Any) -> bool:
    """Whether the exported folder needs embedlab's module (``trust_remote_code=True`` to load), not only
    sentence-transformers' own."""
    return encoder.kind != "bag" and not (encoder.kind == "transformer" and getattr(encoder, "pooler", "") in ST_POOLING)


def export_sentence_transformers(encoder: Any, folder: str | Path) -> Path:
    """Write ``encoder`` as a sentence-transformers folder; return it.

    Raises:
        EmbedlabError: a bag encoder that pools by max (sentence-transformers' StaticEmbedding takes the mean).
        MissingExtraError: sentence-transformers is not installed (extra ``teacher``).
    """
    folder = Path(folder)
    if encoder.kind == "bag":

        if getattr(encoder, "pooler", "mean") != "mean":
            raise EmbedlabError("sentence-transformers' StaticEmbedding pools by mean only; train the bag with --pooler mean")
        return encoder.static_embeddings().save_model2vec(folder, normalize=False)
    require("sentence_transformers", "teacher")
    from sentence_transformers import SentenceTransformer

    if needs_embedlab_module(encoder):
        from embedlab.contrastive.st_module import EmbedlabEncoder

        _replace(SentenceTransformer(modules=[EmbedlabEncoder(encoder)], device=str(encoder.device)), folder)
        return folder
    from sentence_transformers.base.modules import Dense, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    pooler = str(encoder.pooler)
    with tempfile.TemporaryDirectory() as tmp:
        encoder.save(tmp)
        body = Transformer(str(Path(tmp) / "transformer"), max_seq_length=encoder.max_length)
        modules: list[torch.nn.Module] = [body, Pooling(encoder.dim, pooling_mode=ST_POOLING[pooler])]
        if pooler == "cls":
            dense = encoder.model.pooler.dense
            modules.append(Dense(encoder.dim, encoder.dim, init_weight=dense.weight.detach().clone(),
                                 init_bias=dense.bias.detach().clone()))
        _replace(SentenceTransformer(modules=modules, device="cpu"), folder)
    return folder


def _replace(model: Any, folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    model.save(str(folder))
