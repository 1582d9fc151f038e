"""``.. dependency-table::``: the declared floors, read from pyproject.toml.

Each row gives a dependency, the floor ``pyproject.toml`` declares (which CI
installs exactly, in its floor environment), and the version this build of
the documentation ran with (CI builds it in its newest-releases
environment, after the test suite passed there).
"""

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

_REQUIREMENT = re.compile(r'"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*([^";]*)"')


def declared(pyproject, group=None):
    """``[(name, specifier)]`` of the dependencies, or of one extra."""
    text = Path(pyproject).read_text(encoding="utf-8")
    if group is None:
        block = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    else:
        extras = re.search(
            r"^\[project\.optional-dependencies\](.*?)^\[", text, re.S | re.M
        ).group(1)
        block = re.search(rf"^{group} = \[(.*?)\]", extras, re.S | re.M).group(1)
    return [(m.group(1), m.group(3).strip()) for m in _REQUIREMENT.finditer(block)]


def _installed(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


class DependencyTable(SphinxDirective):
    option_spec = {"extra": directives.unchanged}

    def run(self):
        pyproject = Path(self.env.srcdir).parent / "pyproject.toml"
        self.env.note_dependency(str(pyproject))
        rows = declared(pyproject, self.options.get("extra"))
        table = nodes.table(classes=["sk-dependencies"])
        group = nodes.tgroup(cols=3)
        table += group
        for _ in range(3):
            group += nodes.colspec(colwidth=1)
        head, body = nodes.thead(), nodes.tbody()
        group += head
        group += body
        for cells, parent in (
            (("package", "declared", "this build ran with"), head),
            *(((name, spec, _installed(name)), body) for name, spec in rows),
        ):
            row = nodes.row()
            for cell in cells:
                entry = nodes.entry()
                entry += nodes.paragraph(text=cell)
                row += entry
            parent += row
        return [table]


def setup(app):
    app.add_directive("dependency-table", DependencyTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
