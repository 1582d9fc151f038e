"""``.. gallery-output::``: quote what a gallery example printed in this build.

The user guide quotes figures that examples compute. Rather than copying
them by hand (and letting them drift when the code changes), a page names
the example and the first line of the block it quotes::

    .. gallery-output:: getting_started/plot_choosing_n_samples.py
       :start-at: passes
       :lines: 5

The lines come from the example's output captured by sphinx-gallery while
this very build executed it. When the gallery is not executed
(``SK_MCDROPOUT_DOCS_NO_GALLERY=1``) the directive says so in the page.
"""

import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

_OUTPUT = re.compile(
    r"\.\. rst-class:: sphx-glr-script-out\n\n"
    r" \.\. code-block:: none\n\n(.*?)(?=\n\S|\Z)",
    re.S,
)


def example_output(srcdir, example):
    """Everything ``example`` (a path under examples/) printed, or None."""
    rst = Path(srcdir) / "auto_examples" / Path(example).with_suffix(".rst")
    if not rst.exists():
        return None
    text = rst.read_text(encoding="utf-8")
    blocks = [
        "\n".join(line[4:] for line in block.splitlines())
        for block in _OUTPUT.findall(text)
    ]
    return "\n".join(blocks) if blocks else None


class GalleryOutput(SphinxDirective):
    required_arguments = 1
    option_spec = {
        "start-at": directives.unchanged_required,
        "lines": directives.positive_int,
    }

    def run(self):
        example = self.arguments[0]
        source = Path(self.env.srcdir).parent / "examples" / example
        if not source.exists():
            raise self.error(f"no example {example!r} under examples/")
        self.env.note_dependency(str(source))
        output = example_output(self.env.srcdir, example)
        if output is None:
            text = f"(The output of {example} appears here when the gallery runs.)"
            return [nodes.paragraph(text=text)]
        lines = output.splitlines()
        start = self.options.get("start-at")
        if start is not None:
            found = [i for i, ln in enumerate(lines) if ln.lstrip().startswith(start)]
            if not found:
                raise self.error(f"{example} printed no line starting with {start!r}")
            lines = lines[found[0] :]
        if "lines" in self.options:
            lines = lines[: self.options["lines"]]
        text = "\n".join(lines).rstrip()
        block = nodes.literal_block(text, text)
        block["language"] = "none"
        block["classes"].append("sk-gallery-output")
        return [block]


def setup(app):
    app.add_directive("gallery-output", GalleryOutput)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
