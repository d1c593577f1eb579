"""The result record every solver returns, and the one place that warns."""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning


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
        Why the solver stopped.
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
    stochastic: bool = False


def max_abs(a):
    """Largest absolute entry of `a` (0 when empty): the solvers' optimality measure."""
    return float(np.max(np.abs(a))) if a.size else 0.0


def warn_if_not_converged(result, solver, tol, max_iter):
    """Emit a :class:`~sklearn.exceptions.ConvergenceWarning` that says what to do.

    Parameters
    ----------
    result : OptimizeResult
        What the solver returned.
    solver : str
        Name of the solver, for the message.
    tol : float
        The requested tolerance.
    max_iter : int
        The iteration budget.
    """
    if result.converged:
        return
    if result.stochastic and result.message.startswith("the training loss rose"):
        message = (
            f"Solver {solver!r} did not converge: {result.message} after "
            f"{result.n_iter} epochs: its steps are too long for these data. "
            "Decrease learning_rate_init, or scale the features (for example "
            "with sklearn.preprocessing.StandardScaler)."
        )
    elif result.stochastic:
        message = (
            f"Solver {solver!r} did not converge: {result.message} after "
            f"{result.n_iter} epochs (max_iter={max_iter}); the monitored loss "
            f"was still improving by more than tol={tol:g}. Increase max_iter, "
            "or use the 'adaptive' learning rate or a smaller learning_rate_init "
            "to settle the iterates."
        )
    else:
        message = (
            f"Solver {solver!r} did not converge: {result.message} after "
            f"{result.n_iter} iterations (max_iter={max_iter}); the gradient's "
            f"largest entry is {result.grad_norm:.3g}, above tol={tol:g}. "
            "Increase max_iter, scale the features (for example with "
            "sklearn.preprocessing.StandardScaler), or increase alpha."
        )
    warnings.warn(message, ConvergenceWarning, stacklevel=4)
