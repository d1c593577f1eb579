"""Training with the full-batch solvers, and the rule behind ``solver='auto'``."""

import scipy.sparse as sp

from sk_softmax._optim import minimize_gd, minimize_lbfgs, minimize_newton_cg
from sk_softmax._subsample import ROWS_PER_DOF, use_hessian_subsample

FULL_BATCH_SOLVERS = ("gd", "lbfgs", "newton-cg")
# Solvers that need a smooth objective: no L1 term.
SMOOTH_SOLVERS = ("lbfgs", "newton-cg")


def resolve_full_batch_solver(X, n_classes, fit_intercept, l1):
    """Return the full-batch solver ``solver='auto'`` runs.

    ``'gd'`` when the penalty has an L1 part; ``'newton-cg'`` for sparse data
    or when the samples are many enough for its subsampled Hessian; ``'lbfgs'``
    otherwise (see ``benchmarks/RESULTS.md``).
    """
    if l1 > 0:
        return "gd"
    n_samples, n_features = X.shape
    n_dof = (1 if n_classes == 2 else n_classes) * (n_features + int(fit_intercept))
    if sp.issparse(X) or use_hessian_subsample(n_samples, n_dof):
        return "newton-cg"
    return "lbfgs"


def solve_full_batch(solver, loss, coef0, *, tol, max_iter, random_state, callback):
    """Run a full-batch solver on `loss` from `coef0`.

    Parameters
    ----------
    solver : {'gd', 'lbfgs', 'newton-cg'}
        The solver.
    loss : LinearSoftmaxLoss
        The objective.
    coef0 : ndarray of shape (n_dof,)
        Starting point.
    tol, max_iter : float, int
        Stopping rule.
    random_state : int, RandomState instance or None
        Seed of the Hessian subsample.
    callback : callable or None
        Per-iteration callback, ``callback(n_iter, fun, grad_norm, step)``.

    Returns
    -------
    result : OptimizeResult
    """
    common = {"tol": tol, "max_iter": max_iter, "callback": callback}
    if solver == "lbfgs":
        return minimize_lbfgs(loss.value_gradient, coef0, **common)
    if solver == "newton-cg":
        if use_hessian_subsample(loss.n_samples, loss.n_dof):
            n_coef = loss.n_features + loss.fit_intercept  # per class
            loss.sample_hessian_rows(
                ROWS_PER_DOF * loss.n_dof, ROWS_PER_DOF * n_coef, random_state
            )
        return minimize_newton_cg(
            loss.gradient_hessian_product, loss.value, loss.raw, coef0, **common
        )
    has_l1 = loss.penalty.l1 > 0
    return minimize_gd(
        loss.value_gradient,
        loss.value,
        loss.raw,
        coef0,
        prox=loss.prox if has_l1 else None,
        nonsmooth=loss.nonsmooth_value if has_l1 else None,
        step=loss.initial_step(),
        **common,
    )
