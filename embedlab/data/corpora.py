"""Normalizers: turn the files extracted from a package into embedlab's dataset formats.

Every text corpus becomes ``corpus.txt``: UTF-8, one sentence per line, whitespace collapsed, NFKC
normalized, typographic quotes folded to ASCII (so ``it's`` and ``it’s`` are one word), no empty
lines, no line over ``MAX_LINE_CHARS`` (skipped and counted). Undecodable bytes become U+FFFD and the
lines holding them are counted. Per corpus:

- ``sotu``: one speech per file -> sentences; transcript notes such as ``(Applause.)`` dropped.
- ``brown``: one tagged sentence per line; ``/tag`` stripped, tokens rejoined with spaces, the
  corpus's ````` and ``''`` quote tokens written as ``"``. ``brown-tagged`` keeps ``word/tag`` tokens.
- ``big``, ``moby-dick``: Project Gutenberg header/license dropped, paragraphs -> sentences.
- ``wiki205``: MediaWiki XML, redirects and non-article pages skipped, markup stripped by
  ``strip_wiki_markup`` (no gensim), reference/link sections dropped, lines -> sentences.
- ``kjv``: one verse per JSON line -> sentences.
- ``shakespeare``: each speech (a block between blank lines) without its speaker tag, stage
  directions, act/scene headings and the cast list, joined across verse lines and split into
  sentences; poems likewise per stanza. Verse line breaks are therefore not kept.
- ``nlp-corpus``: JSON lists of sentences, kept as they are.

Other outputs: ``mr.tsv`` (``label<TAB>text``, 1 positive / 0 negative), ``vectors.bin`` (word2vec
binary, from a gensim pickle read by ``embedlab.io.gensim_kv`` without running its code), and the
``en-mix`` splits (see ``build_mixture``).
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import html
import json
import logging
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from embedlab.data.registry import CORPUS_FILE
from embedlab.data.text import count_words, normalize_unicode, normalize_whitespace, split_sentences
from embedlab.errors import DataError

logger = logging.getLogger(__name__)

MAX_LINE_CHARS = 10_000
BLOCK_SIZE = 50  # en-mix: sentences per contiguous block
SPLIT_PERIOD = 100  # en-mix: block b is valid if b % 100 == 0, test if b % 100 == 1, else train

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@dataclass
class FileStats:
    """What was written to one output file and what was dropped on the way."""

    n_sentences: int = 0
    n_tokens: int = 0
    replaced_lines: int = 0  # input lines holding undecodable bytes (replaced by U+FFFD)
    too_long: int = 0  # lines over MAX_LINE_CHARS, skipped
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


Normalizer = Callable[[Sequence[Path], FileStats], Iterator[str]]
Builder = Callable[[Sequence[Path], Path, bool], dict[str, FileStats]]


# ---------------------------------------------------------------------------------------- reading/writing


def read_text(path: Path, stats: FileStats) -> str:
    """Decode a file as UTF-8 (BOM dropped, line ends unified), replacing and counting bad bytes."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("utf-8-sig", errors="replace")
        bad = sum("\ufffd" in line for line in text.splitlines())
        stats.replaced_lines += bad
        logger.warning("%s: %d lines hold bytes that are not UTF-8; they were replaced by U+FFFD", path.name, bad)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_line(text: str) -> str:
    """One output line: NFKC, ASCII quotes, whitespace (newlines included) collapsed."""
    return normalize_whitespace(normalize_unicode(text).translate(_QUOTES))


def write_sentences(path: Path, sentences: Iterable[str], stats: FileStats, *, progress: bool = True) -> None:
    """Write a one-sentence-per-line file: lines cleaned, empty ones dropped, over-long ones skipped and counted."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for sentence in tqdm(sentences, desc=f"writing {path.name}", unit=" sent", disable=not progress, leave=False):
            line = clean_line(sentence)
            if not line:
                continue
            if len(line) > MAX_LINE_CHARS:
                stats.too_long += 1
                continue
            f.write(line + "\n")
            stats.n_sentences += 1
            stats.n_tokens += count_words(line)
    if stats.too_long:
        logger.warning("%s: skipped %d lines longer than %d characters", path, stats.too_long, MAX_LINE_CHARS)


def paragraphs(text: str) -> Iterator[str]:
    """Blocks of text separated by blank lines."""
    for block in re.split(r"\n[ \t]*\n", text):
        if block.strip():
            yield block


# ---------------------------------------------------------------------------------------- plain text corpora

_GUTENBERG_START = re.compile(r"^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.I | re.M)
_GUTENBERG_END = re.compile(r"^\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.I | re.M)
_GUTENBERG_END_LINE = re.compile(r"^\s*End of (?:the |this )?Project Gutenberg.*$", re.I | re.M)
_ILLUSTRATION = re.compile(r"\[Illustration[^\]]*\]", re.I)


def strip_gutenberg(text: str) -> str:
    """Keep only the books between Project Gutenberg ``*** START OF``/``*** END OF`` markers.

    A file may hold several books (Norvig's big.txt holds four and ends with word lists that are not
    prose); text outside every START..END pair is license, header or such lists. Text without any
    marker is returned unchanged.
    """
    starts = list(_GUTENBERG_START.finditer(text))
    if not starts:
        return text
    books = []
    for start in starts:
        end = _GUTENBERG_END.search(text, start.end())
        books.append(text[start.end():end.start() if end else len(text)])
    return _GUTENBERG_END_LINE.sub("", "\n\n".join(books))


_EQUALS_HEADING = re.compile(r"^=[^=\n]+=[ \t]*$", re.M)  # "=Questions=" headings in the US history


def has_letters(sentence: str) -> bool:
    """True when a sentence holds a letter; "1.", "***" or "--" left by splitting are not sentences."""
    return any(c.isalpha() for c in sentence)


def _prose(text: str) -> Iterator[str]:
    """Sentences of Gutenberg-style prose: boilerplate, illustration notes and headings dropped."""
    text = _EQUALS_HEADING.sub("", _ILLUSTRATION.sub(" ", strip_gutenberg(text)))
    for block in paragraphs(text):
        if any(c.islower() for c in block):  # all-capitals blocks are titles and chapter headings
            yield from filter(has_letters, split_sentences(block))


def normalize_big(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """Norvig's big.txt: Gutenberg books, paragraphs -> sentences."""
    for path in files:
        yield from _prose(read_text(path, stats))


_CHAPTER_HEADING = re.compile(r"^\s*(?:CHAPTER \d+\.|Epilogue|EPILOGUE)[^\n]*\n", re.M)


def normalize_moby_dick(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """Moby-Dick: chapter headings dropped, paragraphs -> sentences."""
    for path in files:
        yield from _prose(_CHAPTER_HEADING.sub("\n", read_text(path, stats)))


# "(Applause.)", "[Laughter]", "(applause)" and "[missing text]" are transcript notes, not speech.
_SOTU_NOTE = re.compile(r"[(\[](?:applause|laughter|missing text)(?:\s+and\s+(?:applause|laughter))?\.?[)\]]", re.I)


def normalize_sotu(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """State of the Union: one speech per file -> sentences; transcript notes and list numbers dropped."""
    for path in files:
        for block in paragraphs(_SOTU_NOTE.sub(" ", read_text(path, stats))):
            yield from filter(has_letters, split_sentences(block))


_BROWN_QUOTES = {"``": '"', "''": '"'}


def brown_tokens(line: str, *, keep_tags: bool) -> list[str]:
    """The tokens of one Brown-corpus line, ``word/tag`` as is or just ``word``.

    The tag follows the last slash (a word may hold one: ``1/2/cd``). Without tags the corpus's
    LaTeX-style quote tokens become ``"``.

    Example:
        >>> brown_tokens("``/`` The/at jury/nn ''/'' ./.", keep_tags=False)
        ['"', 'The', 'jury', '"', '.']
    """
    tokens = line.split()
    if keep_tags:
        return tokens
    words = [tok.rsplit("/", 1)[0] if "/" in tok[1:] else tok for tok in tokens]
    return [_BROWN_QUOTES.get(w, w) for w in words]


def _brown(files: Sequence[Path], stats: FileStats, *, keep_tags: bool) -> Iterator[str]:
    for path in files:
        for line in read_text(path, stats).split("\n"):
            tokens = brown_tokens(line, keep_tags=keep_tags)
            if tokens:
                yield " ".join(tokens)


def normalize_brown(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """Brown corpus, tags stripped: one sentence per line."""
    return _brown(files, stats, keep_tags=False)


def normalize_brown_tagged(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """Brown corpus with ``word/tag`` tokens: one sentence per line."""
    return _brown(files, stats, keep_tags=True)


def normalize_wsj_tagged(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """WSJ sample with ``word/TAG`` tokens (Penn tagset), one line of the file per line, as is."""
    for path in files:
        for line in read_text(path, stats).split("\n"):
            if line.strip():
                yield " ".join(line.split())


def normalize_kjv(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """King James Bible: ``{"citation", "text", "book", "chapter", "verse"}`` lines -> sentences."""
    for path in files:
        bad = 0
        for line in read_text(path, stats).split("\n"):
            if not line.strip():
                continue
            try:
                text = json.loads(line)["text"]
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            # One verse (3 John 1:15) is the placeholder "[]": not text.
            if isinstance(text, str) and text.strip() != "[]":
                yield from split_sentences(text)
        if bad:
            logger.warning("%s: skipped %d lines that are not JSON objects with a 'text' field", path.name, bad)


def normalize_nlp_corpus(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """nlp-corpus: each file is a JSON list of sentences."""
    for path in files:
        try:
            sentences = json.loads(read_text(path, stats))
        except ValueError as exc:
            raise DataError(f"{path.name}: not valid JSON ({exc})") from exc
        if not isinstance(sentences, list):
            raise DataError(f"{path.name}: expected a JSON list of sentences, got {type(sentences).__name__}")
        yield from (s for s in sentences if isinstance(s, str))


# ---------------------------------------------------------------------------------------- Shakespeare

_ACT_NUMBER = r"(?:ACT|Act|SCENE|Scene)\s+(?:[IVXLC]+\b|\d+|FIRST|First)"
_PLAY_START = re.compile(rf"^(?:{_ACT_NUMBER}|(?:THE\s+)?(?:PROLOGUE|INDUCTION)\b)", re.M)
_BYLINE = re.compile(r"^\s*by William Shakespeare\s*$", re.M)
_STAGE_DIRECTION = re.compile(r"[\[{][^\]]*\]")  # "{" too: a few directions open with that typo
_SPEAKER = re.compile(r"^(?:\d+\.?\s+)?(?:[A-Z][A-Za-z'\-]*\.?\s+){0,3}[A-Z][A-Za-z'\-]*\.$")
_SHAKESPEARE_HEADING = re.compile(
    rf"^(?:{_ACT_NUMBER}.*|(?:THE\s+)?(?:PROLOGUE|EPILOGUE|INDUCTION|FINIS|THE END)\.?|[IVXLC]+\.?|[_\-=*\s]+)$"
)


def _is_speaker(line: str) -> bool:
    """``Ham.``, ``FIRST CITIZEN.``, ``1. CAR.``, or (A Midsummer Night's Dream) ``THESEUS`` without a period."""
    return bool(_SPEAKER.match(line)) or (line.isupper() and len(line.split()) <= 4 and line[-1].isalpha())


def _drop_front_matter(text: str) -> str:
    """Drop title and cast list: plays start at their first act/prologue/induction, poems after the byline."""
    play = _PLAY_START.search(text)
    if play:
        return text[play.start():]
    byline = _BYLINE.search(text)
    return text[byline.end():] if byline else text


def shakespeare_speeches(text: str) -> Iterator[str]:
    """The speeches (or stanzas) of one Gutenberg Shakespeare text, one string each.

    Stage directions (``[Exit.]``, possibly over several lines), act/scene headings, sonnet numbers
    and speaker tags (``Ham.``, ``FIRST CITIZEN.`` on their own line at the start of a block) are
    dropped; verse lines are joined with spaces.
    """
    text = _STAGE_DIRECTION.sub(" ", _drop_front_matter(strip_gutenberg(text)))
    for block in paragraphs(text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        lines = [line for line in lines if not _SHAKESPEARE_HEADING.match(line)]
        # A speaker tag opens a block; a lone upper-case tag (CHORUS.) may stand in a block of its own.
        if lines and _is_speaker(lines[0]) and (len(lines) > 1 or lines[0].isupper()):
            lines = lines[1:]
        if lines:
            yield " ".join(lines)


def normalize_shakespeare(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """Shakespeare: speeches split into sentences (see ``shakespeare_speeches``)."""
    for path in files:
        for speech in shakespeare_speeches(read_text(path, stats)):
            yield from filter(has_letters, split_sentences(speech))


# ---------------------------------------------------------------------------------------- Wikipedia

_WIKI_STOP_SECTIONS = frozenset({
    "references", "external links", "see also", "further reading", "notes", "bibliography", "sources",
    "footnotes", "citations", "notes and references", "references and notes", "works cited",
    "primary sources", "secondary sources",
})
_WIKI_DROP_TAGS = "ref|math|gallery|timeline|score|syntaxhighlight|source|pre|imagemap|references|chem|ce|hiero|graph"
_WIKI_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_WIKI_SELF_CLOSING = re.compile(rf"<(?:{_WIKI_DROP_TAGS})\b[^>]*/>", re.I)
_WIKI_DROP_BLOCK = re.compile(rf"<({_WIKI_DROP_TAGS})\b[^>]*>.*?</\1\s*>", re.I | re.S)
_WIKI_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*\b[^>]*>")
_WIKI_EXTERNAL = re.compile(r"\[(?:https?:|ftp:)?//[^\s\]]+(?:\s+([^\]\[]*))?\]")
_WIKI_BARE_URL = re.compile(r"https?://\S+")
_WIKI_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
_WIKI_DROP_NAMESPACES = frozenset({"file", "image", "category", "media"})
_WIKI_FILE_LINK = re.compile(r"\[\[\s*(?:file|image|category|media)\s*:", re.I)
_WIKI_INTERLANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z]+)*")
_WIKI_HEADING = re.compile(r"^(=+)\s*(.*?)\s*\1\s*$")
_WIKI_QUOTES = re.compile(r"'{2,}")
_WIKI_MAGIC = re.compile(r"__[A-Z]+__")
_WIKI_EMPTY_PARENS = re.compile(r"\(\s*[,;:]*\s*\)")
_WIKI_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])(?=\s|$)")


def strip_nested(text: str, opener: str, closer: str, *, start: re.Pattern[str] | None = None) -> str:
    """Remove every (possibly nested) ``opener ... closer`` span, e.g. ``{{...}}`` templates.

    With ``start``, only spans whose opening matches it are removed (``[[File:...]]`` but not other
    links). A stray closer is left in place; an opener that is never closed drops the rest of the
    text (it is markup gone wrong, and keeping it would leak template code into the corpus).

    Example:
        >>> strip_nested("a {{b|{{c}}}} d", "{{", "}}")
        'a  d'
    """
    token = re.compile(f"{re.escape(opener)}|{re.escape(closer)}")
    first = start or re.compile(re.escape(opener))
    out: list[str] = []
    pos = 0
    while match := first.search(text, pos):
        out.append(text[pos:match.start()])
        depth, pos = 0, len(text)
        for tok in token.finditer(text, match.start()):
            depth += 1 if tok.group() == opener else -1
            if depth == 0:
                pos = tok.end()
                break
    out.append(text[pos:])
    return "".join(out)


def _wiki_link(match: re.Match[str]) -> str:
    """``[[target|label]]`` -> label, ``[[target]]`` -> target; file, category and language links -> ''."""
    inner = match.group(1)
    target, pipe, label = inner.partition("|")
    namespace = target.split(":", 1)[0].strip().lower() if ":" in target else ""
    if namespace in _WIKI_DROP_NAMESPACES or (not pipe and _WIKI_INTERLANGUAGE.fullmatch(namespace)):
        return ""
    if not pipe:
        return target.lstrip(":")
    label = inner.rsplit("|", 1)[-1]
    if label.strip():
        return label
    # The "pipe trick": [[Paris (disambiguation)|]] shows "Paris".
    return re.sub(r"\s*\(.*\)\s*$", "", target.split(":")[-1])


def strip_wiki_markup(wikitext: str) -> str:
    """Plain text of a MediaWiki article: one paragraph or list item per line.

    Drops comments, ``<ref>``/``<math>``/... blocks, other tags (keeping their text), templates
    ``{{...}}`` and tables ``{|...|}`` (nested), file/image/category/language links, headings, and
    the reference-type sections (References, External links, See also, ...). Keeps the text of
    links (``[[a|b]]`` -> b, ``[[a]]`` -> a, ``[url text]`` -> text) and of bold/italic.

    Example:
        >>> strip_wiki_markup("'''Paris''' is the [[capital city|capital]] of [[France]].{{citation needed}}")
        'Paris is the capital of France.'
    """
    text = _WIKI_COMMENT.sub("", wikitext)
    text = _WIKI_SELF_CLOSING.sub("", text)
    text = _WIKI_DROP_BLOCK.sub("", text)
    text = strip_nested(text, "{{", "}}")
    text = strip_nested(text, "{|", "|}")
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = _WIKI_TAG.sub("", text)
    # File captions may hold links and single brackets, so they go as nested spans, not by regex.
    text = strip_nested(text, "[[", "]]", start=_WIKI_FILE_LINK)
    text = _WIKI_EXTERNAL.sub(lambda m: m.group(1) or "", text)
    while True:  # innermost links first, so a file caption's links go before the file link itself
        text, n = _WIKI_LINK.subn(_wiki_link, text)
        if not n:
            break
    text = _WIKI_QUOTES.sub("", _WIKI_MAGIC.sub("", text))
    lines = []
    skipping = False
    for line in text.split("\n"):
        line = line.strip()
        heading = _WIKI_HEADING.match(line)
        if heading:
            skipping = heading.group(2).strip().lower() in _WIKI_STOP_SECTIONS
            continue
        if skipping or not line or line[0] in "|!{}":  # table rows left by a broken table
            continue
        line = line.lstrip("*#:; ").replace("[[", "").replace("]]", "").replace("}}", "")
        line = _WIKI_BARE_URL.sub("", html.unescape(line))
        line = _WIKI_SPACE_BEFORE_PUNCT.sub(r"\1", _WIKI_EMPTY_PARENS.sub("", line))
        line = normalize_whitespace(line)
        if line:
            lines.append(line)
    return "\n".join(lines)


def wiki_articles(path: Path) -> Iterator[tuple[str, str]]:
    """``(title, wikitext)`` of each article page (namespace 0, not a redirect) in a ``.xml.bz2`` dump.

    The dump is read incrementally with ``iterparse``. The file is the checksum-verified gensim test
    file, so XML entity tricks are not a concern.
    """
    with bz2.open(path, "rb") as f:
        try:
            for _, elem in ET.iterparse(f, events=("end",)):
                if elem.tag.rsplit("}", 1)[-1] != "page":
                    continue
                title = elem.findtext("{*}title") or ""
                namespace = elem.findtext("{*}ns") or "0"
                text = elem.findtext("{*}revision/{*}text") or ""
                redirect = elem.find("{*}redirect") is not None or text.lstrip().lower().startswith("#redirect")
                elem.clear()
                if namespace == "0" and not redirect:
                    yield title, text
        except (ET.ParseError, OSError, EOFError) as exc:
            raise DataError(f"{path.name}: not a readable bz2 MediaWiki XML dump ({exc})") from exc


def normalize_wiki(files: Sequence[Path], stats: FileStats) -> Iterator[str]:
    """Wikipedia dump: articles -> plain text lines -> sentences (ones without letters dropped)."""
    for path in files:
        for _, wikitext in wiki_articles(path):
            for line in strip_wiki_markup(wikitext).split("\n"):
                yield from filter(has_letters, split_sentences(line))


# ---------------------------------------------------------------------------------------- other builders


def _corpus_builder(normalize: Normalizer) -> Builder:
    """A builder writing ``corpus.txt`` from a normalizer."""

    def build(inputs: Sequence[Path], out_dir: Path, progress: bool) -> dict[str, FileStats]:
        stats = FileStats()
        write_sentences(out_dir / CORPUS_FILE, normalize(inputs, stats), stats, progress=progress)
        return {CORPUS_FILE: stats}

    build.__doc__ = normalize.__doc__
    return build


_MR_LABELS = {"1": 1, "-1": 0}


def build_mr(inputs: Sequence[Path], out_dir: Path, progress: bool) -> dict[str, FileStats]:
    """MR polarity CSV (``"1","text"`` / ``"-1","text"``) -> ``mr.tsv`` with labels 1 / 0."""
    stats = FileStats()
    with open(out_dir / "mr.tsv", "w", encoding="utf-8", newline="\n") as out:
        for path in inputs:
            rows = csv.reader(read_text(path, stats).splitlines(keepends=True))
            for lineno, row in enumerate(rows, 1):
                if not row:
                    continue
                if len(row) != 2 or row[0].strip() not in _MR_LABELS:
                    raise DataError(f"{path.name}:{lineno}: expected '\"1\" or \"-1\",\"text\"', got {row!r:.80}")
                text = clean_line(row[1])
                if text:
                    out.write(f"{_MR_LABELS[row[0].strip()]}\t{text}\n")
                    stats.n_sentences += 1
                    stats.n_tokens += count_words(text)
    return {"mr.tsv": stats}


def build_vectors(inputs: Sequence[Path], out_dir: Path, progress: bool) -> dict[str, FileStats]:
    """A gensim ``.kv`` pickle -> ``vectors.bin`` (word2vec binary), read without running pickle code."""
    from embedlab.io.gensim_kv import load_gensim_kv
    from embedlab.io.word2vec import save_word2vec

    (path,) = inputs
    words, vectors = load_gensim_kv(path)
    save_word2vec(out_dir / "vectors.bin", words, vectors, binary=True)
    return {"vectors.bin": FileStats(extra={"n_vectors": len(words), "dim": int(vectors.shape[1])})}


def build_onnx_model(inputs: Sequence[Path], out_dir: Path, progress: bool) -> dict[str, FileStats]:
    """One ``.onnx`` file -> ``model.onnx`` (checked to be an ONNX protobuf, not loaded)."""
    (path,) = inputs
    with open(path, "rb") as f:
        head = f.read(2)
    if len(head) < 2 or head[0] != 0x08:  # every ONNX ModelProto starts with field 1 (ir_version), varint
        raise DataError(f"{path.name}: not an ONNX model file")
    shutil.copyfile(path, out_dir / "model.onnx")
    return {"model.onnx": FileStats(extra={"bytes": (out_dir / "model.onnx").stat().st_size})}


def split_of_block(block: int) -> str:
    """The en-mix split of a 50-sentence block: valid 1%, test 1%, train 98%.

    Example:
        >>> [split_of_block(b) for b in (0, 1, 2, 99, 100, 101)]
        ['valid', 'test', 'train', 'train', 'valid', 'test']
    """
    phase = block % SPLIT_PERIOD
    return "valid" if phase == 0 else "test" if phase == 1 else "train"


def build_mixture(inputs: Sequence[Path], out_dir: Path, progress: bool) -> dict[str, FileStats]:
    """Concatenate corpus files (in order) and cut them into ``train/valid/test.txt``.

    The stream is cut into contiguous blocks of ``BLOCK_SIZE`` sentences and each block goes to the
    split ``split_of_block`` names, so the splits are deterministic and contiguous text stays
    together (an LM's context never straddles two splits).
    """
    stats = {name: FileStats() for name in ("train", "valid", "test")}
    index = 0
    with contextlib.ExitStack() as stack:
        files = {name: stack.enter_context(open(out_dir / f"{name}.txt", "w", encoding="utf-8", newline="\n"))
                 for name in stats}
        bar = stack.enter_context(tqdm(desc="splitting", unit=" sent", disable=not progress, leave=False))
        for path in inputs:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if not line:
                        continue
                    name = split_of_block(index // BLOCK_SIZE)
                    files[name].write(line + "\n")
                    stats[name].n_sentences += 1
                    stats[name].n_tokens += count_words(line)
                    index += 1
                    bar.update(1)
    return {f"{name}.txt": s for name, s in stats.items()}


BUILDERS: dict[str, Builder] = {
    "sotu": _corpus_builder(normalize_sotu),
    "brown": _corpus_builder(normalize_brown),
    "brown-tagged": _corpus_builder(normalize_brown_tagged),
    "big": _corpus_builder(normalize_big),
    "moby-dick": _corpus_builder(normalize_moby_dick),
    "wiki205": _corpus_builder(normalize_wiki),
    "wsj-tagged": _corpus_builder(normalize_wsj_tagged),
    "kjv": _corpus_builder(normalize_kjv),
    "shakespeare": _corpus_builder(normalize_shakespeare),
    "nlp-corpus": _corpus_builder(normalize_nlp_corpus),
    "mr": build_mr,
    "googlenews-13k": build_vectors,
    "mixture": build_mixture,
    "onnx_model": build_onnx_model,
}
