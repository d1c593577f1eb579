"""The fits along a path: warm starts, a predicted start, strong-rule screening.

Every fit of a path is a :meth:`SoftmaxClassifier.fit` of one estimator with
``warm_start=True`` whose `alpha` is lowered step by step, so every backend and
every full-batch solver runs through the estimator's own fit. Each fit starts
from the previous solutions extrapolated along the path. With an L1 part in
the penalty, screening restricts each fit to the columns that can be active
(the sequential strong rule), and a check of the optimality conditions on every
column after the fit re-admits any column the rule dropped wrongly.
"""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sk_softmax._classifier import SoftmaxClassifier
from sk_softmax._path_data import _to_host, take_columns

# How far along the secant of the two previous solutions a fit starts.
_EXTRAPOLATION = 0.5


class PathStep(NamedTuple):
    """One fitted point of a path.

    ``coef`` has shape (n_rows, n_features) on the host, zero outside
    ``columns``; ``estimator`` is the fitted SoftmaxClassifier, trained on the
    ``columns`` of ``X`` (all of them when ``columns`` is None).
    """

    alpha: float
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    estimator: SoftmaxClassifier
    columns: np.ndarray | None


def fit_naming_alpha(estimator, X, data, where):
    """Fit `estimator` on `X`; a ConvergenceWarning is re-issued naming `where`.

    Other warnings pass through unchanged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, data.y, sample_weight=data.sample_weight)
    for record in caught:
        if issubclass(record.category, ConvergenceWarning):
            warnings.warn(f"{where}: {record.message}", ConvergenceWarning, 3)
        else:
            warnings.warn_explicit(
                record.message, record.category, record.filename, record.lineno
            )


def _full_coef(estimator, n_features, columns):
    """Return the fitted ``coef_`` on the host, on all `n_features` columns."""
    fitted = _to_host(estimator.coef_)
    if columns is None:
        return np.array(fitted)
    coef = np.zeros((fitted.shape[0], n_features), dtype=fitted.dtype)
    coef[:, columns] = fitted
    return coef


def _predicted_start(alphas, k, previous, older):
    """Start of the fit at ``alphas[k]``: the path extrapolated, half a step.

    The secant through the solutions at the two previous penalties, in
    ``log(alpha)``, taken half-way (on the benchmark's problems half a step
    saved iterations on both, a full step on one only, see the user guide);
    the previous solution when there is no older one; None at the start of
    the path (the estimator's intercept-only start).
    """
    if previous is None:
        return None
    if older is None:
        return previous
    rate = _EXTRAPOLATION * np.log(alphas[k] / alphas[k - 1])
    rate /= np.log(alphas[k - 1] / alphas[k - 2])
    if not np.isfinite(rate):  # a zero or repeated penalty
        return previous
    return tuple(p + rate * (p - o) for p, o in zip(previous, older, strict=True))


def _warm(estimator, start, columns):
    """Make the next fit of `estimator` start from `start` on `columns`."""
    if start is not None:
        coef, intercept = start
        if columns is not None:
            coef = coef[:, columns]
        estimator.coef_ = np.ascontiguousarray(coef)
        estimator.intercept_ = np.array(intercept)


def _fitted(estimator, data, columns):
    """Return ``(coef, intercept)`` of the fitted estimator, on all columns."""
    return (
        _full_coef(estimator, data.n_features, columns),
        np.array(_to_host(estimator.intercept_)),
    )


def _screened_fit(estimator, data, keep, start, where):
    """Fit on the columns `keep`; re-admit violators until none is left.

    Parameters
    ----------
    estimator : SoftmaxClassifier
        With ``warm_start=True`` and its `alpha` set.
    data : PathData
        The training data.
    keep : ndarray of bool of shape (n_features,)
        The columns the strong rule keeps.
    start : tuple of (ndarray, ndarray) or None
        Start point ``(coef, intercept)`` on all columns.
    where : str
        Names the step in warnings.

    Returns
    -------
    solution, columns, gradient, n_iter
        ``(coef, intercept)`` (zero outside `columns`), the columns of the
        last fit, the data gradient at the solution and the iterations of
        all the fits.
    """
    l1 = estimator.alpha * estimator.l1_ratio
    n_iter = 0
    while True:
        columns = np.flatnonzero(keep)
        _warm(estimator, start, columns)
        X_cols = take_columns(data.X, columns)
        fit_naming_alpha(estimator, X_cols, data, where)
        n_iter += estimator.n_iter_
        start = _fitted(estimator, data, columns)
        gradient = data.data_gradient(estimator.predict_proba(X_cols))
        # The optimality condition of a zero coefficient: |gradient| <= l1, to
        # the solver's tolerance (its proximal-gradient stopping test).
        violators = (np.max(np.abs(gradient), axis=0) - l1 > estimator.tol) & ~keep
        if not np.any(violators):
            return start, columns, gradient, n_iter
        keep = keep | violators


class _StrongRule:
    """The sequential strong rule along a path with an L1 part.

    Keeps column ``j`` at ``alpha_k`` when it was active at ``alpha_{k-1}``
    or ``max_k |G_jk| >= l1_ratio * (2 alpha_k - alpha_{k-1})``, ``G`` the
    data gradient at the previous solution (the intercept-only one at the
    start, with ``alpha_{-1} = max(alpha_0, alpha_max)``).
    """

    def __init__(self, data, l1_ratio, first_alpha):
        self.l1_ratio = l1_ratio
        self.gradient = data.data_gradient(data.null_proba())
        top = float(np.max(np.abs(self.gradient))) / l1_ratio
        self.alpha_prev = max(first_alpha, top)
        self.active = np.zeros(data.n_features, dtype=bool)

    def keep(self, alpha):
        """Columns to fit at `alpha` (at least the one of largest gradient)."""
        score = np.max(np.abs(self.gradient), axis=0)
        keep = score >= self.l1_ratio * (2.0 * alpha - self.alpha_prev)
        keep[np.argmax(score)] = True
        return keep | self.active

    def update(self, alpha, coef, gradient):
        """Record the solution at `alpha` and its gradient."""
        self.alpha_prev, self.gradient = alpha, gradient
        self.active = np.any(coef != 0, axis=0)


def iter_path(template, data, alphas, screening=True, name="softmax_path"):
    """Yield a :class:`PathStep` per alpha of `alphas` (sorted largest first).

    Parameters
    ----------
    template : SoftmaxClassifier
        Settings of every fit (its `alpha` is replaced, `warm_start` set).
    data : PathData
        Training data.
    alphas : ndarray of shape (n_alphas,)
        Penalties, largest first.
    screening : bool, default=True
        Whether fits with an L1 part use the strong rule (see module docstring).
    name : str, default='softmax_path'
        Who fits, for warnings.
    """
    estimator = clone(template).set_params(warm_start=True)
    rule = None
    if screening and estimator.l1_ratio > 0:
        rule = _StrongRule(data, estimator.l1_ratio, float(alphas[0]))
    previous = older = None
    for k, alpha in enumerate(alphas):
        alpha = float(alpha)
        where = f"{name} at alpha={alpha:.6g} (step {k + 1} of {len(alphas)})"
        estimator.set_params(alpha=alpha)
        start = _predicted_start(alphas, k, previous, older)
        if rule is not None:
            solution, columns, gradient, n_iter = _screened_fit(
                estimator, data, rule.keep(alpha), start, where
            )
            rule.update(alpha, solution[0], gradient)
        else:
            _warm(estimator, start, None)
            fit_naming_alpha(estimator, data.X, data, where)
            columns, n_iter = None, estimator.n_iter_
            solution = _fitted(estimator, data, None)
        older, previous = previous, solution
        yield PathStep(
            alpha,
            solution[0],
            solution[1],
            int(n_iter),
            bool(estimator.converged_),
            estimator,
            columns,
        )
