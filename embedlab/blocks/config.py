"""The base of every model's settings: a dataclass that round-trips through config.json."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

C = TypeVar("C", bound="ModelConfig")


class ModelConfig:
    """Mixin for ``@dataclass`` settings: ``as_dict`` for config.json, ``from_dict`` ignoring unknown keys.

    Unknown keys are ignored so a folder written by a newer embedlab with an extra setting still loads.
    """

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})
