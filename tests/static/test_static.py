"""StaticEmbeddings queries checked against hand computations and gensim; the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

import embedlab
from embedlab.errors import ModelFormatError
from embedlab.static.embeddings import StaticEmbeddings


def test_lookup_and_similarity(tiny_kv: StaticEmbeddings) -> None:
    assert "king" in tiny_kv and "kingdom" not in tiny_kv
    a, b = tiny_kv["king"], tiny_kv["queen"]
    expected = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert tiny_kv.similarity("king", "queen") == pytest.approx(expected, abs=1e-6)
    assert tiny_kv[["king", "queen"]].shape == (2, 16)
    with pytest.raises(KeyError, match="kingdom"):
        tiny_kv["kingdom"]


def test_most_similar_matches_gensim(tiny_kv: StaticEmbeddings) -> None:
    gensim_models = pytest.importorskip("gensim.models")
    kv = gensim_models.KeyedVectors(vector_size=tiny_kv.dim)
    kv.add_vectors(tiny_kv.index_to_key, tiny_kv.vectors)
    for pos, neg in ((["king", "woman"], ["man"]), (["apple"], []), ([], ["car"])):
        ours = tiny_kv.most_similar(positive=pos, negative=neg, topn=4)
        theirs = kv.most_similar(positive=pos, negative=neg, topn=4)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert [w for w, _ in tiny_kv.most_similar("king", topn=3, restrict_vocab=5)] == [
        w for w, _ in kv.most_similar("king", topn=3, restrict_vocab=5)
    ]


def test_encode_mean_and_sif_by_hand() -> None:
    vecs = np.array([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0]], dtype=np.float32)
    kv = StaticEmbeddings(["a", "b", "c"], vecs, counts=[6, 3, 1])
    out = kv.encode(["A b", "b zzz", "zzz", "c a"])
    np.testing.assert_allclose(out[0], [0.5, 1.0])
    np.testing.assert_allclose(out[1], [0.0, 2.0])
    np.testing.assert_allclose(out[2], [0.0, 0.0])  # no known word -> zero vector
    sif = kv.encode(["a c"], pooling="sif", sif_a=0.1)[0]
    wa, wc = 0.1 / (0.1 + 0.6), 0.1 / (0.1 + 0.1)
    np.testing.assert_allclose(sif, (wa * vecs[0] + wc * vecs[2]) / (wa + wc), rtol=1e-6)
    unit = kv.encode(["c"], normalize_embeddings=True)[0]
    assert np.linalg.norm(unit) == pytest.approx(1.0)


def test_case_sensitive_table_falls_back_to_lowercase() -> None:
    kv = StaticEmbeddings(["Paris", "city"], np.eye(2), lowercase=False)
    np.testing.assert_allclose(kv.encode(["Paris CITY"])[0], [0.5, 0.5])


def test_constructor_validation() -> None:
    with pytest.raises(ModelFormatError, match="2 words but 3 vectors"):
        StaticEmbeddings(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ModelFormatError, match="NaN or inf"):
        StaticEmbeddings(["a", "b"], np.array([[0.0, np.inf], [1.0, 1.0]]))
    kv = StaticEmbeddings(["a", "b", "a"], np.array([[1.0], [2.0], [3.0]]))
    assert kv.index_to_key == ["a", "b"] and kv["a"][0] == 1.0


def test_folder_round_trip_and_hf_tokenizer(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    folder = tiny_kv.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors", "tokenizer.json"]
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "static" and config["format_version"] == 1
    loaded = embedlab.load(folder)
    assert isinstance(loaded, StaticEmbeddings)
    assert loaded.index_to_key == tiny_kv.index_to_key
    np.testing.assert_array_equal(loaded.vectors, tiny_kv.vectors)
    np.testing.assert_array_equal(loaded.counts, tiny_kv.counts)  # type: ignore[arg-type]
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    assert tok.token_to_id("queen") == tiny_kv.key_to_index["queen"]


def test_corrupt_folders_give_clear_errors(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    folder = tiny_kv.save(tmp_path / "m")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelFormatError, match="truncated or corrupt"):
        embedlab.load(folder)
    folder = tiny_kv.save(tmp_path / "m2")
    (folder / "config.json").write_text('{"model_type": "static"')
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        embedlab.load(folder)
    (folder / "config.json").write_text('{"model_type": "warp-drive"}')
    with pytest.raises(ModelFormatError, match="unknown model_type"):
        embedlab.load(folder)
    (folder / "config.json").write_text('{"model_type": "static", "format_version": 99}')
    with pytest.raises(ModelFormatError, match="newer"):
        embedlab.load(folder)
    with pytest.raises(ModelFormatError, match="no config.json"):
        embedlab.load(tmp_path)


def test_dimension_mismatch_between_files(tmp_path: Path) -> None:
    small = StaticEmbeddings(["a", "b"], np.eye(2)).save(tmp_path / "small")
    StaticEmbeddings(["a", "b", "c"], np.eye(3)).save(tmp_path / "big")
    (tmp_path / "small" / "tokenizer.json").write_text((tmp_path / "big" / "tokenizer.json").read_text())
    with pytest.raises(ModelFormatError, match="3 words but embeddings have shape"):
        embedlab.load(small)


def test_save_over_existing_folder_is_replaced(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    StaticEmbeddings(["x"], np.ones((1, 3))).save(tmp_path / "m")
    tiny_kv.save(tmp_path / "m")
    assert len(embedlab.load(tmp_path / "m")) == len(tiny_kv)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".m.")]  # no temp folder left


def test_saved_tokenizer_never_maps_unknown_words_to_a_real_row(tmp_path: Path) -> None:
    folder = StaticEmbeddings(["the", "King", "cat"], np.eye(3), lowercase=False).save(tmp_path / "m")
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    assert tok.encode("King cat").ids == [1, 2]
    with pytest.raises(Exception, match="Missing"):  # HF tokenizers refuses rather than guessing
        tok.encode("King zebra")


def test_capitalised_keys_are_found_whatever_the_case_flag() -> None:
    for lowercase in (True, False):
        kv = StaticEmbeddings(["the", "King"], np.eye(2), lowercase=lowercase)
        np.testing.assert_allclose(kv.encode(["King"])[0], [0.0, 1.0])
        np.testing.assert_allclose(kv.encode(["THE king"])[0], [0.5, 0.5])


def test_query_validation(tiny_kv: StaticEmbeddings) -> None:
    with pytest.raises(ValueError, match="shape"):
        tiny_kv.most_similar(np.ones(7))
    with pytest.raises(ValueError, match="finite"):
        tiny_kv.most_similar(np.full(tiny_kv.dim, np.nan))
    with pytest.raises(ValueError, match="topn"):
        tiny_kv.most_similar("king", topn=-1)
    with pytest.raises(TypeError):
        tiny_kv.encode(["king"], poolng="sif")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('{"model_type": ["static"]}', "model_type"),
        ('{"model_type": "static", "format_version": "1"}', "must be an integer"),
        ('{"model_type": "static", "dim": "16"}', "config says dim '16'"),
    ],
)
def test_config_field_types_are_checked(tiny_kv: StaticEmbeddings, tmp_path: Path, config: str, message: str) -> None:
    folder = tiny_kv.save(tmp_path / "m")
    (folder / "config.json").write_text(config)
    with pytest.raises(ModelFormatError, match=message):
        embedlab.load(folder)


def test_tokenizer_with_a_list_vocab_is_refused(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    folder = tiny_kv.save(tmp_path / "m")
    (folder / "tokenizer.json").write_text('{"model": {"vocab": ["a", "b"]}}')
    with pytest.raises(ModelFormatError, match="integer ids"):
        embedlab.load(folder)


def test_a_failed_save_leaves_the_old_folder_and_other_files_stay(tiny_kv: StaticEmbeddings, tmp_path: Path) -> None:
    from embedlab.io.folder import WEIGHTS_NAME, staged_folder

    folder = tmp_path / "kv"
    tiny_kv.save(folder)
    (folder / "README.md").write_text("notes", encoding="utf-8")
    before = (folder / WEIGHTS_NAME).read_bytes()
    with pytest.raises(RuntimeError), staged_folder(folder) as tmp:
        (tmp / WEIGHTS_NAME).write_bytes(b"half a file")
        raise RuntimeError("killed while saving")
    assert (folder / WEIGHTS_NAME).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kv"]  # no temp folder left behind
    tiny_kv.save(folder)
    assert (folder / "README.md").read_text(encoding="utf-8") == "notes"
    assert np.allclose(embedlab.load(folder).vectors, tiny_kv.vectors)
