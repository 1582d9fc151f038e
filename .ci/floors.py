"""Print pip constraints that pin every dependency to the floor pyproject.toml declares.

The runtime dependencies and the `test` extra: `name>=X` becomes `name==X`, so
the floor environment of .ci/run installs exactly the declared floors.

Runs on every Python the project supports (3.10 has no tomllib, and a TOML
package would be one more thing CI installs before the environment it sets
up): it reads the two arrays it needs, `dependencies` under [project] and
`test` under [project.optional-dependencies], as the string arrays they are,
and exits with an error if either is missing. tests/test_readme.py checks the
result against tomllib where Python has it.
"""

import ast
import re
import sys
from pathlib import Path


def string_array(text, table, key):
    """The array of strings ``key = [...]`` of TOML table ``[table]`` in ``text``."""
    header = re.search(rf"^\[{re.escape(table)}\][ \t]*$", text, flags=re.M)
    if header is None:
        sys.exit(f"no [{table}] table in pyproject.toml")
    body = text[header.end() :]
    following = re.search(r"^\[", body, flags=re.M)
    body = body[: following.start()] if following else body
    match = re.search(rf"^{re.escape(key)}\s*=\s*\[", body, flags=re.M)
    if match is None:
        sys.exit(f"no {key} = [...] in [{table}] of pyproject.toml")
    # The array runs to the first ']' outside a string ("dask[distributed]"
    # holds one); comments run to the end of the line.
    items, quote, comment = [], None, False
    for char in body[match.end() :]:
        if comment:
            comment = char != "\n"
            continue
        if quote is None and char == "#":
            comment = True
            continue
        if quote is None and char == "]":
            return list(ast.literal_eval("[" + "".join(items) + "]"))
        if char in "\"'" and quote in (None, char):
            quote = char if quote is None else None
        items.append(char)
    sys.exit(f"{key} = [ in [{table}] of pyproject.toml is never closed")


def requirements(text):
    return string_array(text, "project", "dependencies") + string_array(
        text, "project.optional-dependencies", "test"
    )


def main(path):
    for requirement in requirements(Path(path).read_text()):
        pattern = r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([^,;\s]+).*"
        match = re.fullmatch(pattern, requirement)
        if match is None:
            sys.exit(f"no floor (>=) declared for {requirement!r}")
        name, _, floor = match.groups()
        print(f"{name}=={floor}")


if __name__ == "__main__":
    main(sys.argv[1])
