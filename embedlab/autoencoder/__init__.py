"""Invertible sentence embeddings: a residual recurrent autoencoder that regresses word vectors."""

from embedlab.autoencoder.metrics import ReconstructionReport, evaluate_reconstruction, score_reconstructions
from embedlab.autoencoder.model import SentenceAutoencoder
from embedlab.autoencoder.nearest import NearestWords
from embedlab.autoencoder.training import AutoencoderTrainConfig, preset, train_autoencoder

__all__ = ["AutoencoderTrainConfig", "NearestWords", "ReconstructionReport", "SentenceAutoencoder",
           "evaluate_reconstruction", "preset", "score_reconstructions", "train_autoencoder"]
