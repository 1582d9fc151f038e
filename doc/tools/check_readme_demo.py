"""The demo table the README shows is what ``python -m sk_mcdropout`` prints.

Usage: ``python doc/tools/check_readme_demo.py``

Runs the demo in this environment and checks that every line of the
README's demo output block (the first unlabelled code block) is a line the
demo printed. The demo's timing line is not quoted in the README, as it
depends on the machine. CI runs this in its newest-releases environment,
where the README's figures were made; other versions of TensorFlow or Keras
train to slightly different numbers.
"""

import io
import re
import sys
from pathlib import Path

from sk_mcdropout.__main__ import run

README = Path(__file__).resolve().parents[2] / "README.md"


def code_blocks(markdown):
    """``[(language, text)]`` of the fenced code blocks, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", markdown, re.S | re.M)


def main():
    quoted = next(text for lang, text in code_blocks(README.read_text()) if not lang)
    out = io.StringIO()
    run(out=out)
    printed = {line.rstrip() for line in out.getvalue().splitlines()}
    missing = [line for line in quoted.splitlines() if line.rstrip() not in printed]
    for line in missing:
        print(f"check_readme_demo: README line not printed by the demo: {line!r}")
    print(
        f"check_readme_demo: {len(quoted.splitlines()) - len(missing)} of "
        f"{len(quoted.splitlines())} quoted lines printed by python -m sk_mcdropout"
    )
    if missing:
        print("check_readme_demo: the demo printed:\n" + out.getvalue())
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
