"""Every gallery example runs from start to end and draws at least one figure.

The documentation build executes the same scripts (sphinx-gallery, in one
process, aborting on the first error); where CI builds the documentation it
sets ``SK_MCDROPOUT_GALLERY_EXECUTES=1`` and these tests skip, so that no
example runs twice. Elsewhere (the floor environment, a developer's
checkout) they run each script in a fresh interpreter.
"""

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/plot_*.py"))

# Runs a script as __main__ with a non-interactive backend, then reports how
# many figures it left open (what sphinx-gallery would show).
RUNNER = """
import runpy, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
runpy.run_path(sys.argv[1], run_name="__main__")
print(f"FIGURES: {len(plt.get_fignums())}")
"""


def _imported_packages(script):
    tree = ast.parse(script.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.split(".")[0]


def test_every_topic_folder_has_a_gallery_header():
    folders = {script.parent for script in EXAMPLES}
    assert len(folders) >= 5
    for folder in [ROOT / "examples", *folders]:
        assert (folder / "README.rst").is_file(), folder


@pytest.mark.parametrize(
    "script", EXAMPLES, ids=[f"{s.parent.name}/{s.name}" for s in EXAMPLES]
)
def test_example_runs_and_draws_a_figure(script, tmp_path):
    if os.environ.get("SK_MCDROPOUT_GALLERY_EXECUTES"):
        pytest.skip(
            "the documentation build executes the gallery in this environment "
            "(SK_MCDROPOUT_GALLERY_EXECUTES is set)"
        )
    for package in set(_imported_packages(script)):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{script.name} needs {package}, which is not installed")
    # The package as this test session imports it (installed or the checkout).
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(script)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = int(result.stdout.rsplit("FIGURES: ", 1)[1])
    assert figures >= 1, f"{script.name} drew no figure"
    assert result.stdout.count("\n") > 1, f"{script.name} printed nothing"
    # Scripts draw; they do not write files where they are run.
    assert not list(tmp_path.iterdir())
