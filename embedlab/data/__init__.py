"""Text in, ids out: corpus readers, tokenization, vocabularies, packaged datasets and benchmarks."""

from embedlab.data.benchmarks import (
    ANALOGY_SETS,
    STS_SETS,
    WORD_SIMILARITY_SETS,
    load_analogies,
    load_classification,
    load_sts,
    load_word_pairs,
)
from embedlab.data.corpus import ReadStats, TextCorpus, read_sentences
from embedlab.data.fetch import dataset_path  # the fetch() function stays in its module (same name)
from embedlab.data.registry import list_datasets
from embedlab.data.text import split_sentences
from embedlab.data.tokenize import WordTokenizer
from embedlab.data.vocab import Vocab

__all__ = [
    "ANALOGY_SETS",
    "STS_SETS",
    "WORD_SIMILARITY_SETS",
    "ReadStats",
    "TextCorpus",
    "Vocab",
    "WordTokenizer",
    "dataset_path",
    "list_datasets",
    "load_analogies",
    "load_classification",
    "load_sts",
    "load_word_pairs",
    "read_sentences",
    "split_sentences",
]
