"""A run folder has one owner: the command that trains (or writes) into it.

Every trainer and exporter claims its output folder with ``claim_folder`` before writing anything.
The claim records what the folder holds in ``run-settings.json``: the kind of run, its settings
and a fingerprint of its data. Claiming it again:

- with the same kind, data and settings resumes (a setting in ``RESUMABLE``, such as the learning
  rate or the number of epochs, may change: it is applied, and said);
- with anything else is refused with an ``OutputFolderError`` that says what differs, unless
  ``overwrite=True``, which replaces the whole folder (moved aside in one rename, then deleted, so
  no stale file of the old run survives);
- a folder that holds something else (another model, an unrelated file) is never written into
  without ``overwrite``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from embedlab.errors import EmbedlabError

logger = logging.getLogger(__name__)

IDENTITY_NAME = "run-settings.json"

# Settings that may change when a run resumes: how long, how often to validate, the learning rate.
RESUMABLE = frozenset({"lr", "epochs", "max_steps", "max_tokens", "max_minutes", "eval_every", "eval_tokens",
                       "eval_sentences", "checkpoint_every", "log_every", "progress", "num_workers"})


class OutputFolderError(EmbedlabError):
    """The output folder holds another run or model, or is not a folder."""


@dataclass(frozen=True)
class RunIdentity:
    """What a folder holds: ``kind`` (e.g. ``"lm"``), ``settings`` (JSON values) and ``data`` (a
    fingerprint of the training data, see ``fingerprint``)."""

    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    data: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "data": self.data, "settings": _jsonable(self.settings)}


def fingerprint(texts: Iterable[str | bytes], what: str = "texts") -> str:
    """sha256 of the training data as the trainer sees it (lines of a file, of a registered corpus or
    of a list alike; token ids as bytes)."""
    digest = hashlib.sha256()
    count = 0
    for text in texts:
        digest.update(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
        count += 1
    return f"{count:,} {what}, sha256 {digest.hexdigest()[:16]}"


def module_bytes(module: Any) -> Iterator[bytes]:
    """A torch module's tensors as raw bytes (any dtype), for ``fingerprint``: a run that starts from
    other weights is another run."""
    for tensor in module.state_dict().values():
        yield tensor.detach().cpu().contiguous().flatten().view(torch.uint8).numpy().tobytes()


def claim_folder(folder: str | Path, identity: RunIdentity, *, overwrite: bool = False) -> bool:
    """Make ``folder`` this run's; return True when it resumes a run already there. Under torchrun,
    rank 0 claims and every rank gets its answer.

    Raises:
        OutputFolderError: ``folder`` is a file, or holds another run or model and ``overwrite`` is
            False (the message says what differs and how to go on).
    """
    from embedlab.train.loop import distributed

    rank, world = distributed()
    if world == 1:
        return _claim(Path(folder), identity, overwrite)
    import torch.distributed as dist

    box: list[Any] = [None]
    if rank == 0:
        try:
            box = [_claim(Path(folder), identity, overwrite)]
        except OutputFolderError as exc:
            box = [str(exc)]
    dist.broadcast_object_list(box, src=0)
    if isinstance(box[0], str):
        raise OutputFolderError(box[0])
    return bool(box[0])


def _claim(folder: Path, identity: RunIdentity, overwrite: bool) -> bool:
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{folder} is a file, not a folder; give --out a folder name")
    new = identity.to_json()
    old = read_identity(folder)
    if folder.is_dir() and any(p.name != IDENTITY_NAME for p in folder.iterdir()):
        if overwrite:
            replace_folder(folder)
            logger.info("%s: replaced the folder's old contents (--overwrite)", folder)
        elif old is None:
            raise OutputFolderError(f"{folder} already holds {_describe(folder)}; choose another --out, "
                                    "or add --overwrite to replace it")
        else:
            differences = _differences(old, new)
            if differences:
                raise OutputFolderError(
                    f"{folder} holds another run ({'; '.join(differences)}). Re-run its own command to resume "
                    "it, choose another --out, or add --overwrite to replace it")
            for key in sorted(RESUMABLE & set(new["settings"])):
                if old["settings"].get(key) != new["settings"][key]:
                    logger.warning("%s: %s changed from %s to %s; applied to the resumed run", folder, key,
                                   old["settings"].get(key), new["settings"][key])
            write_identity(folder, new)
            return True
    folder.mkdir(parents=True, exist_ok=True)
    write_identity(folder, new)
    return False


def read_identity(folder: Path) -> dict[str, Any] | None:
    path = folder / IDENTITY_NAME
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) and isinstance(value.get("settings"), dict) else None


def write_identity(folder: Path, identity: dict[str, Any]) -> None:
    """Written through a temp file and a rename: a kill leaves the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{IDENTITY_NAME}.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(identity, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, folder / IDENTITY_NAME)


def replace_folder(folder: Path) -> None:
    """Empty ``folder`` as a whole: moved aside in one rename (then deleted), so nothing stale stays."""
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.replaced.", dir=folder.parent))
    os.replace(folder, aside / folder.name)
    folder.mkdir()
    shutil.rmtree(aside, ignore_errors=True)


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    if old.get("kind") != new["kind"]:
        return [f"a {old.get('kind')!r} run, not {new['kind']!r}"]
    if old.get("data") != new["data"]:
        out.append(f"trained on other data: {old.get('data')} vs {new['data']}")
    before, after = old["settings"], new["settings"]
    for key in sorted(set(before) | set(after)):
        if key not in RESUMABLE and before.get(key) != after.get(key):
            out.append(f"{key} {before.get(key)!r} -> {after.get(key)!r}")
    return out


def _describe(folder: Path) -> str:
    config = folder / "config.json"
    if config.is_file():
        try:
            kind = json.loads(config.read_text(encoding="utf-8")).get("model_type")
        except (OSError, ValueError, UnicodeDecodeError, AttributeError):
            kind = None
        if kind:
            return f"a {kind!r} model"
    names = sorted(p.name for p in folder.iterdir())
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    return f"files that no embedlab run wrote ({shown})"


def _jsonable(value: Any) -> Any:
    """Settings as JSON reads them back (tuples as lists, paths as strings), to compare with the file."""
    return json.loads(json.dumps(value, default=str))
