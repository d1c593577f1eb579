"""Solvers. Each sees only callables and returns an :class:`OptimizeResult`."""

from sk_softmax._optim._gd import minimize_gd
from sk_softmax._optim._lbfgs import minimize_lbfgs
from sk_softmax._optim._minibatch import (
    NonFiniteError,
    iter_batches,
    minimize_stochastic,
    run_epoch,
)
from sk_softmax._optim._newton_cg import minimize_newton_cg
from sk_softmax._optim._prox_newton import minimize_prox_newton
from sk_softmax._optim._result import OptimizeResult
from sk_softmax._optim._stochastic import LearningRate, Optimizer, adam, momentum_sgd

__all__ = [
    "LearningRate",
    "NonFiniteError",
    "OptimizeResult",
    "Optimizer",
    "adam",
    "iter_batches",
    "minimize_gd",
    "minimize_lbfgs",
    "minimize_newton_cg",
    "minimize_prox_newton",
    "minimize_stochastic",
    "momentum_sgd",
    "run_epoch",
]
