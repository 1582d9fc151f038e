"""The code blocks of the Deploying page run, in order, and print what it says."""

import contextlib
import io
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "doc" / "user_guide" / "deploying.rst"


def test_deploying_page_code_runs(tmp_path, monkeypatch):
    pytest.importorskip("skops.io")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(
        r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", PAGE.read_text()
    )
    assert len(blocks) == 6
    namespace = {}
    for i, block in enumerate(blocks):
        code = "\n".join(line[4:] for line in block.splitlines())
        # Each "# value" line right after a print is what that print shows.
        expected = [
            line[2:] for line in code.splitlines() if re.fullmatch(r"# [\[\dT].*", line)
        ]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{PAGE.name}, block {i}", "exec"), namespace)
        assert printed.getvalue().splitlines() == expected, f"block {i}"
