"""Solvers. Each sees only callables and returns an :class:`OptimizeResult`."""

from sk_softmax._optim._gd import minimize_gd
from sk_softmax._optim._lbfgs import minimize_lbfgs
from sk_softmax._optim._newton_cg import minimize_newton_cg
from sk_softmax._optim._result import OptimizeResult, warn_if_not_converged

__all__ = [
    "OptimizeResult",
    "minimize_gd",
    "minimize_lbfgs",
    "minimize_newton_cg",
    "warn_if_not_converged",
]
