"""Sphinx configuration for the sk_softmax documentation."""

import sk_softmax

project = "sk_softmax"
author = "The sk_softmax developers"
release = sk_softmax.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "numpydoc"]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
# Docstrings inherited from scikit-learn (``score``) cite labels of scikit-learn's
# own documentation, which is not linked here.
suppress_warnings = ["ref.ref"]
