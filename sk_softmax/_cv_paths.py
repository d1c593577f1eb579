"""The work of SoftmaxClassifierCV: one path per split, routing, the refit.

Each split's path runs in its own joblib task (:func:`fold_path`): the
training part is fitted along the penalties with warm starts and every step is
scored on the held-out part. The refit on all the data starts from the mean of
the splits' solutions at the chosen penalty (:func:`refit_from_paths`).
"""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import (
    _raise_for_params,
    _routing_enabled,
    process_routing,
)

from sk_softmax._path_data import PathData, take_columns
from sk_softmax._path_fit import fit_naming_alpha, iter_path


def _rows(value, rows, n_samples):
    """`value` at `rows` when it holds one entry per sample, else unchanged."""
    if hasattr(value, "__len__") and not isinstance(value, str | dict):
        if len(value) == n_samples:
            return np.asarray(value)[rows]
    return value


def neg_log_loss(estimator, X, y, sample_weight=None):
    """scikit-learn's ``'neg_log_loss'`` score, from the model's log-softmax.

    The same value as ``get_scorer('neg_log_loss')`` (probabilities clipped
    to ``[eps, 1 - eps]`` of their dtype), to rounding, without its input
    checks: the held-out labels are among the model's classes by
    construction. It takes about as long as a gradient, where the generic
    scorer takes many times more on small held-out parts.
    """
    log_proba = estimator.predict_log_proba(X)
    eps = np.finfo(log_proba.dtype).eps
    log_proba = np.clip(log_proba, np.log(eps), np.log1p(-eps))
    picked = log_proba[np.arange(len(y)), np.searchsorted(estimator.classes_, y)]
    return float(np.average(picked, weights=sample_weight))


def check_l1_ratios(l1_ratios, solver):
    """Return `l1_ratios` as a 1-D float array in [0, 1] that `solver` fits."""
    checked = np.asarray(l1_ratios, dtype=np.float64).ravel()
    if checked.size == 0 or np.any((checked < 0) | (checked > 1)):
        raise ValueError(
            "l1_ratios must be a non-empty list of numbers in [0, 1]; got "
            f"{l1_ratios!r}."
        )
    if solver in ("lbfgs", "newton-cg") and np.any(checked > 0):
        raise ValueError(
            f"solver={solver!r} supports only the L2 penalty; got "
            f"l1_ratios={checked.tolist()}. Use solver='auto' or 'gd' for L1 "
            "and elastic-net penalties."
        )
    return checked


def routed_params(estimator, sample_weight, params):
    """Where ``fit``'s metadata go: ``splitter.split`` and ``scorer.score``.

    With metadata routing, as the splitter and the scorer request them.
    Without, ``groups`` goes to the splitter and `sample_weight` to the
    scorer (it always reaches the fits); any other key is an error.
    """
    if _routing_enabled():
        return process_routing(estimator, "fit", sample_weight=sample_weight, **params)
    params = dict(params)
    groups = params.pop("groups", None)
    _raise_for_params(params, estimator, "fit")
    score = {} if sample_weight is None else {"sample_weight": sample_weight}
    return Bunch(splitter=Bunch(split={"groups": groups}), scorer=Bunch(score=score))


def fold_path(template, data, split, alphas, screening, scorer, score_params):
    """Fit one split's path and score every step on the held-out part.

    Parameters
    ----------
    template : SoftmaxClassifier
        Settings of the fits.
    data : PathData
        All the data (numpy or sparse).
    split : tuple of (ndarray, ndarray)
        Training and held-out rows.
    alphas : ndarray of shape (n_alphas,)
        Penalties, largest first.
    screening : bool
        Whether an L1 path screens columns.
    scorer : callable or None
        ``scorer(estimator, X, y, **params)``; None is :func:`neg_log_loss`.
    score_params : dict
        Metadata for the scorer, indexed by the held-out rows when they have
        one entry per sample.

    Returns
    -------
    scores, n_iter : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_classes_or_1, n_features, n_alphas)
    intercepts : ndarray of shape (n_classes_or_1, n_alphas)
    """
    train, test = split
    X, y, sample_weight = data.X, data.y, data.sample_weight
    fold = PathData(
        X[train],
        y[train],
        None if sample_weight is None else sample_weight[train],
        template.class_weight,
        template.fit_intercept,
    )
    if not np.array_equal(fold.classes, data.classes):
        missing = np.setdiff1d(data.classes, fold.classes).tolist()
        raise ValueError(
            f"The training part of a cross-validation split lacks the classes "
            f"{missing!r}; use a stratified splitter or fewer splits."
        )
    X_test, y_test = X[test], y[test]
    scorer = neg_log_loss if scorer is None else scorer
    params = {
        key: _rows(value, test, data.n_samples) for key, value in score_params.items()
    }
    scores, n_iter, coefs, intercepts = [], [], [], []
    for step in iter_path(template, fold, alphas, screening, "SoftmaxClassifierCV"):
        X_eval = X_test if step.columns is None else take_columns(X_test, step.columns)
        scores.append(scorer(step.estimator, X_eval, y_test, **params))
        n_iter.append(step.n_iter)
        coefs.append(step.coef)
        intercepts.append(step.intercept)
    return (
        np.asarray(scores, dtype=np.float64),
        np.asarray(n_iter),
        np.stack(coefs, axis=-1),
        np.stack(intercepts, axis=-1),
    )


def cross_validate_paths(
    templates, data, splits, alphas, screening, scorer, score_params, n_jobs
):
    """Fit and score the path of every split for every l1_ratio, with joblib.

    Parameters
    ----------
    templates : list of SoftmaxClassifier
        One per l1_ratio.
    data : PathData
        All the data.
    splits : list of tuple of (ndarray, ndarray)
        Training and held-out rows of each split.
    alphas : ndarray of shape (n_l1_ratios, n_alphas)
        Penalties of each l1_ratio, largest first.
    screening, scorer, score_params
        As for :func:`fold_path`.
    n_jobs : int or None
        Number of joblib jobs.

    Returns
    -------
    scores, n_iter : ndarray of shape (n_l1_ratios, n_splits, n_alphas)
    coefs : ndarray of shape (n_l1_ratios, n_splits, n_classes_or_1, \
            n_features, n_alphas)
    intercepts : ndarray of shape (n_l1_ratios, n_splits, n_classes_or_1, \
            n_alphas)
    """
    jobs = (
        delayed(fold_path)(
            template, data, split, alphas[i], screening, scorer, score_params
        )
        for i, template in enumerate(templates)
        for split in splits
    )
    results = zip(*Parallel(n_jobs=n_jobs)(jobs), strict=True)
    shape = (len(templates), len(splits))
    return tuple(np.reshape(np.stack(part), shape + part[0].shape) for part in results)


def refit_from_paths(template, data, alpha, coefs, intercepts):
    """Fit `template` at `alpha` on all the data, from the splits' mean solution.

    Parameters
    ----------
    template : SoftmaxClassifier
        Settings of the fit; its `l1_ratio` is the chosen one.
    data : PathData
        All the data.
    alpha : float
        The chosen penalty.
    coefs : ndarray of shape (n_splits, n_classes_or_1, n_features)
        The splits' ``coef_`` at `alpha`.
    intercepts : ndarray of shape (n_splits, n_classes_or_1)
        The splits' ``intercept_`` at `alpha`.

    Returns
    -------
    estimator : SoftmaxClassifier
        Fitted, with ``warm_start=False`` (as `template`).
    """
    estimator = clone(template).set_params(alpha=alpha, warm_start=True)
    estimator.classes_ = data.classes
    estimator.coef_ = coefs.mean(axis=0)
    estimator.intercept_ = intercepts.mean(axis=0)
    where = f"SoftmaxClassifierCV refit at alpha={alpha:.6g}"
    fit_naming_alpha(estimator, data.X, data, where)
    return estimator.set_params(warm_start=template.warm_start)
