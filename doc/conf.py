"""Sphinx configuration of the sk_mcdropout documentation.

Build from the repository root with::

    pip install ".[docs]"
    sphinx-build -W --keep-going -b html doc doc/_build/html

The gallery (``examples/``) is executed during the build. Set
``SK_MCDROPOUT_DOCS_NO_GALLERY=1`` to skip executing it (pages and API
reference only), and ``SK_MCDROPOUT_DOCS_INTERSPHINX=1`` to link to the
documentation of Python, NumPy, scikit-learn and the others, which needs the
network: offline, an unreachable inventory is a warning, and ``-W`` would fail.
"""

import os
import sys
from pathlib import Path

import sk_mcdropout

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

import api_members  # noqa: E402

project = "sk_mcdropout"
author = "The sk_mcdropout developers"
copyright = "2026, The sk_mcdropout developers"
release = sk_mcdropout.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "sphinx_design",
    "gallery_output",
    "dependency_table",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
add_function_parentheses = False
pygments_style = "sphinx"

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sk_mcdropout {release}"
html_static_path = ["_static"]
html_css_files = ["css/sk_mcdropout.css"]
html_theme_options = {
    "show_toc_level": 1,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    # Offline builds: no version switcher, no external icons, no analytics.
    "icon_links": [],
}
# Without a default, the theme's script reports "Got invalid theme mode" on
# every first visit (nothing in localStorage yet).
html_context = {"default_mode": "auto"}
html_sidebars = {
    "index": [],
    "install": [],
    "getting_started": [],
    "whats_new": [],
    "citing": [],
}
html_show_sourcelink = False
if os.environ.get("SK_MCDROPOUT_DOCS_NO_GALLERY"):
    # The landing page shows a figure the gallery draws.
    suppress_warnings = ["image.not_readable"]

# -- autodoc, autosummary, numpydoc ------------------------------------------
autosummary_generate = True
# Plain data (the build caches its configuration): class -> methods listed.
autosummary_context = {"listed_methods": api_members.listed_methods()}
autodoc_default_options = {}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Docstring findings that break the reference fail the build under -W.
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "PR10", "RT03"}
numpydoc_validation_exclude = set()

# -- doctest (the .rst pages' code) --------------------------------------------
# Only the pages' ``.. doctest::`` blocks: the docstrings' examples that
# autodoc brings in are doctested by pytest (--doctest-modules).
doctest_test_doctest_blocks = ""
doctest_global_setup = """
import numpy as np
np.set_printoptions(precision=4, suppress=True)
"""

# -- intersphinx: only on request (needs the network) -------------------------
if os.environ.get("SK_MCDROPOUT_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
        "pandas": ("https://pandas.pydata.org/pandas-docs/stable", None),
    }
else:
    intersphinx_mapping = {}

# -- sphinx-gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "plot_gallery": str(not os.environ.get("SK_MCDROPOUT_DOCS_NO_GALLERY")),
    "abort_on_example_error": True,
    "doc_module": ("sk_mcdropout",),
    "backreferences_dir": "generated",
    "reference_url": {"sk_mcdropout": None},
    "reset_modules": ("matplotlib", "gallery_reset.reset_keras"),
    "reset_modules_order": "before",
    "within_subsection_order": "FileNameSortKey",
    "subsection_order": "gallery_reset.subsection_order",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "download_all_examples": False,
    "matplotlib_animations": False,
}
