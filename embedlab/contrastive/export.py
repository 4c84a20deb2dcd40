"""A trained encoder as a sentence-transformers folder (``SentenceTransformer(DIR)`` loads it as is).

- transformer: sentence-transformers' Transformer module over the saved model, then Pooling (``avg``
  -> mean, ``cls_before_pooler`` -> cls; ``cls`` adds the model's pooler as a Dense + tanh module).
  ``avg_first_last`` and ``avg_top2`` have no sentence-transformers module and are refused.
- bag: the model2vec layout with sentence-transformers' StaticEmbedding (mean pooling only).
- rnn: refused: sentence-transformers has no GRU module and its LSTM module tokenizes differently;
  the embedlab folder is the RNN encoder's format.
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


def export_sentence_transformers(encoder: Any, folder: str | Path) -> Path:
    """Write ``encoder`` as a sentence-transformers folder; return it.

    Raises:
        EmbedlabError: this encoder or pooler has no sentence-transformers equivalent (the message says which).
        MissingExtraError: sentence-transformers is not installed (extra ``teacher``).
    """
    folder = Path(folder)
    if encoder.kind == "bag":
        from embedlab.io.portable import save_model2vec

        if getattr(encoder, "pooler", "mean") != "mean":
            raise EmbedlabError("sentence-transformers' StaticEmbedding pools by mean only; train the bag with --pooler mean")
        return save_model2vec(encoder.static_embeddings(), folder, normalize=False)
    if encoder.kind != "transformer":
        raise EmbedlabError(f"a {encoder.kind} encoder has no sentence-transformers equivalent; "
                            "use the embedlab folder (embedlab.load) instead")
    pooler = str(getattr(encoder, "pooler", ""))
    if pooler not in ST_POOLING:
        raise EmbedlabError(f"pooler {pooler!r} has no sentence-transformers module; use avg, cls or cls_before_pooler")
    require("sentence_transformers", "teacher")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    with tempfile.TemporaryDirectory() as tmp:
        encoder.save(tmp)
        body = Transformer(str(Path(tmp) / "transformer"), max_seq_length=encoder.max_length)
        modules: list[torch.nn.Module] = [body, Pooling(encoder.dim, pooling_mode=ST_POOLING[pooler])]
        if pooler == "cls":
            dense = encoder.model.pooler.dense
            modules.append(Dense(encoder.dim, encoder.dim, init_weight=dense.weight.detach().clone(),
                                 init_bias=dense.bias.detach().clone()))
        model = SentenceTransformer(modules=modules, device="cpu")
        if folder.exists():
            shutil.rmtree(folder)
        model.save(str(folder))
    return folder
