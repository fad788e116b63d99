"""Every case of tests/goldens.py prints exactly what tests/golden/cli/ recorded.

After an intended change of output: ``python tests/goldens.py --record`` and review the diff.
"""

from __future__ import annotations

import pytest

import goldens


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    return goldens.Runner(tmp_path_factory.mktemp("goldens"))


@pytest.mark.parametrize("case", goldens.CASES, ids=lambda c: c.name)
def test_output_is_the_recorded_one(case, runner):
    expected = (goldens.GOLDEN / f"{case.name}.out").read_text(encoding="utf-8")
    assert runner(case) == expected


def test_every_golden_file_has_a_case():
    names = {case.name for case in goldens.CASES}
    assert len(names) == len(goldens.CASES)
    assert {p.stem for p in goldens.GOLDEN.glob("*.out")} == names
