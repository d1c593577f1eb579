"""What the robustness tests share: the solvers and the methods they exercise."""

from sk_softmax._solvers import SOLVERS as REGISTRY

SOLVERS = ("auto", *REGISTRY)
# The solvers with partial_fit.
ONLINE_SOLVERS = ("auto", *(name for name, s in REGISTRY.items() if s.stochastic))
STOCHASTIC = tuple(name for name, s in REGISTRY.items() if s.stochastic)
PREDICT_METHODS = [
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
]
