"""The regression band example runs from start to end and writes its figure."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "plot_regression_band.py"


def test_regression_band_example(tmp_path):
    pytest.importorskip("matplotlib")
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "estimated noise std" in result.stdout
    assert (tmp_path / "regression_band.png").stat().st_size > 10_000
