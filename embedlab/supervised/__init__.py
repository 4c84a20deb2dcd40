"""What RNNs are used for besides language modelling: text classification and POS tagging."""

from embedlab.supervised.classification import TextClassifier, train_classifier
from embedlab.supervised.tagging import Tagger, train_tagger

__all__ = ["Tagger", "TextClassifier", "train_classifier", "train_tagger"]
