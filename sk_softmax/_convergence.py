"""What the estimator tells the user when a solver stops short of its goal.

Solvers report a status (:class:`~sk_softmax._optim.OptimizeResult`); only the
estimator knows its parameters' names, so the advice is written here.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning

# warnings.warn -> warn_if_not_converged -> fit_model -> fit -> _fit_context
# wrapper -> the user's call: the warning points at the user's line.
_STACKLEVEL = 5


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
    if result.status == "loss_rose":
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
    warnings.warn(message, ConvergenceWarning, stacklevel=_STACKLEVEL)


def diverged(solver, exc):
    """Return the error a stochastic solver's overflow becomes."""
    return ValueError(
        f"Solver {solver!r} diverged: {exc} Decrease learning_rate_init (or "
        "leave it 'auto'), or scale the features, for example with "
        "sklearn.preprocessing.StandardScaler."
    )


def overflowed(solver, exc):
    """Return the error a full-batch solver's floating-point overflow becomes."""
    return ValueError(
        f"Solver {solver!r} overflowed ({exc}): the features are too "
        "large for the dtype. Scale the features, for example with "
        "sklearn.preprocessing.StandardScaler."
    )
