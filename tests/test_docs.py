"""The API reference documents every public name, and only real ones.

Public names are read from the ``__all__`` of ``sk_mcdropout`` and of its
public modules (``metrics``, ``uncertainty``, and ``export`` when it
exists), so a name added there without a reference entry fails here. The
reference, ``doc/api.rst``, is read as text: this runs without Sphinx.
"""

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "doc" / "api.rst"
PUBLIC_MODULES = ["sk_mcdropout", "sk_mcdropout.metrics", "sk_mcdropout.uncertainty"]
if importlib.util.find_spec("sk_mcdropout.export") is not None:
    PUBLIC_MODULES.append("sk_mcdropout.export")


def _documented():
    """Every name an autosummary of api.rst lists, fully qualified, and the
    modules it declares."""
    if not API.exists():
        pytest.skip("not a source checkout")
    names, modules, current = [], set(), None
    in_autosummary = False
    for line in API.read_text().splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            current = match.group(1)
        elif match := re.match(r"\.\. (?:py:module|automodule):: (\S+)", line):
            modules.add(match.group(1))
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and line.strip() and not line.startswith(" "):
            in_autosummary = False
        elif in_autosummary and (entry := line.strip()) and not entry.startswith(":"):
            names.append(f"{current}.{entry.lstrip('~')}")
    return names, modules


def _resolve(fullname):
    module, _, attribute = fullname.rpartition(".")
    while True:
        try:
            obj = importlib.import_module(module)
            break
        except ModuleNotFoundError:
            module, _, prefix = module.rpartition(".")
            attribute = f"{prefix}.{attribute}"
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


def _public_names():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            # __version__ is shown in every page's title, not as an entry.
            if not name.startswith("__"):
                yield f"{module_name}.{name}", getattr(module, name)


@pytest.mark.parametrize(
    "fullname, obj", list(_public_names()), ids=[n for n, _ in _public_names()]
)
def test_public_name_is_in_the_api_reference(fullname, obj):
    names, modules = _documented()
    if inspect.ismodule(obj):
        assert obj.__name__ in modules, f"{fullname}: no module section in api.rst"
        return
    # A name exported twice (sk_mcdropout.RejectionCurveDisplay is also
    # sk_mcdropout.metrics.RejectionCurveDisplay) is documented once.
    assert any(_resolve(entry) is obj for entry in names), (
        f"{fullname} is public (in __all__) but not in doc/api.rst"
    )


def test_api_reference_lists_only_importable_public_names():
    names, modules = _documented()
    public = {id(obj) for _, obj in _public_names()}
    for entry in names:
        assert id(_resolve(entry)) in public, f"{entry} is in api.rst, not in __all__"
    for module in modules:
        assert module in PUBLIC_MODULES, module
