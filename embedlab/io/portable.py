"""Export static vectors as a folder that model2vec and sentence-transformers load as they are.

Layout (model2vec's, plus sentence-transformers' ``modules.json``):

- ``model.safetensors``: ``embeddings`` (V + 2, d) float32; rows 0 and 1 are ``[UNK]`` and ``[PAD]``
  (zero vectors: an unknown word adds nothing to a mean's direction);
- ``tokenizer.json``: a WordLevel tokenizer with embedlab's normalizer (NFKC, lower-casing) and
  pre-tokenizer, so the three libraries split text the same way;
- ``config.json``: model2vec's keys (``model_type``, ``hidden_dim``, ``normalize``, ...);
- ``modules.json``: one ``sentence_transformers.models.StaticEmbedding`` module at the folder root.

Load with ``model2vec.StaticModel.from_pretrained(DIR)``, ``SentenceTransformer(DIR)`` or
``embedlab.load(DIR)`` (which drops the two special rows again). This module reads and writes the
format from plain words and arrays; ``StaticEmbeddings.save_model2vec`` is the front door.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from embedlab.data.vocab import Vocab
from embedlab.io.folder import read_word_table, write_folder

SPECIALS = ("[UNK]", "[PAD]")


def write_model2vec(folder: str | Path, words: list[str], vectors: np.ndarray, counts: np.ndarray | None, *,
                    lowercase: bool, source: str, normalize: bool = True) -> Path:
    """Write word vectors as a model2vec / sentence-transformers folder (see the module docstring).

    Args:
        folder: the output folder (created; existing files of the same names are replaced).
        words, vectors, counts: the table (counts may be None).
        lowercase: whether the table's keys are lower-cased (the tokenizer's normalizer).
        source: where the vectors came from (recorded in config.json).
        normalize: model2vec's ``normalize`` flag (L2-normalize sentence vectors after pooling).

    Returns:
        the folder.
    """
    counts = counts if counts is not None else np.zeros(len(words), dtype=np.int64)
    rows = [i for i, w in enumerate(words) if w not in SPECIALS]
    kept = [words[i] for i in rows]
    vocab = Vocab.from_lists(list(SPECIALS) + kept, [0, 0] + [int(counts[r]) for r in rows],
                             specials=SPECIALS, unk="[UNK]", lowercase=lowercase)
    table = np.vstack([np.zeros((2, vectors.shape[1]), dtype=np.float32), vectors[rows]])
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "hidden_dim": int(vectors.shape[1]),
        "normalize": normalize,
        "tokenizer_name": "embedlab word-level",
        "apply_pca": None,
        "apply_zipf": None,
        "embedlab_source": source,
    }
    folder = write_folder(folder, config, {"embeddings": table}, vocab.to_tokenizer().to_str())
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.StaticEmbedding"}]
    (folder / "modules.json").write_text(json.dumps(modules, indent=2) + "\n", encoding="utf-8")
    return folder


def read_model2vec(folder: str | Path) -> tuple[list[str], np.ndarray]:
    """The words and (n, d) rows of a folder written by ``write_model2vec``, the two special rows dropped."""
    words, table = read_word_table(folder)
    keep = [i for i, w in enumerate(words) if w not in SPECIALS]
    return [words[i] for i in keep], table[keep].astype(np.float32)
