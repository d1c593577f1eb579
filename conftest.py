"""pytest collection: optional modules are left out when their extra is absent."""

import importlib.util

# --doctest-modules imports every module; sk_softmax.onnx needs skl2onnx.
collect_ignore = [] if importlib.util.find_spec("skl2onnx") else ["sk_softmax/onnx.py"]
