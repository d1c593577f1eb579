"""pytest set-up: array API checks on, optional modules left out when absent."""

import importlib.util
import os

# scikit-learn runs its array API estimator checks only when scipy's array API
# support is on, which scipy reads once, at import: set it before anything
# imports scipy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# --doctest-modules imports every module; sk_softmax.onnx needs skl2onnx.
collect_ignore = [] if importlib.util.find_spec("skl2onnx") else ["sk_softmax/onnx.py"]
