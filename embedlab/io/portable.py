"""Export static vectors as a folder that model2vec and sentence-transformers load as they are.

Layout (model2vec's, plus sentence-transformers' ``modules.json``):

- ``model.safetensors``: ``embeddings`` (V + 2, d) float32; rows 0 and 1 are ``[UNK]`` and ``[PAD]``
  (zero vectors: an unknown word adds nothing to a mean's direction);
- ``tokenizer.json``: a WordLevel tokenizer with embedlab's normalizer (NFKC, lower-casing) and
  pre-tokenizer, so the three libraries split text the same way;
- ``config.json``: model2vec's keys (``model_type``, ``hidden_dim``, ``normalize``, ...);
- ``modules.json``: one ``sentence_transformers.models.StaticEmbedding`` module at the folder root.

Load with ``model2vec.StaticModel.from_pretrained(DIR)``, ``SentenceTransformer(DIR)`` or
``embedlab.load(DIR)`` (which drops the two special rows again).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from embedlab.data.vocab import Vocab
from embedlab.io.folder import read_word_table, register_loader, write_folder
from embedlab.models.static import StaticEmbeddings

SPECIALS = ("[UNK]", "[PAD]")


def save_model2vec(kv: StaticEmbeddings, folder: str | Path, *, normalize: bool = True) -> Path:
    """Write ``kv`` as a model2vec / sentence-transformers folder (see the module docstring).

    Args:
        kv: the vectors.
        folder: the output folder (created; existing files of the same names are replaced).
        normalize: model2vec's ``normalize`` flag (L2-normalize sentence vectors after pooling).

    Returns:
        the folder.
    """
    counts = kv.counts if kv.counts is not None else np.zeros(len(kv), dtype=np.int64)
    words = [w for w in kv.index_to_key if w not in SPECIALS]
    rows = [kv.key_to_index[w] for w in words]
    vocab = Vocab.from_lists(list(SPECIALS) + words, [0, 0] + [int(counts[r]) for r in rows],
                             specials=SPECIALS, unk="[UNK]", lowercase=kv.lowercase)
    table = np.vstack([np.zeros((2, kv.dim), dtype=np.float32), kv.vectors[rows]])
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "hidden_dim": kv.dim,
        "normalize": normalize,
        "tokenizer_name": "embedlab word-level",
        "apply_pca": None,
        "apply_zipf": None,
        "embedlab_source": kv.source,
    }
    folder = write_folder(folder, config, {"embeddings": table}, vocab.to_tokenizer().to_str())
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.StaticEmbedding"}]
    (folder / "modules.json").write_text(json.dumps(modules, indent=2) + "\n", encoding="utf-8")
    return folder


@register_loader("model2vec")
def load_model2vec(folder: Path, config: dict[str, object]) -> StaticEmbeddings:
    """Read a folder written by ``save_model2vec`` back as ``StaticEmbeddings``."""
    words, table = read_word_table(folder)
    keep = [i for i, w in enumerate(words) if w not in SPECIALS]
    return StaticEmbeddings([words[i] for i in keep], table[keep].astype(np.float32), source=str(folder))
