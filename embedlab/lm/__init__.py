"""Recurrent language models: tokens, batches, training, perplexity, generation, the trigram baseline."""

from embedlab.lm.model import LanguageModel
from embedlab.lm.tokens import LMTokenizer

__all__ = ["LMTokenizer", "LanguageModel"]
