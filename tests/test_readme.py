"""The README's commands are the ones CI runs, and its quickstart runs."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_readme_starts_with_demo_and_test_commands():
    demo, tests = (block.strip() for block in _bash_blocks()[:2])
    assert demo.endswith("pip install . && python -m sk_mcdropout")
    assert tests.endswith('pip install ".[test]" && python -m pytest')


def test_ci_runs_the_readme_test_command():
    ci = ROOT / ".ci" / "run"
    if not ci.exists():
        pytest.skip("not a source checkout")
    command = _bash_blocks()[1].strip().split(" && ", 2)[2]
    assert command in ci.read_text()


def test_floor_environment_pins_every_declared_floor():
    # CI's floor environment installs exactly the floors pyproject.toml
    # declares, and the README's table lists them. floors.py runs on every
    # supported Python (no tomllib on 3.10): here with this one.
    import subprocess
    import sys

    script = ROOT / ".ci" / "floors.py"
    if not script.exists():
        pytest.skip("not a source checkout")
    out = subprocess.run(
        [sys.executable, str(script), str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = dict(line.split("==") for line in out.split())
    if sys.version_info >= (3, 11):
        # The arrays floors.py reads are the ones a TOML parser reads.
        import tomllib

        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        declared = project["dependencies"] + project["optional-dependencies"]["test"]
        names = [re.match(r"[A-Za-z0-9_.-]+", r).group() for r in declared]
        assert list(pins) == names
    assert {"numpy", "scikit-learn", "scikeras", "keras", "tensorflow"} <= set(pins)
    readme = (ROOT / "README.md").read_text()
    for name in ("tensorflow", "keras", "scikit-learn", "scikeras", "numpy"):
        assert f"| {pins[name]} |" in readme, name
