"""Print pip constraints that pin every dependency to the floor pyproject.toml declares.

The runtime dependencies and the `test` extra: `name>=X` becomes `name==X`, so
the floor environment of .ci/run installs exactly the declared floors.
"""

import re
import sys
from pathlib import Path

import tomllib

project = tomllib.loads(Path(sys.argv[1]).read_text())["project"]
requirements = project["dependencies"] + project["optional-dependencies"]["test"]
for requirement in requirements:
    pattern = r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([^,;\s]+).*"
    match = re.fullmatch(pattern, requirement)
    if match is None:
        sys.exit(f"no floor (>=) declared for {requirement!r}")
    name, _, floor = match.groups()
    print(f"{name}=={floor}")
