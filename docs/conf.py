"""Sphinx configuration for the sk_softmax documentation.

Build with warnings as errors (the README's command)::

    python -m sphinx -W -b html docs docs/_build/html
"""

import os

import sk_softmax

os.environ.setdefault("MPLBACKEND", "Agg")  # the gallery draws without a display

project = "sk_softmax"
author = "The sk_softmax developers"
copyright = "the sk_softmax developers"
release = version = sk_softmax.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "furo"
html_title = f"sk_softmax {release}"
# Docstrings inherited from scikit-learn (``score``) cite labels of scikit-learn's
# own documentation, which is not linked here.
suppress_warnings = ["ref.ref"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Every example runs; those without a figure simply show their output.
    "filename_pattern": r".*\.py$",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    # "Examples using ..." on the API pages (the minigallery directive).
    "doc_module": ("sk_softmax",),
    "backreferences_dir": "generated/backreferences",
}
