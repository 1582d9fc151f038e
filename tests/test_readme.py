"""The README's commands are the ones CI runs, and its Python runs as pasted."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


SESSION = "import sys; exec(compile(sys.stdin.read(), 'README.md', 'exec'))"


def _python_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_blocks_run_in_order_in_one_fresh_session(tmp_path):
    # Pasted into one interpreter session: __main__ has no file, as in a
    # REPL or a notebook, so Dask's spawned workers do not re-run the code.
    blocks = _python_blocks()
    assert len(blocks) >= 5
    for module in ("distributed", "skops"):
        pytest.importorskip(module)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        # A warning the session's own calls cause is an error: a README
        # snippet must not need one explained.
        [sys.executable, "-W", "error::Warning:__main__", "-c", SESSION],
        input="\n\n".join(blocks),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # The from_keras block loads the file the block before it saved.
    assert (tmp_path / "risk_model.keras").is_file()
    assert (tmp_path / "model.skmcd").is_file()


def test_readme_links_into_the_repository_exist():
    text = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#]+)\)", text)
    local = [link for link in links if "://" not in link]
    assert len(local) >= 10
    for link in local:
        assert (ROOT / link).exists(), link


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
