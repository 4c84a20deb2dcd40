"""Reconstruction metrics: tight and loose word accuracy and exact sentences, by sentence length.

Word accuracy compares position by position against the reference (a missing word is wrong, extra
words cost nothing per word but spoil the exact-sentence match). "Tight" compares tokens exactly;
"loose" compares their letters only, lower-cased (so "U.S." and "us" agree, punctuation never
counts against it). References are the sentences as the model sees them (unknown words as
``<unk>``), so the figures measure the autoencoder, not the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from embedlab.autoencoder.model import SentenceAutoencoder
    from embedlab.evaluation.report import LineChart

BUCKETS: tuple[tuple[int, int], ...] = ((1, 10), (11, 20), (21, 30), (31, 40))
_NON_LETTERS = re.compile(r"[^a-z]")


def loose(word: str) -> str:
    """Letters only, lower-cased."""
    return _NON_LETTERS.sub("", word.lower())


@dataclass
class BucketScore:
    lengths: str
    sentences: int = 0
    words: int = 0
    tight: float = 0.0
    loose: float = 0.0
    exact: float = 0.0

    def as_row(self) -> dict[str, Any]:
        return {"length": self.lengths, "sentences": self.sentences, "words": self.words,
                "word_acc_tight": round(100 * self.tight, 2), "word_acc_loose": round(100 * self.loose, 2),
                "exact_sentences": round(100 * self.exact, 2)}


@dataclass
class ReconstructionReport:
    """Scores overall, by length bucket and by exact length (for the plot)."""

    sentences: int
    tight: float
    loose: float
    exact: float
    buckets: list[BucketScore] = field(default_factory=list)
    by_length: dict[int, BucketScore] = field(default_factory=dict)
    unknown_share: float = 0.0
    examples: list[tuple[str, str]] = field(default_factory=list)

    def bucket(self, low: int, high: int) -> BucketScore:
        """Scores over the sentences of low..high words (any lengths, not only the standard buckets)."""
        return _score([s for n, s in self.by_length.items() if low <= n <= high], f"{low}-{high}")

    def rows(self) -> list[dict[str, Any]]:
        return [b.as_row() for b in self.buckets if b.sentences] + [self.overall().as_row()]

    def overall(self) -> BucketScore:
        return BucketScore("all", self.sentences, sum(b.words for b in self.by_length.values()),
                           self.tight, self.loose, self.exact)

    def as_dict(self) -> dict[str, Any]:
        return {"sentences": self.sentences, "word_acc_tight": self.tight, "word_acc_loose": self.loose,
                "exact_sentences": self.exact, "unknown_share": self.unknown_share,
                "buckets": [b.as_row() for b in self.buckets],
                "by_length": {n: b.as_row() for n, b in sorted(self.by_length.items())},
                "examples": [{"input": a, "output": b} for a, b in self.examples]}

    def chart(self, title: str = "Reconstruction accuracy by sentence length") -> LineChart:
        """Tight/loose word accuracy and exact-sentence rate (%) against sentence length."""
        from embedlab.evaluation.report import LineChart

        lengths = sorted(self.by_length)
        scores = [self.by_length[n] for n in lengths]
        return LineChart(title, [float(n) for n in lengths],
                         {"word accuracy (tight)": [100 * s.tight for s in scores],
                          "word accuracy (loose)": [100 * s.loose for s in scores],
                          "exact sentences": [100 * s.exact for s in scores]},
                         xlabel="sentence length (words)", ylabel="%", filename="reconstruction_by_length.png")


@dataclass
class _Counts:
    sentences: int = 0
    words: int = 0
    tight: int = 0
    loose: int = 0
    exact: int = 0


def _score(parts: Sequence[BucketScore], label: str) -> BucketScore:
    sentences = sum(p.sentences for p in parts)
    words = sum(p.words for p in parts)
    return BucketScore(label, sentences, words,
                       sum(p.tight * p.words for p in parts) / max(1, words),
                       sum(p.loose * p.words for p in parts) / max(1, words),
                       sum(p.exact * p.sentences for p in parts) / max(1, sentences))


def score_reconstructions(references: Sequence[Sequence[str]], outputs: Sequence[Sequence[str]],
                          buckets: Sequence[tuple[int, int]] = BUCKETS) -> ReconstructionReport:
    """Compare reconstructed token lists with their references.

    Example:
        >>> r = score_reconstructions([["a", "b"], ["c"]], [["a", "x"], ["c"]])
        >>> r.tight, r.exact
        (0.6666666666666666, 0.5)
    """
    if len(references) != len(outputs):
        raise ValueError(f"{len(references)} references but {len(outputs)} outputs")
    per_length: dict[int, _Counts] = {}
    for ref, out in zip(references, outputs, strict=True):
        c = per_length.setdefault(len(ref), _Counts())
        c.sentences += 1
        c.words += len(ref)
        c.tight += sum(a == b for a, b in zip(ref, out, strict=False))
        c.loose += sum(loose(a) == loose(b) for a, b in zip(ref, out, strict=False))
        c.exact += list(ref) == list(out)
    by_length = {n: BucketScore(str(n), c.sentences, c.words, c.tight / max(1, c.words), c.loose / max(1, c.words),
                                c.exact / c.sentences) for n, c in per_length.items()}
    total = _Counts(sum(c.sentences for c in per_length.values()), sum(c.words for c in per_length.values()),
                    sum(c.tight for c in per_length.values()), sum(c.loose for c in per_length.values()),
                    sum(c.exact for c in per_length.values()))
    report = ReconstructionReport(total.sentences, total.tight / max(1, total.words), total.loose / max(1, total.words),
                                  total.exact / max(1, total.sentences), by_length=by_length)
    longest = max(per_length, default=0)
    edges = list(buckets)
    if longest > edges[-1][1]:
        edges.append((edges[-1][1] + 1, longest))
    report.buckets = [report.bucket(low, high) for low, high in edges]
    return report


def evaluate_reconstruction(model: SentenceAutoencoder, sentences: Sequence[str] | Sequence[Sequence[int]], *,
                            buckets: Sequence[tuple[int, int]] = BUCKETS, examples: int = 0) -> ReconstructionReport:
    """Encode and decode ``sentences`` (text, or id lists) and score the result against the input."""
    id_lists = [model.ids(s) if isinstance(s, str) else list(s) for s in sentences]
    id_lists = [ids for ids in id_lists if ids]
    outputs = model.decode_ids(model.encode_ids(id_lists))
    itos = model.vocab.itos
    references = [[itos[i] for i in ids] for ids in id_lists]
    decoded = [[itos[i] for i in ids] for ids in outputs]
    report = score_reconstructions(references, decoded, buckets)
    unk = model.vocab.stoi.get("<unk>")
    words = sum(len(ids) for ids in id_lists)
    report.unknown_share = sum(ids.count(unk) for ids in id_lists) / max(1, words) if unk is not None else 0.0
    if examples:
        picks = np.linspace(0, len(references) - 1, min(examples, len(references))).astype(int)
        report.examples = [(" ".join(references[i]), " ".join(decoded[i])) for i in picks]
    return report
