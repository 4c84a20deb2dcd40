"""Teachers and foreign sentence encoders: the packaged MiniLM, ONNX teachers, sentence-transformers and
model2vec models, each behind embedlab's encoder contract (``embedlab.load`` opens them all)."""

from embedlab.teachers.sentence_transformer import PACKAGED, TransformerEncoder, load_sentence_transformer

__all__ = ["PACKAGED", "TransformerEncoder", "load_sentence_transformer"]
