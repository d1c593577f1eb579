"""The result record every solver returns."""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class OptimizeResult:
    """Outcome of a solver run.

    Attributes
    ----------
    x : ndarray of shape (n_dof,)
        Final packed coefficients.
    fun : float
        Objective (smooth part plus penalty) at `x`.
    n_iter : int
        Number of iterations (or epochs) run.
    converged : bool
        Whether the stopping criterion was met within the iteration budget.
    grad_norm : float
        Final optimality measure: the largest absolute entry of the (proximal)
        gradient.
    history : list of float
        Objective after each iteration (for stochastic solvers, the running
        training loss of each epoch).
    validation_history : list of float
        Validation loss after each epoch (stochastic solvers with early
        stopping only).
    message : str
        Why the solver stopped, in words.
    status : str
        Why the solver stopped, for the caller to act on: ``'converged'``,
        ``'max_iter'`` (the iteration budget ran out), ``'no_progress'`` (the
        line search found no decrease), ``'loss_rose'`` (a stochastic
        solver's training loss ended above its first epoch's) or
        ``'callback'`` (a callback asked to stop).
    stochastic : bool
        Whether a stochastic solver produced it: `n_iter` then counts epochs,
        `grad_norm` is NaN and convergence means the monitored loss stopped
        improving by ``tol``.
    """

    x: np.ndarray
    fun: float
    n_iter: int
    converged: bool
    grad_norm: float
    history: list = field(default_factory=list)
    validation_history: list = field(default_factory=list)
    message: str = ""
    status: str = ""
    stochastic: bool = False


def max_abs(a):
    """Largest absolute entry of `a` (0 when empty): the solvers' optimality measure."""
    return float(np.max(np.abs(a))) if a.size else 0.0
