"""softmax_path: the regularisation path of SoftmaxClassifier, and its grid.

The default grid starts at ``alpha_max``, computed from the gradient at the
intercept-only optimum; the fits along it are in :mod:`sk_softmax._path_fit`.
"""

from numbers import Integral, Real

import numpy as np

from sk_softmax._classifier import SoftmaxClassifier
from sk_softmax._path_data import PathData
from sk_softmax._path_fit import iter_path
from sk_softmax.utils._sklearn_compat import Interval, StrOptions, validate_params

PATH_SOLVERS = ("auto", "gd", "lbfgs", "newton-cg")


def alpha_max(data, l1_ratio):
    """Largest penalty of the default grid, from the intercept-only gradient.

    ``g = max |grad_W|`` at the intercept-only optimum (``coef_ = 0``). With
    ``l1_ratio > 0`` the returned ``g / l1_ratio`` is the smallest penalty at
    which every coefficient is zero; with ``l1_ratio = 0`` it is ``g``, the
    value of the pure L1 penalty, a start scaled by the data (see
    :func:`softmax_path`).
    """
    g = float(np.max(np.abs(data.data_gradient(data.null_proba()))))
    g = max(g, np.finfo(np.float64).resolution)  # g = 0: every model is the null
    return g / l1_ratio if l1_ratio > 0 else g


def alpha_grid(data, l1_ratio, n_alphas, eps):
    """Geometric grid from :func:`alpha_max` down to ``eps * alpha_max``."""
    top = alpha_max(data, l1_ratio)
    return np.geomspace(top, eps * top, num=n_alphas)


def check_alphas(alphas):
    """Return `alphas` as a 1-D float64 array sorted largest first."""
    alphas = np.asarray(alphas, dtype=np.float64)
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError(
            f"alphas must be a non-empty 1-D array; got shape {alphas.shape}."
        )
    if not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
        raise ValueError("alphas must be finite and non-negative.")
    return np.sort(alphas)[::-1]


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "alphas": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "solver": [StrOptions(set(PATH_SOLVERS))],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "sample_weight": ["array-like", None],
        "screening": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def softmax_path(
    X,
    y,
    *,
    alphas=None,
    n_alphas=100,
    eps=1e-3,
    l1_ratio=0.0,
    solver="auto",
    tol=1e-4,
    max_iter=1000,
    fit_intercept=True,
    class_weight=None,
    sample_weight=None,
    screening=True,
    random_state=None,
):
    """Compute the softmax regression path along a grid of penalties.

    Fits :class:`SoftmaxClassifier` at each `alpha`, largest first, each fit
    warm-started from the previous solution, and returns the coefficients
    along the path, as :func:`sklearn.linear_model.enet_path` does for linear
    regression. Works on every input :class:`SoftmaxClassifier` fits (numpy,
    sparse, dask and array API arrays), with the full-batch solvers.

    Read more in the :doc:`user guide </user_guide/choosing_alpha>`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data; a dask array or an array API array (with
        ``array_api_dispatch`` on) is fitted where it lives.
    y : array-like of shape (n_samples,)
        Class labels.
    alphas : array-like of shape (n_alphas,), default=None
        Penalties of the path, sorted largest first before fitting. None
        computes `n_alphas` of them on a geometric grid from ``alpha_max`` down
        to ``eps * alpha_max`` (see Notes).
    n_alphas : int, default=100
        Number of penalties of the default grid.
    eps : float, default=1e-3
        Ratio of the smallest penalty of the default grid to the largest.
    l1_ratio : float, default=0.0
        Elastic-net mixing in ``[0, 1]``, as in :class:`SoftmaxClassifier`.
    solver : {'auto', 'gd', 'lbfgs', 'newton-cg'}, default='auto'
        Full-batch solver of every fit (see :class:`SoftmaxClassifier`);
        ``'lbfgs'`` and ``'newton-cg'`` need ``l1_ratio = 0``.
    tol : float, default=1e-4
        Stopping tolerance of every fit.
    max_iter : int, default=1000
        Iteration limit of every fit.
    fit_intercept : bool, default=True
        Whether to fit (unpenalised) intercepts.
    class_weight : dict or 'balanced', default=None
        Class weights, as in :class:`SoftmaxClassifier`.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    screening : bool, default=True
        With ``l1_ratio > 0``, fit each penalty on the columns the sequential
        strong rule keeps, then re-admit every column whose zero coefficients
        violate the optimality conditions by more than `tol` and refit (see
        Notes). Without an L1 part it changes nothing.
    random_state : int, RandomState instance or None, default=None
        Seed of ``'newton-cg'``'s Hessian subsample.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The penalties, largest first.
    coefs : ndarray of shape (n_classes_or_1, n_features, n_alphas)
        ``coef_`` at each penalty (one row for two classes), on the host.
    intercepts : ndarray of shape (n_classes_or_1, n_alphas)
        ``intercept_`` at each penalty.
    n_iters : ndarray of shape (n_alphas,)
        Solver iterations at each penalty (all the fits of a screened step).

    See Also
    --------
    SoftmaxClassifierCV : Chooses `alpha` by cross-validation along paths.
    sklearn.linear_model.enet_path : The same for linear regression.

    Notes
    -----
    With ``l1_ratio > 0`` the largest default penalty is
    ``alpha_max = max |G| / l1_ratio`` where ``G`` is the gradient of the
    weighted mean cross-entropy with respect to ``coef_`` at the
    intercept-only optimum (``coef_ = 0``, intercepts the log of the weighted
    class frequencies): the smallest penalty at which every coefficient is
    zero (the fit there may leave coefficients of the size of the rounding
    error, as its gradient is summed in another order). A pure L2 penalty
    never makes coefficients zero; its default grid starts at ``max |G|``,
    the ``alpha_max`` of the pure L1 penalty, so it follows the scale of the
    features and of the labels' correlation with them. Pass `alphas` to set
    the grid.

    Screening: at ``alpha_k`` the fit sees only the columns ``j`` that had a
    non-zero coefficient at ``alpha_{k-1}`` or whose gradient satisfies
    ``max_k |G_jk| >= l1_ratio * (2 alpha_k - alpha_{k-1})`` (the sequential
    strong rule); the other coefficients are exactly zero. After the fit the
    gradient on every column is checked; a left-out column with
    ``max |G_jk| > alpha_k * l1_ratio + tol`` joins and the fit is repeated.
    The returned path therefore meets the same stopping rule as fits on all
    columns.

    A ConvergenceWarning of a fit names the penalty and the step of the path.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_softmax import softmax_path
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> alphas, coefs, intercepts, n_iters = softmax_path(
    ...     X, y, l1_ratio=1.0, n_alphas=5, solver="gd"
    ... )
    >>> coefs.shape
    (3, 4, 5)
    >>> [float(a) for a in alphas.round(4)]
    [0.435, 0.0774, 0.0138, 0.0024, 0.0004]
    >>> [int((abs(coefs[..., k]) > 1e-12).sum()) for k in range(5)]  # non-zeros
    [0, 4, 5, 7, 7]
    """
    template = SoftmaxClassifier(
        l1_ratio=l1_ratio,
        solver=solver,
        tol=tol,
        max_iter=max_iter,
        fit_intercept=fit_intercept,
        class_weight=class_weight,
        random_state=random_state,
    )
    data = PathData(X, y, sample_weight, class_weight, fit_intercept)
    if alphas is None:
        alphas = alpha_grid(data, l1_ratio, n_alphas, eps)
    alphas = check_alphas(alphas)
    steps = list(iter_path(template, data, alphas, screening))
    coefs = np.stack([step.coef for step in steps], axis=-1)
    intercepts = np.stack([step.intercept for step in steps], axis=-1)
    n_iters = np.array([step.n_iter for step in steps])
    return alphas, coefs, intercepts, n_iters
