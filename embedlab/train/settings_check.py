"""Every training setting is checked before anything is read or allocated.

One table of rules by setting name serves every ``*TrainConfig`` (a ``hidden`` or an ``lr`` means the
same thing in each), called from their ``__post_init__``, so the Python API and the CLI refuse the
same values with the same one-line message naming the option and the accepted range. Sizes that
pass the rules but would not fit in memory are caught by ``check_memory`` before allocation.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from embedlab.errors import EmbedlabError


class SettingError(EmbedlabError, ValueError):
    """A setting outside its accepted range."""


# name -> (test, what the message says is accepted); None always passes (a default chosen later).
Rule = tuple[Callable[[Any], bool], str]


def _integer(low: int) -> Rule:
    return (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low), f"a whole number >= {low}"


def _number(low: float, high: float = math.inf, *, low_open: bool = False, high_open: bool = False) -> Rule:
    def test(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        return (v > low if low_open else v >= low) and (v < high if high_open else v <= high)

    left, right = "(" if low_open else "[", ")" if high_open or high == math.inf else "]"
    return test, (f"a number > {low:g}" if high == math.inf and low_open else
                  f"a number >= {low:g}" if high == math.inf else f"a number in {left}{low:g}, {high:g}{right}")


COUNT, COUNT0 = _integer(1), _integer(0)
POSITIVE, NONNEGATIVE = _number(0, low_open=True), _number(0)
PROBABILITY, FRACTION, OPEN = _number(0, 1), _number(0, 1, high_open=True), _number(0, 1, low_open=True, high_open=True)

RULES: dict[str, Rule] = {
    **dict.fromkeys(("dim", "hidden", "emb", "layers", "epochs", "batch_size", "max_steps", "max_tokens",
                     "max_sentences", "negatives", "window", "min_count", "bptt", "eval_sentences", "eval_tokens",
                     "sentence_dim", "word_dim", "max_vocab", "max_length", "neighbours", "position_dim",
                     "curriculum_start", "context_tokens", "disc_hidden", "disc_layers", "disc_heads", "heads", "chunk_sentences"), COUNT),
    **dict.fromkeys(("eval_every", "warmup_steps", "curriculum_steps", "extra_blocks", "checkpoint_every"), COUNT0),
    **dict.fromkeys(("lr", "disc_lr", "max_minutes", "temperature", "target_scale", "sif_a"), POSITIVE),
    **dict.fromkeys(("grad_clip", "weight_decay", "lambda_rtd", "neg_power", "proj_reg", "sample"), NONNEGATIVE),
    **dict.fromkeys(("dropout", "word_dropout", "previous_dropout", "valid_share"), FRACTION),
    "match_drop": PROBABILITY,
    "mask_ratio": OPEN,
    "lr_decay": _number(0, 1, low_open=True),
    "anneal": _number(0, 1, low_open=True),
    "vocab_size": _integer(3),  # the two specials and at least one word
}

def flag(name: str, flags: dict[str, str] | None = None) -> str:
    """How the option is written on the command line and in Python: ``--hidden``, ``--vocab (vocab_size)``."""
    cli = (flags or {}).get(name, "--" + name.replace("_", "-"))
    return cli if cli.lstrip("-").replace("-", "_") == name else f"{cli} ({name})"


# Outside training (sampling, evaluation) a few names accept more: 0 tokens, greedy decoding.
USE_RULES: dict[str, Rule] = {"max_tokens": COUNT0, "temperature": NONNEGATIVE, "top_k": COUNT0,
                              "top_p": _number(0, 1, low_open=True)}


def check_values(flags: dict[str, str] | None = None, rules: dict[str, Rule] | None = None, **values: Any) -> None:
    """Refuse the first keyword value that breaks its rule (``rules`` first, then ``RULES``); None passes.

    Raises:
        SettingError: the message names the option, the accepted range and the value.
    """
    for name, value in values.items():
        rule = (rules or {}).get(name) or RULES.get(name)
        if rule is not None and value is not None and not rule[0](value):
            raise SettingError(f"{flag(name, flags)} must be {rule[1]}, got {value!r}")


def check_settings(config: Any, flags: dict[str, str] | None = None) -> None:
    """Refuse the first setting of the dataclass ``config`` that breaks its rule.

    Args:
        flags: where the command line spells a setting differently from the field (``{"vocab_size": "--vocab"}``).

    Raises:
        SettingError: the message names the option, the accepted range and the value.
    """
    check_values(flags, **{f.name: getattr(config, f.name) for f in fields(config)})


def available_memory() -> int | None:
    """Physical memory of the machine in bytes (None where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(n_bytes: float, what: str, hint: str) -> None:
    """Refuse a model whose training state would not fit in this machine's memory.

    Raises:
        SettingError: ``what`` needs more than the machine has; ``hint`` says which option to lower.
    """
    total = available_memory()
    if total is not None and n_bytes > total:
        raise SettingError(f"{what} would need about {n_bytes / 2**30:,.1f} GiB to train, more than this "
                           f"machine's {total / 2**30:,.1f} GiB; {hint}")


def check_module_memory(build: Callable[[], Any], what: str, hint: str) -> None:
    """``check_memory`` for the module ``build()`` makes, sized on the meta device (nothing allocated):
    weights, gradients and two Adam moments, four copies."""
    import torch

    with torch.device("meta"):
        module = build()
    size = sum(t.numel() * t.element_size() for t in [*module.parameters(), *module.buffers()])
    check_memory(4 * size, what, hint)
