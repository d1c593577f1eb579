"""Which rows newton-cg's Hessian-vector products use.

When the samples far outnumber the coefficients, a Hessian
estimated from a random subset of rows steers truncated Newton almost as well
as the full one at a fraction of the cost per product; the gradient, and so
the optimum and the stopping test, stay exact. The subset is drawn class by
class, so that every class's block of the Hessian is estimated from enough
rows even when the class is rare, and each row is reweighted by the inverse of
its class's sampling rate, which keeps the estimate unbiased.
"""

import numpy as np

ROWS_PER_DOF = 20
SUBSAMPLE_FACTOR = 4


def use_hessian_subsample(n_samples, n_dof):
    """Whether the data have ``SUBSAMPLE_FACTOR`` times the subsample's rows."""
    return n_samples >= SUBSAMPLE_FACTOR * ROWS_PER_DOF * n_dof


def hessian_sample_size(layout):
    """Return the subsample's rows in all and its floor per class for `layout`."""
    n_coef = layout.n_features + layout.fit_intercept  # per class
    return ROWS_PER_DOF * layout.n_dof, ROWS_PER_DOF * n_coef


def stratified_rows(y, n_rows, min_per_class, rng):
    """Draw about `n_rows` rows, class by class, without replacement.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded labels.
    n_rows : int
        Total number of rows wanted; each class gets its proportional share.
    min_per_class : int
        Floor on a class's share (a class with fewer rows gives all of them).
    rng : numpy.random.RandomState
        Source of randomness.

    Returns
    -------
    rows : ndarray of int
        The sorted row indices.
    scale : ndarray of shape (len(rows),)
        For each row, its class's count divided by the class's share: the
        inverse sampling rate to multiply its weight by.
    """
    counts = np.bincount(y)
    shares = np.maximum(np.round(n_rows * counts / len(y)).astype(int), min_per_class)
    shares = np.minimum(shares, counts)
    rows, scale = [], []
    for k in np.flatnonzero(counts):
        members = np.flatnonzero(y == k)
        rows.append(rng.choice(members, size=shares[k], replace=False))
        scale.append(np.full(shares[k], counts[k] / shares[k]))
    rows, scale = np.concatenate(rows), np.concatenate(scale)
    order = np.argsort(rows)
    return rows[order], scale[order]
