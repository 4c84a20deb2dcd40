"""A random 1-layer, 16-wide BERT with a WordPiece vocabulary of a corpus, saved as a Hugging Face
folder (model + tokenizer.json): for unit tests and the reliability catalogue only (its vectors mean
nothing)."""

from __future__ import annotations

from pathlib import Path


def write_tiny_teacher(folder: Path, corpus: Path) -> Path:
    """Build the model into ``folder`` (created) with the 300 commonest words of ``corpus`` as whole
    WordPiece tokens and single letters for the rest; returns ``folder``."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    from embedlab.data.tokenize import WordTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    words: dict[str, int] = {}
    tok = WordTokenizer()
    for line in corpus.read_text(encoding="utf-8").splitlines():
        for w in tok.tokenize(line):
            words[w] = words.get(w, 0) + 1
    common = sorted(words, key=lambda w: -words[w])[:300]
    letters = sorted({c for w in words for c in w})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *common, *(f"##{c}" for c in letters),
             *(c for c in letters if c not in common)]
    vocab = list(dict.fromkeys(vocab))
    wp = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]",
                                                      special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    wp.save(str(folder / "tokenizer.json"))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)
    transformers.BertModel(config).eval().save_pretrained(str(folder))
    return folder
