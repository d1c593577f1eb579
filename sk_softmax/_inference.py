"""inference: standard errors, tests and intervals of a fitted softmax model.

A free function of a fitted model and its training data, in the manner of
:func:`sklearn.inspection.permutation_importance`: ``fit`` does none of this
work and the estimator gets no new attribute. The statistics come from the
fitted coefficients and one blockwise pass over the data
(:mod:`sk_softmax._hessian`); the covariance algebra is in
:mod:`sk_softmax._covariance` and the table in
:class:`~sk_softmax.InferenceResult`.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from sk_softmax._classifier import SoftmaxClassifier
from sk_softmax._covariance import (
    check_size,
    cluster_factor,
    cluster_sandwich,
    inverse_spd,
    laplace_inverse,
    newton_step_in_se,
    sandwich,
    to_contrasts,
)
from sk_softmax._hessian import ModelSpec
from sk_softmax._inference_data import statistics
from sk_softmax._inference_result import InferenceResult
from sk_softmax._parameterisation import free_params, parameterisation

__all__ = ["inference"]

COVARIANCES = ("auto", "nonrobust", "HC0", "cluster", "laplace")
MAXIMUM_LIKELIHOOD = ("nonrobust", "HC0", "cluster")
# A Newton step from the fitted point longer than this many standard errors
# (on any coefficient) means the model is not at the optimum on these data.
OPTIMUM_TOLERANCE = 0.01


def _final_step(model, X):
    """Return the fitted SoftmaxClassifier, and `X` through a Pipeline's steps."""
    estimator = model
    if isinstance(model, Pipeline):
        estimator = model[-1]
        if len(model) > 1:
            check_is_fitted(estimator)
            X = model[:-1].transform(X)
    if not isinstance(estimator, SoftmaxClassifier):
        raise TypeError(
            "inference needs a fitted SoftmaxClassifier, or a Pipeline ending in "
            f"one; got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    return estimator, X


def _resolve_covariance(estimator, covariance, groups):
    """Return the covariance to compute; refuse those that would mean nothing."""
    if not isinstance(covariance, str) or covariance not in COVARIANCES:
        raise ValueError(
            f"covariance must be one of {COVARIANCES}; got {covariance!r}."
        )
    alpha, l1_ratio = estimator.alpha, estimator.l1_ratio
    if alpha > 0 and l1_ratio > 0:
        raise ValueError(
            f"The model has an L1 penalty (alpha={alpha}, l1_ratio={l1_ratio}), "
            "which selects features: standard errors, p-values and intervals "
            "computed as if the selected model had been chosen in advance are "
            "not valid after selection, so none are given. Refit with "
            "l1_ratio=0 (alpha=0 for maximum-likelihood inference)."
        )
    if covariance == "cluster" and groups is None:
        raise ValueError("covariance='cluster' needs groups: one label per sample.")
    if groups is not None and covariance != "cluster":
        raise ValueError(
            "groups is only used by covariance='cluster'; got "
            f"covariance={covariance!r}."
        )
    if covariance == "auto":
        if alpha == 0:
            return "nonrobust"
        warnings.warn(
            f"The model is penalised (alpha={alpha}): covariance='auto' gives the "
            "Laplace approximation of the posterior of the Gaussian-prior model, "
            "so the intervals are posterior (Bayesian) intervals, not frequentist "
            "confidence intervals. For the latter, refit with alpha=0.",
            UserWarning,
            stacklevel=3,
        )
        return "laplace"
    if covariance in MAXIMUM_LIKELIHOOD and alpha > 0:
        raise ValueError(
            f"covariance={covariance!r} is a covariance of the maximum-likelihood "
            f"estimate, but the model is penalised (alpha={alpha}). Refit with "
            "alpha=0, or use covariance='laplace' for the posterior covariance "
            "of the penalised model."
        )
    if covariance == "laplace" and alpha == 0:
        raise ValueError(
            "covariance='laplace' is the posterior covariance under the Gaussian "
            "prior of the penalty, but the model has alpha=0 (no prior): use "
            "covariance='nonrobust', the inverse observed information."
        )
    return covariance


def _check_totals(totals, classes, n_params):
    """Refuse classes without weight and fewer observations than parameters."""
    empty = classes[totals <= 0]
    if len(empty):
        raise ValueError(
            f"Classes {empty.tolist()!r} have no samples (or zero weight) in y: "
            "their coefficients have no information. Pass the data the model "
            "was fitted on."
        )
    if not totals.sum() > n_params:
        raise ValueError(
            f"The total weight ({totals.sum():g} observations) must exceed the "
            f"number of parameters ({n_params}). Sample weights count rows "
            "(frequency weights); weights normalised to sum to one do not."
        )


def _covariances(estimator, layout, sums, covariance, params):
    """Return the bread (inverse Hessian), the gradient at the fit, the covariance."""
    nobs = sums.class_totals.sum()
    if covariance == "laplace":
        n_coef = layout.theta.shape[1]
        on_weights = np.ones(n_coef)
        if layout.fit_intercept:
            on_weights[-1] = 0
        penalty = estimator.alpha * nobs * np.tile(on_weights, len(layout.free))
        hessian = sums.information + np.diag(penalty)
        if layout.symmetric:
            bread = laplace_inverse(
                hessian, len(layout.free), n_coef, layout.fit_intercept
            )
        else:
            bread = inverse_spd(hessian, "penalised Hessian")
        return bread, penalty * params - sums.score, bread
    bread = inverse_spd(sums.information, "observed information matrix")
    if covariance == "nonrobust":
        cov = bread
    elif covariance == "HC0":
        cov = sandwich(bread, sums.meat)
    else:
        n_groups = int(np.sum(sums.group_weights > 0))
        if n_groups < 2:
            raise ValueError(
                f"covariance='cluster' needs at least 2 groups; got {n_groups}."
            )
        cov = cluster_sandwich(bread, sums.group_scores)
        cov *= cluster_factor(n_groups, nobs, len(params))
    return bread, -sums.score, cov


def _warn_if_not_optimal(bread, gradient):
    """Warn when the model is not at the optimum of its objective on the data."""
    step = newton_step_in_se(bread, gradient)
    if step > OPTIMUM_TOLERANCE:
        warnings.warn(
            "The model is not at the optimum of its objective on these data: "
            f"one Newton step would move a coefficient by {step:.2g} standard "
            "errors. The statistics describe the fitted coefficients as they "
            "are; pass the data the model was fitted on, or refit with a "
            "smaller tol (for example tol=1e-8, solver='newton-cg').",
            ConvergenceWarning,
            stacklevel=3,
        )


def inference(
    model,
    X,
    y,
    *,
    sample_weight=None,
    groups=None,
    reference=None,
    covariance="auto",
):
    """Compute standard errors, confidence intervals, p-values, likelihood statistics.

    Computes, for a fitted :class:`~sk_softmax.SoftmaxClassifier` and the data
    it was fitted on, the covariance of its coefficients, Wald tests and
    intervals, and the log-likelihood statistics, as statsmodels' ``MNLogit``
    (and ``Logit``) report them for the unpenalised model. Nothing is added to
    the estimator; ``fit`` is not slowed.

    **Parameterisation.** The softmax coefficients ``W[k]`` of an unpenalised
    fit are identified only up to a common shift (adding one vector to every
    class's coefficients changes no probability). What is identified, and
    what the table reports, are the log-odds against a reference class,
    ``W[k] - W[reference]`` (features, then intercept), for every class but
    the reference; with the default reference ``classes_[0]`` these are
    exactly statsmodels' ``MNLogit`` parameters. A binary model already has
    this form (one row: ``classes_[1]`` against ``classes_[0]``). With an L2
    penalty (covariance ``'laplace'``, three or more classes) the prior pins
    the shift, so the table shows every class's own coefficients (they sum to
    zero over the classes; intercepts are centred the same way) unless a
    `reference` is given.

    **Covariances**, and when they are valid:

    - ``'nonrobust'``: the inverse observed Fisher information of the
      maximum-likelihood estimate (``alpha=0``). Valid when the model is
      correctly specified and the rows are independent; sample weights count
      as repeated rows.
    - ``'HC0'``: the robust sandwich ``H^-1 (sum_i s_i g_i g_i^T) H^-1``
      (``g_i`` the score of row ``i``), statsmodels' ``cov_type='HC0'``, with
      no small-sample factor. Valid for independent rows under
      misspecification of the probabilities.
    - ``'cluster'``: the cluster-robust sandwich with the score summed within
      each group of `groups`, times the small-sample factor
      ``G / (G - 1) * (N - 1) / (N - P)`` (``G`` groups with positive weight,
      ``N`` observations, ``P`` parameters), as statsmodels'
      ``cov_type='cluster'`` applies by default. Valid for rows correlated
      within groups and independent between them, with many groups.
    - ``'laplace'``: for an L2-penalised fit (``alpha > 0``), the inverse
      penalised Hessian of the total negative log-posterior
      ``sum_i s_i CE_i + alpha * sum(s) / 2 * ||W||^2``: the covariance of
      the Laplace (Gaussian) approximation of the posterior of the model
      with a Gaussian prior on ``W``. Its intervals are posterior intervals
      and its "p-values" the matching Wald quantities, not frequentist ones.
    - ``'auto'``: ``'nonrobust'`` for ``alpha=0``; ``'laplace'`` for
      ``alpha > 0``, with a warning that the intervals are posterior ones.

    A model with an L1 penalty (``l1_ratio > 0`` and ``alpha > 0``) is
    refused: intervals are not valid after selection.

    Parameters
    ----------
    model : SoftmaxClassifier or Pipeline
        A fitted SoftmaxClassifier, or a fitted Pipeline ending in one (the
        steps before it transform `X`).
    X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
        The data the model was fitted on. A pandas DataFrame names the
        features; a dask array or DataFrame is reduced chunk by chunk where it
        lives.
    y : array-like of shape (n_samples,)
        The class labels it was fitted on (dask when `X` is).
    sample_weight : array-like of shape (n_samples,), default=None
        The sample weights of the fit. They are frequency weights: an integer
        weight counts its row that many times, and ``nobs`` is their total
        (times the model's class weights). Weights that do not count rows
        (normalised to sum to one, inverse-probability weights) make the
        standard errors meaningless.
    groups : array-like of shape (n_samples,), default=None
        Cluster labels for ``covariance='cluster'`` (and only for it).
    reference : object, default=None
        The reference class of the contrasts, one of ``classes_``. None means
        ``classes_[0]``, except for ``'laplace'`` with three or more classes,
        where None gives the symmetric table.
    covariance : {'auto', 'nonrobust', 'HC0', 'cluster', 'laplace'}, default='auto'
        The covariance of the coefficients; see above.

    Returns
    -------
    result : InferenceResult
        The table (:meth:`~sk_softmax.InferenceResult.summary_frame`), the
        arrays in its row order and the likelihood statistics.

    Raises
    ------
    ValueError
        For an L1-penalised model; a covariance that does not fit the model
        (a maximum-likelihood covariance for ``alpha > 0``, ``'laplace'`` for
        ``alpha=0``); ``'cluster'`` without `groups` or `groups` without
        ``'cluster'``; data that do not match the model (features, unknown
        labels, a class without samples); a singular information matrix
        (collinear features, separated classes); more than 5,000 parameters
        (the information matrix is then too large to invert).
    TypeError
        If `model` is not a SoftmaxClassifier or a Pipeline ending in one.
    sklearn.exceptions.NotFittedError
        If `model` is not fitted.

    Warns
    -----
    UserWarning
        With ``covariance='auto'`` and ``alpha > 0``: the intervals are
        posterior ones.
    sklearn.exceptions.ConvergenceWarning
        When one Newton step from the fitted coefficients would move one by
        more than 1% of its standard error: the model is not at the optimum on
        these data (a loose `tol`, or other data than the fit's).

    See Also
    --------
    InferenceResult : The result and its table.
    coef_frame : The coefficients alone, as a DataFrame.

    Notes
    -----
    The observed information ``sum_i s_i (diag(q_i) - q_i q_i^T) (x) x_i
    x_i^T`` is summed over blocks of rows as one matrix product per block,
    never forming per-sample ``K x K`` matrices; sparse rows stay sparse, and
    dask collections are reduced over their chunks. Its inverse has
    ``((K - 1) * (n_features + 1))^2`` entries, which limits inference to
    5,000 parameters.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_softmax import SoftmaxClassifier, inference
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> X = X[["sepal length (cm)"]]
    >>> clf = SoftmaxClassifier(alpha=0, tol=1e-10, solver="newton-cg").fit(X, y)
    >>> result = inference(clf, X, y)
    >>> result.summary_frame().round(2)  # doctest: +NORMALIZE_WHITESPACE
                              coef  std_err     z  p_value  ci_lower  ci_upper
    class feature
    1     sepal length (cm)   4.82     0.91  5.31      0.0      3.04      6.59
          intercept         -26.08     4.89 -5.33      0.0    -35.66    -16.50
    2     sepal length (cm)   6.85     1.02  6.70      0.0      4.84      8.85
          intercept         -38.76     5.69 -6.81      0.0    -49.91    -27.61
    >>> result.reference, result.covariance
    (0, 'nonrobust')
    >>> round(result.llf, 2), round(result.llnull, 2)
    (-91.03, -164.79)
    """
    estimator, X = _final_step(model, X)
    covariance = _resolve_covariance(estimator, covariance, groups)
    layout = parameterisation(estimator, covariance, reference)
    n_coef = layout.theta.shape[1]
    check_size(len(layout.free) * n_coef, len(layout.free), n_coef)
    spec = ModelSpec(
        layout.classes,
        np.ones(len(layout.classes)),
        layout.theta,
        layout.fit_intercept,
        layout.free,
        covariance == "HC0",
        None,
    )
    sums = statistics(estimator, X, y, sample_weight, groups, spec)
    n_classes = len(layout.classes)
    _check_totals(sums.class_totals, layout.classes, (n_classes - 1) * n_coef)
    params = free_params(layout)
    bread, gradient, cov = _covariances(estimator, layout, sums, covariance, params)
    _warn_if_not_optimal(bread, gradient)
    if layout.symmetric and layout.reference is not None:
        params, cov = to_contrasts(params, cov, n_classes, n_coef, layout.reference)
    totals = sums.class_totals
    nobs = totals.sum()
    return InferenceResult(
        params,
        cov,
        layout.index(),
        llf=sums.loglik,
        llnull=float(totals @ np.log(totals / nobs)),
        nobs=nobs,
        n_params=(n_classes - 1) * n_coef,
        df_model=(n_classes - 1) * estimator.n_features_in_,
        covariance=covariance,
        reference=(
            None
            if layout.reference is None
            else layout.classes[[layout.reference]].tolist()[0]
        ),
    )
