"""Each catalogue case gets its desired outcome class: a clear error, a counted warning, or the right
result (``python -m tests.reliability.catalogue`` prints what the code does today, by class)."""

from __future__ import annotations

import pytest

from .catalogue import CASES, Case, mentions_ok, observe

PARAMS = [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else []) for c in CASES]


@pytest.mark.parametrize("case", PARAMS)
def test_case_gets_its_desired_outcome(case: Case) -> None:
    obs = observe(case)
    report = (f"{case.id} ({case.what}): want {case.expect}, got {obs.outcome}: {obs.detail}\n"
              f"rc={obs.rc}\n--- stderr ---\n{obs.err[-3000:]}")
    assert obs.outcome == case.expect, report
    if case.mentions:
        assert mentions_ok(case, obs), f"the message should match {case.mentions}\n{report}"


def test_the_catalogue_is_complete() -> None:
    from .harness import GROUPS

    assert len(CASES) >= 64
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.group for c in CASES} == set(GROUPS)
