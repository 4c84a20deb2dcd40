"""Read gensim ``KeyedVectors.save`` files (``.kv``/``.model`` pickles) without running their code.

A gensim save is a Python pickle, and unpickling an untrusted pickle can run anything. embedlab never
executes code from a file, so this module unpickles with a restricted ``find_class``:

- the numpy callables that rebuild arrays, scalars and dtypes (``_reconstruct``, ``scalar``,
  ``_frombuffer``, ``ndarray``, ``dtype``; under ``numpy.core`` or ``numpy._core``) are allowed, and
  so is ``_codecs.encode`` with the latin-1 codec, which protocol-2 pickles use to store bytes;
- gensim's classes (``KeyedVectors``, ``Word2VecKeyedVectors``, ``Vocab``, ...) are replaced by an
  inert ``GensimObject`` that only stores the pickled state dict;
- anything else raises ``ModelFormatError``.

Layouts read: gensim 3.x (``vectors`` or ``syn0`` + ``index2word``/``index2entity`` or a ``vocab``
dict of ``Vocab(index=...)``) and gensim 4.x (``index_to_key`` + ``vectors``). Arrays that gensim
stored beside the pickle (``PATH.vectors.npy``, listed in ``__numpys``) are read with
``np.load(allow_pickle=False)``.

Example:
    >>> words, vectors = load_gensim_kv("test_model.kv")  # doctest: +SKIP
    >>> len(words), vectors.shape  # doctest: +SKIP
    (13013, (13013, 300))
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from embedlab.errors import ModelFormatError

# (module, name) pairs that rebuild numpy objects; module names are pickled as numpy.core.* by numpy 1.x
# and numpy._core.* by numpy 2.x, either may come with a file.
_NUMPY_CALLABLES = frozenset({
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
})
_GENSIM_MODULES = ("gensim.models.keyedvectors", "gensim.models.deprecated.keyedvectors",
                   "gensim.models.word2vec", "gensim.models.deprecated.word2vec", "gensim.models.fasttext")
_GENSIM_CLASSES = frozenset({"KeyedVectors", "Word2VecKeyedVectors", "BaseKeyedVectors", "EuclideanKeyedVectors",
                             "FastTextKeyedVectors", "Doc2VecKeyedVectors", "Vocab", "CompatVocab"})
_VECTOR_ATTRS = ("vectors", "syn0")
_KEY_LISTS = ("index_to_key", "index2word", "index2entity")


class GensimObject:
    """Inert stand-in for a pickled gensim object: keeps the pickled state, runs nothing."""

    gensim_class: ClassVar[str] = ""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: object) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
            state = state[0]
        self.state = state if isinstance(state, dict) else {}


_stand_ins: dict[str, type[GensimObject]] = {}


def _stand_in(module: str, name: str) -> type[GensimObject]:
    """One ``GensimObject`` subclass per gensim class, so the placeholder still says what it was."""
    qualified = f"{module}.{name}"
    if qualified not in _stand_ins:
        _stand_ins[qualified] = type(name, (GensimObject,), {"gensim_class": qualified})
    return _stand_ins[qualified]


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can only build numpy arrays, plain containers and gensim placeholders."""

    def find_class(self, module: str, name: str) -> Any:
        legacy = module.replace("numpy._core", "numpy.core", 1)
        if (legacy, name) in _NUMPY_CALLABLES:
            return _numpy_attr(legacy, name)
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if module in _GENSIM_MODULES and name in _GENSIM_CLASSES:
            return _stand_in(module, name)
        raise ModelFormatError(
            f"refusing to load {module}.{name} from a gensim file: only numpy arrays and gensim KeyedVectors "
            "are allowed (embedlab never runs code from a file)"
        )


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """What protocol-2 pickles (gensim 3.x saves) call to rebuild ``bytes``: ``_codecs.encode(text, "latin1")``."""
    if encoding.replace("-", "").replace("_", "").lower() not in ("latin1", "iso88591"):
        raise ModelFormatError(f"refusing _codecs.encode with encoding {encoding!r} in a gensim file")
    return text.encode("latin1")


def _numpy_attr(module: str, name: str) -> Any:
    """Resolve a numpy callable under its current module (``numpy._core`` on numpy 2, without the shim)."""
    for candidate in (module.replace("numpy.core", "numpy._core", 1), module):
        try:
            return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    raise ModelFormatError(f"this numpy has no {module}.{name}; cannot rebuild the arrays")


def load_gensim_kv(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read the words and vectors of a gensim ``KeyedVectors`` save without executing code from it.

    Args:
        path: the pickle written by ``KeyedVectors.save`` (big arrays may sit beside it in
            ``PATH.vectors.npy``).

    Returns:
        ``(words, vectors)``: the keys in row order and a float32 ``(V, d)`` array.

    Raises:
        ModelFormatError: not a gensim KeyedVectors pickle, a forbidden class in the pickle, or
            inconsistent keys and vectors.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            obj = _RestrictedUnpickler(f).load()
    except (ModelFormatError, FileNotFoundError):
        raise
    except Exception as exc:  # a corrupt pickle can fail in many ways; all of them mean "bad file"
        raise ModelFormatError(f"{path}: not a readable gensim KeyedVectors file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, GensimObject):
        raise ModelFormatError(f"{path}: holds a {type(obj).__name__}, not a gensim KeyedVectors object")
    vectors = _vectors(obj.state, path)
    words = _keys(obj.state, path)
    if len(words) != vectors.shape[0]:
        raise ModelFormatError(f"{path}: {len(words)} keys but {vectors.shape[0]} vectors")
    return words, vectors


def _vectors(state: dict[str, Any], path: Path) -> np.ndarray:
    """The vector matrix, from the pickle or from the ``.npy`` file gensim wrote beside it."""
    stored_apart = state.get("__numpys") or []
    for attr in _VECTOR_ATTRS:
        if attr in stored_apart:
            npy = path.with_name(f"{path.name}.{attr}.npy")
            try:
                array = np.load(npy, allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise ModelFormatError(f"{path}: its vectors are stored in {npy}, which cannot be read ({exc})") from exc
        elif isinstance(state.get(attr), np.ndarray):
            array = state[attr]
        else:
            continue
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.floating):
            raise ModelFormatError(f"{path}: {attr} has shape {array.shape} and dtype {array.dtype}; expected a 2-d float array")
        return np.ascontiguousarray(array, dtype=np.float32)
    raise ModelFormatError(f"{path}: no vectors found (looked for {', '.join(_VECTOR_ATTRS)})")


def _keys(state: dict[str, Any], path: Path) -> list[str]:
    """The keys in row order: gensim 4 ``index_to_key``, gensim 3 ``index2word`` or the ``vocab`` indices."""
    for attr in _KEY_LISTS:
        keys = state.get(attr)
        if isinstance(keys, list | np.ndarray) and len(keys):
            return [str(k) for k in keys]
    vocab = state.get("vocab")
    if isinstance(vocab, dict) and vocab:
        try:
            by_index = sorted((int(v.state["index"]), str(k)) for k, v in vocab.items())
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{path}: vocab entries carry no integer index ({exc})") from exc
        if [i for i, _ in by_index] != list(range(len(by_index))):
            raise ModelFormatError(f"{path}: vocab indices are not 0..{len(by_index) - 1}")
        return [k for _, k in by_index]
    raise ModelFormatError(f"{path}: no keys found (looked for {', '.join(_KEY_LISTS)} and vocab)")
