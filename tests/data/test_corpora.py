"""Corpus normalizers on small hand-written inputs, and the en-mix split arithmetic."""

from __future__ import annotations

import bz2
import json
import logging
from pathlib import Path

import pytest

from embedlab.data import corpora
from embedlab.data.corpora import (
    FileStats,
    brown_tokens,
    build_mixture,
    build_mr,
    read_text,
    shakespeare_speeches,
    split_of_block,
    strip_gutenberg,
    strip_nested,
    strip_wiki_markup,
    wiki_articles,
    write_sentences,
)
from embedlab.data.text import count_words
from embedlab.errors import DataError

RESOURCES = Path(corpora.__file__).parent / "resources"


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def run(name: str, tmp_path: Path, *files: Path) -> list[str]:
    """Run a registered corpus builder and return its corpus.txt lines."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    stats = corpora.BUILDERS[name](list(files), out, False)
    lines = (out / "corpus.txt").read_text(encoding="utf-8").splitlines()
    assert stats["corpus.txt"].n_sentences == len(lines)
    assert stats["corpus.txt"].n_tokens == sum(count_words(line) for line in lines)
    return lines


# ---------------------------------------------------------------------------------------- writing


def test_writer_drops_empty_and_overlong_lines_and_counts_them(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stats = FileStats()
    with caplog.at_level(logging.WARNING):
        write_sentences(tmp_path / "c.txt", ["  One \u201cquoted\u201d  line. ", "", "   ", "x" * 10_001, "It\u2019s ok."],
                        stats, progress=False)
    assert (tmp_path / "c.txt").read_text(encoding="utf-8") == 'One "quoted" line.\nIt\'s ok.\n'
    assert (stats.n_sentences, stats.too_long) == (2, 1)
    assert "skipped 1 lines longer than 10000" in caplog.text


def test_bad_utf8_is_replaced_and_counted(tmp_path: Path) -> None:
    stats = FileStats()
    text = read_text(write(tmp_path / "a.txt", b"\xef\xbb\xbfgood\r\nbad \xff byte\nalso \xfe\n"), stats)
    assert text == "good\nbad \ufffd byte\nalso \ufffd\n"
    assert stats.replaced_lines == 2


# ---------------------------------------------------------------------------------------- wiki markup


def test_wiki_links_bold_and_templates() -> None:
    text = ("'''Anarchism''' is a [[political philosophy]] that advocates [[self-governance|self-governed]] "
            "societies.{{sfn|Woodcock|1962}} It has ''many'' [[Anarchist school of thought|schools]]"
            "{{Citation needed|date={{date|2016}}}}.")
    assert strip_wiki_markup(text) == ("Anarchism is a political philosophy that advocates self-governed societies. "
                                       "It has many schools.")


def test_wiki_drops_refs_comments_tables_files_and_categories() -> None:
    text = "\n".join([
        "{{Infobox person|name=A|image=[[File:a.jpg]]}}",
        "Alan<ref name=\"x\">Cited, ''p. 3''.</ref> was born<ref name=\"y\" /> in [[Paris (France)|]].<!-- a note -->",
        "[[File:Map.png|thumb|right|A map of [[Paris]], c. [1900] [[Image:x.png]] here]]",
        "{| class=\"wikitable\"",
        "|-",
        "| cell || {{flag|FR}}",
        "|}",
        "He worked at [http://example.org the lab] and [http://bare.example.org].",
        "[[Category:People]]",
        "[[de:Alan]]",
    ])
    assert strip_wiki_markup(text) == "Alan was born in Paris.\nHe worked at the lab and."


def test_wiki_headings_lists_entities_and_reference_sections() -> None:
    text = "\n".join([
        "Intro&nbsp;text &amp; more.",
        "== History ==",
        "* First item with [[link]];",
        "# Second item",
        ": indented <small>small</small> text<br />here",
        "== References ==",
        "* Some book, 1999.",
        "=== Notes ===",
        "* A note",
        "== Legacy ==",
        "Kept.",
    ])
    assert strip_wiki_markup(text).split("\n") == [
        "Intro text & more.", "First item with link;", "Second item", "indented small text here", "Kept."]


def test_strip_nested() -> None:
    assert strip_nested("a {{b {{c}} d}} e {{f}}", "{{", "}}") == "a  e "
    assert strip_nested("keep }} this", "{{", "}}") == "keep }} this"
    assert strip_nested("a {{never closed", "{{", "}}") == "a "


def _dump(tmp_path: Path, pages: list[tuple[str, str, str, bool]]) -> Path:
    redirect_tag = '<redirect title="X" />'
    body = "".join(
        f"<page><title>{title}</title><ns>{ns}</ns>{redirect_tag if redirect else ''}"
        f'<revision><text xml:space="preserve">{text}</text></revision></page>'
        for title, ns, text, redirect in pages
    )
    xml = f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/">{body}</mediawiki>'
    path = tmp_path / "dump.xml.bz2"
    path.write_bytes(bz2.compress(xml.encode("utf-8")))
    return path


def test_wiki_dump_skips_redirects_and_other_namespaces(tmp_path: Path) -> None:
    dump = _dump(tmp_path, [
        ("Redirected", "0", "#REDIRECT [[Elsewhere]]", True),
        ("Old redirect", "0", "#redirect [[Elsewhere]]", False),
        ("Talk:Foo", "1", "Talk text.", False),
        ("Foo", "0", "'''Foo''' is a word. It is used in [[example]]s &lt;ref&gt;x&lt;/ref&gt;.", False),
    ])
    assert [title for title, _ in wiki_articles(dump)] == ["Foo"]
    assert run("wiki205", tmp_path, dump) == ["Foo is a word.", "It is used in examples."]


def test_wiki_dump_that_is_not_xml(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.xml.bz2", bz2.compress(b"<mediawiki><page>"))
    with pytest.raises(DataError, match="not a readable bz2 MediaWiki XML dump"):
        list(wiki_articles(path))


# ---------------------------------------------------------------------------------------- the corpora


def test_brown_tags_are_stripped_or_kept(tmp_path: Path) -> None:
    line = "\t``/`` The/at jury/nn said/vbd 1/2/cd ''/'' ./.\n"
    assert brown_tokens(line, keep_tags=False) == ['"', "The", "jury", "said", "1/2", '"', "."]
    assert brown_tokens(line, keep_tags=True)[1] == "The/at"
    source = write(tmp_path / "ca01", "\n\n" + line + "\n\n\tHe/pps left/vbd ./.\n")
    assert run("brown", tmp_path, source) == ['" The jury said 1/2 " .', "He left ."]
    assert run("brown-tagged", tmp_path, source) == ["``/`` The/at jury/nn said/vbd 1/2/cd ''/'' ./.",
                                                    "He/pps left/vbd ./."]


GUTENBERG = """The Project Gutenberg EBook of A Book

Copyright laws are changing all over the world.

*** START OF THIS PROJECT GUTENBERG EBOOK A BOOK ***

CHAPTER I

It was a dark night. The rain fell.
[Illustration: rain]

*** END OF THIS PROJECT GUTENBERG EBOOK A BOOK ***

License text. Donations welcome.

*** START OF THE PROJECT GUTENBERG EBOOK, SECOND ***
=Questions=

Second book here.
End of the Project Gutenberg EBook of Second
*** END OF THE PROJECT GUTENBERG EBOOK, SECOND ***
 the
 be
"""


def test_gutenberg_boilerplate_is_dropped(tmp_path: Path) -> None:
    assert "Copyright" not in strip_gutenberg(GUTENBERG) and "License" not in strip_gutenberg(GUTENBERG)
    assert strip_gutenberg("no markers at all") == "no markers at all"
    assert run("big", tmp_path, write(tmp_path / "big.txt", GUTENBERG)) == [
        "It was a dark night.", "The rain fell.", "Second book here."]


def test_moby_dick_drops_chapter_headings(tmp_path: Path) -> None:
    text = "CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years\nago.\n\nCHAPTER 2. The Carpet-Bag.\n\nI stuffed a shirt.\n"
    assert run("moby-dick", tmp_path, write(tmp_path / "data.txt", text)) == [
        "Call me Ishmael.", "Some years ago.", "I stuffed a shirt."]


def test_sotu_drops_transcript_notes(tmp_path: Path) -> None:
    text = "Thank you. (Applause.) Madam Speaker [Laughter] we met. (applause) It is good."
    assert run("sotu", tmp_path, write(tmp_path / "2021.txt", text)) == [
        "Thank you.", "Madam Speaker we met.", "It is good."]


def test_kjv_reads_verses(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        {"citation": "Genesis 1:1", "text": "In the beginning God created the heaven and the earth."},
        {"citation": "Genesis 1:2", "text": "And the earth was void. And the Spirit of God moved."},
        {"citation": "3 John 1:15", "text": "[]"},
    ]
    source = write(tmp_path / "kjv.jsonl", "\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    with caplog.at_level(logging.WARNING):
        assert run("kjv", tmp_path, source) == [
            "In the beginning God created the heaven and the earth.", "And the earth was void.",
            "And the Spirit of God moved."]
    assert "skipped 1 lines" in caplog.text


def test_nlp_corpus_reads_json_lists(tmp_path: Path) -> None:
    a = write(tmp_path / "doc-0.json", json.dumps(["First one.", "  Second\tone  ", 3, ""]))
    assert run("nlp-corpus", tmp_path, a) == ["First one.", "Second one"]
    with pytest.raises(DataError, match="expected a JSON list"):
        run("nlp-corpus", tmp_path, write(tmp_path / "doc-1.json", '{"a": 1}'))


PLAY = """HAMLET, PRINCE OF DENMARK

by William Shakespeare

PERSONS REPRESENTED.

Claudius, King of Denmark.
Hamlet, Son to the former.

SCENE. Elsinore.

ACT I.

Scene I. Elsinore. A platform before the Castle.

[Francisco at his post. Enter to him
Bernardo.]

Ber.
Who's there?

Fran.
Nay, answer me: stand,
and unfold yourself.

1. CAR.
He.

THESEUS
Go, Philostrate.

CHORUS.

O for a Muse of fire!
"""

SONNETS = """THE SONNETS
by William Shakespeare

I

From fairest creatures we desire increase,
That thereby beauty's rose might never die.
"""


def test_shakespeare_speeches_without_tags_directions_or_cast(tmp_path: Path) -> None:
    assert list(shakespeare_speeches(PLAY)) == [
        "Who's there?", "Nay, answer me: stand, and unfold yourself.", "He.", "Go, Philostrate.",
        "O for a Muse of fire!"]
    assert list(shakespeare_speeches(SONNETS)) == [
        "From fairest creatures we desire increase, That thereby beauty's rose might never die."]
    assert run("shakespeare", tmp_path, write(tmp_path / "hamlet_gut.txt", PLAY))[:2] == [
        "Who's there?", "Nay, answer me: stand, and unfold yourself."]


# ---------------------------------------------------------------------------------------- other outputs


def test_mr_maps_labels_to_0_and_1(tmp_path: Path) -> None:
    source = write(tmp_path / "mr.csv", '\ufeff"1","a fine , \n funny film . \n"\n"-1","dull "" boring "" stuff"\n')
    stats = build_mr([source], tmp_path, False)
    assert (tmp_path / "mr.tsv").read_text(encoding="utf-8") == '1\ta fine , funny film .\n0\tdull " boring " stuff\n'
    assert stats["mr.tsv"].n_sentences == 2
    with pytest.raises(DataError, match="bad.csv:1"):
        build_mr([write(tmp_path / "bad.csv", '"pos","text"\n')], tmp_path, False)


def test_split_of_block_is_1_1_98() -> None:
    splits = [split_of_block(b) for b in range(1000)]
    assert (splits.count("valid"), splits.count("test"), splits.count("train")) == (10, 10, 980)
    assert splits[:3] == ["valid", "test", "train"] and splits[100:102] == ["valid", "test"]


def test_mixture_cuts_contiguous_50_sentence_blocks(tmp_path: Path) -> None:
    # 7,000 + 5,345 sentences: blocks 0..246 (the last one holds 45); valid = blocks 0, 100, 200,
    # test = blocks 1, 101, 201; the stream continues across the part boundary.
    first = write(tmp_path / "a.txt", "".join(f"a{i}\n" for i in range(7000)))
    second = write(tmp_path / "b.txt", "".join(f"b{i}\n" for i in range(5345)) + "\n")
    out = tmp_path / "mix"
    out.mkdir()
    stats = build_mixture([first, second], out, False)
    lines = {name: (out / f"{name}.txt").read_text(encoding="utf-8").split() for name in ("train", "valid", "test")}
    stream = [f"a{i}" for i in range(7000)] + [f"b{i}" for i in range(5345)]

    def blocks(*numbers: int) -> list[str]:
        return [s for b in numbers for s in stream[50 * b:50 * b + 50]]

    assert lines["valid"] == blocks(0, 100, 200)
    assert lines["test"] == blocks(1, 101, 201)
    assert lines["train"] == [s for s in stream if s not in set(lines["valid"] + lines["test"])]
    assert lines["train"][:2] == ["a100", "a101"]
    assert {name: s.n_sentences for name, s in stats.items()} == {"train.txt": 12045, "valid.txt": 150, "test.txt": 150}


def test_tiny_corpus_is_vendored() -> None:
    lines = (RESOURCES / "tiny_corpus.txt").read_text(encoding="utf-8").splitlines()
    assert 300 <= len(lines) <= 600
    assert all(line.strip() == line and line for line in lines)
    assert "tiny_corpus.txt" in (RESOURCES / "SOURCES.md").read_text(encoding="utf-8")
