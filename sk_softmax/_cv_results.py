"""Cross-validation scores on a path grid: ``cv_results_`` and the choice of alpha.

The grid is ``(l1_ratio, alpha)`` pairs, l1_ratio by l1_ratio, each with its
alphas largest first. Scores arrive as an array of shape
``(n_l1_ratios, n_splits, n_alphas)``.
"""

import numpy as np
from scipy.stats import rankdata

SELECTIONS = ("best", "one_se")


def fold_statistics(scores):
    """Mean, standard deviation and standard error of the fold scores.

    Parameters
    ----------
    scores : ndarray of shape (n_l1_ratios, n_splits, n_alphas)
        Score of each split at each grid point.

    Returns
    -------
    mean, std, sem : ndarrays of shape (n_l1_ratios, n_alphas)
        ``std`` is the population standard deviation over the folds (as
        GridSearchCV reports it); ``sem = std(ddof=1) / sqrt(n_splits)``, the
        standard error of the mean (0 for a single split).
    """
    n_splits = scores.shape[1]
    mean = scores.mean(axis=1)
    std = scores.std(axis=1)
    if n_splits > 1:
        sem = scores.std(axis=1, ddof=1) / np.sqrt(n_splits)
    else:
        sem = np.zeros_like(mean)
    return mean, std, sem


def select(mean, sem, alphas, selection):
    """Return the grid point ``(i_l1_ratio, i_alpha)`` the rule chooses.

    Parameters
    ----------
    mean, sem : ndarray of shape (n_l1_ratios, n_alphas)
        Mean score (higher is better) and its standard error.
    alphas : ndarray of shape (n_l1_ratios, n_alphas)
        The penalties of each l1_ratio, largest first.
    selection : {'best', 'one_se'}
        ``'best'``: the highest mean score (the first in grid order on ties,
        so the largest alpha). ``'one_se'``: on the curve of the best point's
        l1_ratio, the largest alpha whose mean score is at least the best
        mean minus its standard error.

    Returns
    -------
    i_l1_ratio, i_alpha : int
    """
    if not np.any(np.isfinite(mean)):
        raise ValueError(
            "Every cross-validation score is NaN or infinite: no alpha can be "
            "chosen. Check the scoring and the data."
        )
    finite = np.where(np.isfinite(mean), mean, -np.inf)
    i_l1, i_alpha = np.unravel_index(int(np.argmax(finite)), mean.shape)
    if selection == "one_se":
        threshold = finite[i_l1, i_alpha] - sem[i_l1, i_alpha]
        within = np.flatnonzero(finite[i_l1] >= threshold)
        i_alpha = within[np.argmax(alphas[i_l1, within])]
    return int(i_l1), int(i_alpha)


def cv_results(scores, alphas, l1_ratios, n_iter):
    """Build ``cv_results_``: one entry per grid point, GridSearchCV's keys.

    Parameters
    ----------
    scores : ndarray of shape (n_l1_ratios, n_splits, n_alphas)
        Score of each split at each grid point.
    alphas : ndarray of shape (n_l1_ratios, n_alphas)
        Penalties of each l1_ratio.
    l1_ratios : ndarray of shape (n_l1_ratios,)
        The mixings.
    n_iter : ndarray of shape (n_l1_ratios, n_splits, n_alphas)
        Solver iterations of each fit.

    Returns
    -------
    results : dict of ndarrays and a list
        ``param_alpha``, ``param_l1_ratio``, ``params``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score``,
        ``sem_test_score``, ``rank_test_score`` and ``mean_n_iter``; every
        value has one entry per grid point.
    """
    _, n_splits, n_alphas = scores.shape
    mean, std, sem = fold_statistics(scores)
    param_l1 = np.repeat(np.asarray(l1_ratios, dtype=np.float64), n_alphas)
    param_alpha = alphas.ravel().copy()
    results = {
        "param_alpha": param_alpha,
        "param_l1_ratio": param_l1,
        "params": [
            {"alpha": float(a), "l1_ratio": float(r)}
            for a, r in zip(param_alpha, param_l1, strict=True)
        ],
    }
    for k in range(n_splits):
        results[f"split{k}_test_score"] = scores[:, k, :].ravel()
    flat_mean = mean.ravel()
    ranked = np.where(np.isfinite(flat_mean), -flat_mean, np.inf)
    results.update(
        mean_test_score=flat_mean,
        std_test_score=std.ravel(),
        sem_test_score=sem.ravel(),
        rank_test_score=rankdata(ranked, method="min").astype(np.int32),
        mean_n_iter=n_iter.mean(axis=1).ravel(),
    )
    return results
