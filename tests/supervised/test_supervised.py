"""The other uses of RNNs: the padded biRNN encoder, the classifier, the tagger and the tagsets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import embedlab
from embedlab.blocks.batching import SPECIALS, pad
from embedlab.blocks.pretrained import copy_pretrained
from embedlab.blocks.recurrent import SequenceEncoder
from embedlab.data.vocab import Vocab
from embedlab.static.embeddings import StaticEmbeddings
from embedlab.supervised.classification import (
    ClassifierTrainConfig,
    TextClassifier,
    cross_validate,
    train_classifier,
)
from embedlab.supervised.classifier import ClassifierConfig, RNNClassifier
from embedlab.supervised.tagger import word_shape
from embedlab.supervised.tagging import Tagger, TaggerTrainConfig, train_tagger, universal_accuracy
from embedlab.supervised.tagsets import (
    brown_core,
    brown_to_universal,
    held_out_split,
    parse_tagged,
    penn_to_universal,
)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_padding_never_leaks_into_the_encoder(cell: str) -> None:
    torch.manual_seed(0)
    enc = SequenceEncoder(cell, 4, 5, 2, bidirectional=True).eval()
    short = torch.randn(1, 3, 4)
    padded = torch.cat([short, torch.randn(1, 4, 4)], dim=1)  # garbage after position 3
    batch = torch.cat([padded, torch.randn(1, 7, 4)])
    states, final = enc(batch, torch.tensor([3, 7]))
    alone_states, alone_final = enc(short, torch.tensor([3]))
    torch.testing.assert_close(states[0, :3], alone_states[0])
    assert states[0, 3:].abs().max() == 0
    torch.testing.assert_close(final[0], alone_final[0])
    # final = forward state after the last token, backward state after the first
    torch.testing.assert_close(final[0, :5], alone_states[0, 2, :5])
    torch.testing.assert_close(final[0, 5:], alone_states[0, 0, 5:])


def test_mean_and_max_pooling_ignore_padding() -> None:
    torch.manual_seed(0)
    ids, lengths = pad([[2, 3, 4], [5]])
    assert ids.tolist() == [[2, 3, 4], [5, 0, 0]] and lengths.tolist() == [3, 1]
    for pooling in ("mean", "max"):
        model = RNNClassifier(ClassifierConfig(vocab_size=8, num_classes=2, emb=4, hidden=3, pooling=pooling)).eval()
        states, _ = model.encoder(model.embedding(ids), lengths)
        expect = states[1, :1].mean(0) if pooling == "mean" else states[1, :1].max(0).values
        torch.testing.assert_close(model.sentence_vectors(ids, lengths)[1], expect)
        expect0 = states[0].mean(0) if pooling == "mean" else states[0].max(0).values
        torch.testing.assert_close(model.sentence_vectors(ids, lengths)[0], expect0)


def _toy_sentiment(n: int = 240) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(0)
    filler = ["the", "film", "was", "a", "story", "plot", "really", "quite"]
    texts, labels = [], []
    for i in range(n):
        words = list(rng.choice(filler, 5))
        words.insert(int(rng.integers(0, 5)), "great" if i % 2 else "awful")
        texts.append(" ".join(words))
        labels.append("pos" if i % 2 else "neg")
    return texts, labels


def test_classifier_learns_a_separable_task_and_roundtrips(tmp_path: Path) -> None:
    texts, labels = _toy_sentiment()
    config = ClassifierTrainConfig(emb=16, hidden=16, epochs=6, lr=1e-2, dropout=0.1)
    model, report = train_classifier(texts, labels, config, out_dir=tmp_path / "clf", progress=False)
    assert model.accuracy(["the plot was great", "the plot was awful"], ["pos", "neg"]) == 1.0
    assert report["valid_accuracy"] == 1.0
    loaded = embedlab.load(tmp_path / "clf")
    assert isinstance(loaded, TextClassifier) and loaded.labels == ["neg", "pos"]
    np.testing.assert_allclose(loaded.predict_proba(texts[:5]), model.predict_proba(texts[:5]), rtol=1e-5)
    assert model.encode(texts[:3]).shape == (3, 32)


def test_cross_validation_reports_one_score_per_fold() -> None:
    texts, labels = _toy_sentiment(60)
    out = cross_validate(texts, labels, ClassifierTrainConfig(emb=8, hidden=8, epochs=4, lr=1e-2), folds=3)
    assert len(out["folds"]) == 3 and out["accuracy"] == pytest.approx(np.mean(out["folds"]))


def test_pretrained_rows_are_copied_case_insensitively() -> None:
    kv = StaticEmbeddings(["Good", "bad"], np.array([[1.0, 2.0], [3.0, 4.0]]))
    vocab = Vocab({"good": 3, "bad": 2, "meh": 1}, specials=SPECIALS)
    emb = torch.nn.Embedding(len(vocab), 2)
    share = copy_pretrained(emb, vocab, kv)
    assert share == pytest.approx(2 / 3)
    assert emb.weight[vocab.stoi["good"]].tolist() == [1.0, 2.0]
    assert emb.weight[vocab.stoi["bad"]].tolist() == [3.0, 4.0]
    with pytest.raises(embedlab.EmbedlabError, match="dims"):
        copy_pretrained(torch.nn.Embedding(len(vocab), 3), vocab, kv)


def test_tagsets_and_parsing() -> None:
    assert parse_tagged("``/`` 1/2/cd Atlanta's/np$") == [("``", "``"), ("1/2", "cd"), ("Atlanta's", "np$")]
    assert brown_core("nn-tl") == "nn" and brown_core("fw-in-tl") == "in"
    assert [brown_to_universal(t) for t in ("nns", "np$", "bedz", "md*", "jjt", "pps+bez", "at", "cs", ",", "``")] == \
        ["NOUN", "NOUN", "VERB", "VERB", "ADJ", "PRON", "DET", "ADP", ".", "."]
    assert [penn_to_universal(t) for t in ("NNP", "VBZ", "PRP$", "IN", "-LRB-", "$", "POS")] == \
        ["NOUN", "VERB", "PRON", "ADP", ".", ".", "PRT"]
    assert [held_out_split(i) for i in (0, 49, 50, 99, 100, 1000, 1050)] == \
        ["test", "test", "valid", "valid", "train", "test", "valid"]
    assert word_shape("Hello") != word_shape("hello") != word_shape("1984")


def test_tagger_learns_tags_from_words_and_suffixes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    nouns, verbs = ["dog", "cat", "bird", "fish"], ["runs", "jumps", "sings", "walks"]
    sents = [[("the", "at"), (str(rng.choice(nouns)), "nn"), (str(rng.choice(verbs)), "vbz"), (".", ".")]
             for _ in range(300)]
    tagger, report = train_tagger(sents[:250], sents[250:], TaggerTrainConfig(emb=16, hidden=16, epochs=4, lr=1e-2),
                                  out_dir=tmp_path / "pos", progress=False)
    assert tagger.accuracy(sents[250:]) == 1.0
    # an unseen verb ending in -s after a noun still looks like a verb
    assert tagger.tag([["the", "cat", "hops", "."]]) == [["at", "nn", "vbz", "."]]
    loaded = embedlab.load(tmp_path / "pos")
    assert isinstance(loaded, Tagger) and loaded.tag([["the", "dog", "sings"]]) == tagger.tag([["the", "dog", "sings"]])
    penn = [[("the", "DT"), ("dog", "NN"), ("'s", "POS"), ("runs", "VBZ")]]
    assert universal_accuracy(tagger, penn) == pytest.approx(1.0)  # 's is left out, the rest map
