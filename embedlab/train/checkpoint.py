"""Training checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint folder holds ``model.safetensors`` (the model's state dict), ``optim.safetensors``
(every tensor of every optimizer's state), ``state.json`` (optimizer scalars and param groups,
the loop position, the RNG states as tensors' shapes) and is written to a temporary folder that
replaces the old one in one rename, so a kill during a save leaves the previous checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from embedlab.errors import ModelFormatError


def state_tensors(model: nn.Module) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The model's state dict with each shared tensor once (tied weights), and the aliases dropped.

    safetensors refuses two names for one storage; a tied model (decoder.weight is
    embedding.weight) is saved once and re-tied by the model's own constructor on load.
    """
    weights: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[int, int, tuple[int, ...]], str] = {}
    for name, tensor in model.state_dict().items():
        key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        if tensor.numel() and key in seen:
            aliases[name] = seen[key]
            continue
        seen[key] = name
        weights[name] = tensor.detach().contiguous().cpu()
    return weights, aliases


def load_state_tensors(model: nn.Module, weights: dict[str, torch.Tensor], aliases: dict[str, str]) -> None:
    """Load what ``state_tensors`` wrote; the aliased names must be tied in ``model`` already.

    Raises:
        ModelFormatError: names missing from the file, unexpected names, or an alias that the model
            does not tie (loading it would silently leave random weights).
    """
    missing, unexpected = model.load_state_dict(weights, strict=False)
    untied = [name for name in missing if name not in aliases]
    if untied or unexpected:
        raise ModelFormatError(f"weights do not fit the model: missing {untied}, unexpected {list(unexpected)}")
    state = model.state_dict()
    for name, original in aliases.items():
        if name not in state or original not in state or state[name].data_ptr() != state[original].data_ptr():
            raise ModelFormatError(f"{name} is stored as a tie to {original}, but the model does not tie them")


def save_checkpoint(folder: str | Path, model: nn.Module, optimizers: list[torch.optim.Optimizer],
                    position: dict[str, Any], rng: dict[str, torch.Tensor]) -> None:
    """Write a checkpoint atomically (see the module docstring)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        weights, aliases = state_tensors(model)
        save_file(weights, str(tmp / "model.safetensors"))
        tensors: dict[str, torch.Tensor] = {f"rng/{k}": v.contiguous() for k, v in rng.items()}
        optim_json = []
        for i, opt in enumerate(optimizers):
            sd = opt.state_dict()
            scalars: dict[str, dict[str, Any]] = {}
            for pid, pstate in sd["state"].items():
                for key, value in pstate.items():
                    if torch.is_tensor(value):
                        tensors[f"optim/{i}/{pid}/{key}"] = value.detach().contiguous().cpu()
                    else:
                        scalars.setdefault(str(pid), {})[key] = value
            optim_json.append({"param_groups": sd["param_groups"], "scalars": scalars})
        save_file(tensors, str(tmp / "optim.safetensors"))
        state = {"position": position, "optimizers": optim_json, "aliases": aliases}
        (tmp / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
        old = folder.with_name(folder.name + ".old")
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_checkpoint(folder: str | Path, model: nn.Module, optimizers: list[torch.optim.Optimizer]
                    ) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Restore model and optimizers in place; return the loop position and the RNG states.

    Raises:
        ModelFormatError: the checkpoint is truncated, corrupt or from a different model.
    """
    folder = Path(folder)
    try:
        weights = load_file(str(folder / "model.safetensors"))
        tensors = load_file(str(folder / "optim.safetensors"))
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        load_state_tensors(model, weights, state.get("aliases", {}))
    except (OSError, ValueError, SafetensorError, RuntimeError, KeyError) as exc:
        raise ModelFormatError(f"{folder}: cannot resume from this checkpoint ({exc}); "
                               "delete it to start over") from exc
    if len(state["optimizers"]) != len(optimizers):
        raise ModelFormatError(f"{folder}: checkpoint has {len(state['optimizers'])} optimizers, run has {len(optimizers)}")
    for i, (opt, saved) in enumerate(zip(optimizers, state["optimizers"], strict=True)):
        per_param: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            parts = key.split("/")
            if parts[0] == "optim" and parts[1] == str(i):
                per_param.setdefault(int(parts[2]), {})[parts[3]] = value
        for pid, scalars in saved["scalars"].items():
            per_param.setdefault(int(pid), {}).update(scalars)
        opt.load_state_dict({"state": per_param, "param_groups": saved["param_groups"]})
    rng = {k.removeprefix("rng/"): v for k, v in tensors.items() if k.startswith("rng/")}
    return state["position"], rng
