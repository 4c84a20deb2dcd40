"""Tagged text: reading ``word/TAG`` lines, the Brown held-out split, and the universal tagset.

Brown (87 base tags plus ``-tl`` title, ``-hl`` headline, ``-nc`` citation, ``fw-`` foreign and
``+`` contraction markers) and Penn (45 tags) share no tag names; both map onto the 12 universal
tags of Petrov, Das & McDonald (LREC 2012), which is how a Brown-trained tagger is scored on WSJ.
"""

from __future__ import annotations

from collections.abc import Iterable

from embedlab.errors import DataError

TaggedSentence = list[tuple[str, str]]


def parse_tagged(line: str) -> TaggedSentence:
    """``The/at jury/nn`` -> [("The", "at"), ("jury", "nn")]; the tag follows the LAST slash.

    Raises:
        ValueError: a token without a word and a tag on either side of a slash.
    """
    out = []
    for token in line.split():
        word, slash, tag = token.rpartition("/")
        if not (slash and word and tag):
            raise ValueError(f"{token!r} is not word/TAG")
        out.append((word, tag))
    return out


def read_tagged(lines: Iterable[str], source: str = "tagged text") -> list[TaggedSentence]:
    """Every non-empty line as a tagged sentence; ``source`` names the lines in errors (a file name).

    Raises:
        DataError: a token is not ``word/TAG`` (the message names the line).
    """
    sentences = []
    for number, line in enumerate(lines, 1):
        try:
            sentence = parse_tagged(line)
        except ValueError as e:
            raise DataError(f"{source}, line {number}: {e}; every token must be word/TAG, "
                            f"e.g. 'The/DT dog/NN runs/VBZ'") from None
        if sentence:
            sentences.append(sentence)
    return sentences


def held_out_split(index: int, *, block: int = 50, every: int = 20) -> str:
    """``train``, ``valid`` or ``test`` for sentence ``index``: blocks of 50, 1 in 20 test, 1 in 20 valid.

    Blocks (not single sentences) keep a document's neighbouring sentences on one side.
    """
    slot = (index // block) % every
    return "test" if slot == 0 else "valid" if slot == 1 else "train"


def brown_core(tag: str) -> str:
    """A Brown tag without the title/headline/citation/foreign markers (``nn-tl`` -> ``nn``)."""
    tag = tag.lower()
    for marker in ("-tl", "-hl", "-nc"):
        tag = tag.replace(marker, "")
    return tag.removeprefix("fw-")


_BROWN_PUNCT = {".", ",", ":", "(", ")", "--", "``", "''", "'", "`", ";", "?", "!"}
_BROWN_PREFIXES: tuple[tuple[str, str], ...] = (
    ("nn", "NOUN"), ("np", "NOUN"), ("nr", "NOUN"), ("vb", "VERB"), ("be", "VERB"), ("hv", "VERB"),
    ("do", "VERB"), ("md", "VERB"), ("jj", "ADJ"), ("od", "ADJ"), ("rb", "ADV"), ("ql", "ADV"), ("wrb", "ADV"),
    ("rn", "ADV"), ("at", "DET"), ("ap", "DET"), ("abn", "DET"), ("abx", "DET"), ("dt", "DET"), ("wdt", "DET"),
    ("ex", "DET"), ("in", "ADP"), ("cs", "ADP"), ("cc", "CONJ"), ("pp", "PRON"), ("pn", "PRON"), ("wp", "PRON"),
    ("cd", "NUM"), ("to", "PRT"), ("rp", "PRT"), ("uh", "X"),
)


def brown_to_universal(tag: str) -> str:
    """Universal tag of a Brown tag (a contraction ``pps+bez`` takes its first part's)."""
    core = brown_core(tag).split("+")[0].rstrip("*$")
    if core in _BROWN_PUNCT or (core and not any(ch.isalpha() for ch in core)):
        return "."
    for prefix, universal in _BROWN_PREFIXES:
        if core.startswith(prefix):
            return universal
    return "X"


_PENN = {
    "CC": "CONJ", "CD": "NUM", "DT": "DET", "EX": "DET", "FW": "X", "IN": "ADP", "JJ": "ADJ", "JJR": "ADJ",
    "JJS": "ADJ", "LS": "X", "MD": "VERB", "NN": "NOUN", "NNS": "NOUN", "NNP": "NOUN", "NNPS": "NOUN",
    "PDT": "DET", "POS": "PRT", "PRP": "PRON", "PRP$": "PRON", "RB": "ADV", "RBR": "ADV", "RBS": "ADV",
    "RP": "PRT", "SYM": "X", "TO": "PRT", "UH": "X", "VB": "VERB", "VBD": "VERB", "VBG": "VERB", "VBN": "VERB",
    "VBP": "VERB", "VBZ": "VERB", "WDT": "DET", "WP": "PRON", "WP$": "PRON", "WRB": "ADV",
}


def penn_to_universal(tag: str) -> str:
    """Universal tag of a Penn Treebank tag (punctuation tags -> ``.``)."""
    if tag in _PENN:
        return _PENN[tag]
    return "." if not any(ch.isalpha() for ch in tag) or tag in ("-LRB-", "-RRB-", "-NONE-") else "X"
