"""Benchmark readers: every vendored file, and the formats users bring (STS-B, SICK, plain, spaces, CRLF)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from embedlab.data.benchmarks import (
    ANALOGY_SETS,
    BENCHMARKS,
    STS_SETS,
    WORD_SIMILARITY_SETS,
    benchmark_info,
    load_analogies,
    load_classification,
    load_sts,
    load_word_pairs,
)
from embedlab.errors import DataError

# Row counts of the published sets (sts14-onwn: 750 pairs, the last line has no newline).
WORD_PAIR_COUNTS = {
    "ws353": 353,
    "ws353-sim": 203,
    "ws353-rel": 252,
    "simlex999": 999,
    "simverb3500": 3500,
    "men": 3000,
    "rw": 2034,
    "mturk287": 287,
    "rg65": 65,
}
STS_COUNTS = {"sts12": 2234, "sts14-onwn": 750, "sts14-headlines": 750}


def test_registry_tuples() -> None:
    assert tuple(WORD_PAIR_COUNTS) == WORD_SIMILARITY_SETS
    assert ANALOGY_SETS == ("google", "msr")
    assert tuple(STS_COUNTS) == STS_SETS
    assert all(BENCHMARKS[n].citation for n in BENCHMARKS)
    with pytest.raises(DataError, match="unknown benchmark"):
        benchmark_info("ws999")


@pytest.mark.parametrize(("name", "count"), WORD_PAIR_COUNTS.items())
def test_word_pair_sets(name: str, count: int) -> None:
    pairs = load_word_pairs(name)
    assert len(pairs) == count == BENCHMARKS[name].size
    assert pairs.scores.shape == (count,) and pairs.scores.dtype == np.float64
    low, high = BENCHMARKS[name].score_range or (0, 0)
    assert low <= pairs.scores.min() and pairs.scores.max() <= high
    assert all(w and "\r" not in w and "\t" not in w for pair in pairs.pairs for w in pair)


def test_word_pair_values() -> None:
    ws = load_word_pairs("ws353")
    assert ws.pairs[0] == ("love", "sex") and ws.scores[0] == 6.77
    assert ws.pairs[-1] == ("architecture", "century") and ws.scores[-1] == 3.78
    simverb = load_word_pairs("simverb3500")  # score in column 3: take remove V 6.81 SYNONYMS
    assert simverb.pairs[0] == ("take", "remove") and simverb.scores[0] == 6.81
    men = load_word_pairs("men")  # space separated, 0-50
    assert men.pairs[0] == ("sun", "sunlight") and men.scores[0] == 50.0
    assert men.pairs[-1] == ("bakery", "zebra") and men.scores[-1] == 0.0
    mturk = load_word_pairs("mturk287")  # CRLF
    assert mturk.pairs[-1] == ("marriage", "anniversary") and mturk.scores[-1] == 4.333333333
    assert load_word_pairs("simlex999").pairs[0] == ("old", "new")  # '#' header lines skipped


def test_analogy_sets() -> None:
    google = load_analogies("google")
    assert len(google) == 19544
    assert len(google.sections) == 14
    assert google.sections["capital-common-countries"][0] == ("Athens", "Greece", "Baghdad", "Iraq")
    # Mikolov et al. 2013: 8,869 semantic and 10,675 syntactic questions.
    assert sum(len(q) for s, q in google.sections.items() if not s.startswith("gram")) == 8869
    assert sum(len(q) for s, q in google.sections.items() if s.startswith("gram")) == 10675
    assert list(google.questions())[-1] == ("gram9-plural-verbs", ("write", "writes", "work", "works"))
    msr = load_analogies("msr")
    assert len(msr) == 8000 and list(msr.sections) == ["all"]
    assert msr.sections["all"][0] == ("good", "better", "rough", "rougher")


@pytest.mark.parametrize(("name", "count"), STS_COUNTS.items())
def test_sts_sets(name: str, count: int) -> None:
    sts = load_sts(name)
    assert len(sts) == len(sts.sentences2) == len(sts.scores) == count
    assert sts.scores.min() >= 0 and sts.scores.max() <= 5
    assert all(s and "\r" not in s and s == s.strip() for s in sts.sentences1 + sts.sentences2)


def test_sts_values() -> None:
    onwn = load_sts("sts14-onwn")  # CRLF, no newline at the end
    assert onwn.sentences1[-1] == "put up with something unpleasant"
    assert onwn.scores[-1] == pytest.approx(4.26666666666667)
    sts12 = load_sts("sts12")
    assert (
        sts12.sentences1[-1] == "He saw a red rose."
        and sts12.sentences2[-1] == "He drove a rose colored car."
    )
    assert sts12.scores[-1] == 0.8


def test_word_pairs_user_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_bytes(
        b"# my set\r\nword1 word2 score\r\n\r\nCat  dog 7.5\r\nnew\tYork city\t3\r\n  # indented comment\ncar\ttruck\t8\n"
    )
    pairs = load_word_pairs(path)
    assert pairs.name == "mine"
    assert pairs.pairs == [("Cat", "dog"), ("new", "York city"), ("car", "truck")]
    assert pairs.scores.tolist() == [7.5, 3.0, 8.0]


def test_word_pairs_score_column(tmp_path: Path) -> None:
    path = tmp_path / "verbs.tsv"
    path.write_text("take\tremove\tV\t6.81\tSYNONYMS\n")
    assert load_word_pairs(path, score_column=3).scores.tolist() == [6.81]
    with pytest.raises(DataError, match="skipped as a header"):  # 'V' is no score: taken as a header row
        load_word_pairs(path)
    path.write_text("take\tremove\tV\t6.81\tSYNONYMS\nwalk\ttrail\tV\t4.81\tCOHYPONYMS\n")
    with pytest.raises(DataError, match=r"verbs\.tsv:2: expected .* score in column 2"):
        load_word_pairs(path)


def test_word_pairs_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("a\tb\t1.0\nc\td\n")
    with pytest.raises(DataError, match=r"bad\.tsv:2"):
        load_word_pairs(path)
    path.write_text("a\tb\t1.0\nc\td\tlots\n")
    with pytest.raises(DataError, match=r"bad\.tsv:2"):
        load_word_pairs(path)
    path.write_text("a\tb\tnan\n")
    with pytest.raises(DataError, match=r"bad\.tsv:1"):
        load_word_pairs(path)
    path.write_text("# only comments\n")
    with pytest.raises(DataError, match="no items"):
        load_word_pairs(path)
    with pytest.raises(DataError, match="neither a registered"):
        load_word_pairs(tmp_path / "missing.tsv")
    with pytest.raises(DataError, match="not a word-similarity set"):
        load_word_pairs("google")


def test_analogies_user_file(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_bytes(
        b"a b c d\r\n: fam\r\nking queen man woman\r\n\r\n:  empty\n: cap\nParis France Rome Italy"
    )
    data = load_analogies(path)
    assert data.sections == {
        "default": [("a", "b", "c", "d")],
        "fam": [("king", "queen", "man", "woman")],
        "cap": [("Paris", "France", "Rome", "Italy")],
    }
    path.write_text(": s\na b c\n")
    with pytest.raises(DataError, match=r"q\.txt:2"):
        load_analogies(path)


# STS-B as distributed (tab separated, quotes not escaped, some lines with extra trailing fields).
STSB = (
    "main-captions\tMSRvid\t2012test\t0000\t5.000\tA man with a hard hat is dancing.\tA man wearing a hard hat is dancing.\n"
    'main-news\theadlines\t2013\t0001\t0.500\tHe said "yes.\tShe said no.\tsource-a\tsource-b\n'
    "main-forums\tanswers-forums\t2015\t0002\t2.4\tA cat sits.\tA cat sat.\n"
)


def test_sts_stsb(tmp_path: Path) -> None:
    path = tmp_path / "sts-dev.csv"
    path.write_text(STSB)
    sts = load_sts(path)
    assert sts.sentences1 == ["A man with a hard hat is dancing.", 'He said "yes.', "A cat sits."]
    assert sts.sentences2 == ["A man wearing a hard hat is dancing.", "She said no.", "A cat sat."]
    assert sts.scores.tolist() == [5.0, 0.5, 2.4]
    other = tmp_path / "whatever.tsv"  # detected from the content as well
    other.write_text(STSB)
    assert load_sts(other).sentences2 == sts.sentences2
    bad = tmp_path / "sts-test.csv"
    bad.write_text(STSB + "main-news\theadlines\t2013\t0003\tx\tOne.\tTwo.\n")
    with pytest.raises(DataError, match=r"sts-test\.csv:4"):
        load_sts(bad)


SICK_HEADER = (
    "pair_ID\tsentence_A\tsentence_B\tentailment_label\trelatedness_score\tentailment_AB\tentailment_BA\t"
    "sentence_A_original\tsentence_B_original\tsentence_A_dataset\tsentence_B_dataset\tSemEval_set\n"
)


def test_sts_sick(tmp_path: Path) -> None:
    full = tmp_path / "SICK.txt"
    full.write_text(
        SICK_HEADER
        + "1\tA boy plays.\tA kid plays.\tENTAILMENT\t4.5\tA_entails_B\tB_entails_A\to\to\tFLICKR\tFLICKR\tTRAIN\n"
        + "2\tA dog runs.\tA cat sleeps.\tNEUTRAL\t1.2\tA_neutral_B\tB_neutral_A\to\to\tFLICKR\tFLICKR\tTEST\n"
    )
    sick = load_sts(full)
    assert sick.sentences1 == ["A boy plays.", "A dog runs."] and sick.scores.tolist() == [4.5, 1.2]
    test = load_sts(full, split="TEST")
    assert test.sentences2 == ["A cat sleeps."] and test.scores.tolist() == [1.2]

    annotated = tmp_path / "SICK_test_annotated.txt"
    annotated.write_text(
        "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\r\n"
        "6\tThere is no boy playing outdoors\tA group of kids is playing\t3.3\tNEUTRAL\r\n"
    )
    assert load_sts(annotated).scores.tolist() == [3.3]
    with pytest.raises(DataError, match="SemEval_set"):
        load_sts(annotated, split="TEST")
    plain = tmp_path / "plain.tsv"
    plain.write_text("One.\tTwo.\t3\n")
    with pytest.raises(DataError, match="only applies to SICK"):
        load_sts(plain, split="TEST")


def test_sts_plain(tmp_path: Path) -> None:
    path = tmp_path / "plain.tsv"
    path.write_bytes(b"A b.\tC d.  \t4\r\n#hashtag sentence\tanother\t1.5\r\n")
    sts = load_sts(path)
    assert sts.sentences1 == ["A b.", "#hashtag sentence"]  # '#' is text here, not a comment
    assert sts.sentences2 == ["C d.", "another"] and sts.scores.tolist() == [4.0, 1.5]
    path.write_text("only one field\n")
    with pytest.raises(DataError, match=r"plain\.tsv:1"):
        load_sts(path)


def test_classification_file(tmp_path: Path) -> None:
    path = tmp_path / "mr.tsv"
    path.write_text("1\tsimply brilliant .\n0\ta waste of time .\r\n\n1\tfun\n")
    texts, labels = load_classification(path)
    assert texts == ["simply brilliant .", "a waste of time .", "fun"]
    assert labels.tolist() == [1, 0, 1] and labels.dtype == np.int64
    path.write_text("1\tgood\npositive\tbad\n")
    with pytest.raises(DataError, match=r"mr\.tsv:2"):
        load_classification(path)
    path.write_text("1\tgood\n1\tbad\n")
    with pytest.raises(DataError, match="two classes"):
        load_classification(path)


def test_classification_registered_name_reads_the_fetched_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDLAB_HOME", str(tmp_path))
    with pytest.raises(DataError, match="dataset mr is not fetched; run `embedlab data fetch mr`"):
        load_classification("mr")
    folder = tmp_path / "datasets" / "mr"
    folder.mkdir(parents=True)
    (folder / "mr.tsv").write_text("1\tgood\n0\tbad\n")
    (folder / "manifest.json").write_text('{"name": "mr"}\n')
    assert BENCHMARKS["mr"].path == folder / "mr.tsv"
    texts, labels = load_classification("mr")
    assert texts == ["good", "bad"] and labels.tolist() == [1, 0]


@pytest.mark.parametrize(
    ("reader", "text", "bad_line"),
    [
        (load_word_pairs, "a\tb\t1\n\tb\t1\n", 2),
        (load_word_pairs, "a\t \t1\n", 1),
        (load_sts, "One.\tTwo.\t1\n\tTwo.\t1\n", 2),
        (load_sts, "One.\t  \t1\n", 1),
        (load_sts, "g\tf\t2012\t0\t4.0\tOne.\tTwo.\ng\tf\t2012\t1\t1.0\tOne.\t\n", 2),
        (load_sts, SICK_HEADER + "1\t\tA kid plays.\tE\t4.5\tx\tx\to\to\tF\tF\tTRAIN\n", 2),
        (load_classification, "1\tgood\n0\t  \n", 2),
    ],
)
def test_empty_words_and_sentences_are_refused(
    tmp_path: Path, reader: Callable[[Path], object], text: str, bad_line: int
) -> None:
    path = tmp_path / "set.tsv"
    path.write_text(text)
    with pytest.raises(DataError, match=rf"set\.tsv:{bad_line}: empty (word|sentence|text)"):
        reader(path)
