"""The docstring examples of the evaluation and benchmark modules run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "embedlab.evaluation.analogy",
    "embedlab.evaluation.probe",
    "embedlab.evaluation.protocols",
    "embedlab.evaluation.results",
    "embedlab.evaluation.sts",
    "embedlab.evaluation.suite",
    "embedlab.evaluation.word_similarity",
    "embedlab.data.benchmarks",
    "embedlab.data.fetch",
    "embedlab.data.registry",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
