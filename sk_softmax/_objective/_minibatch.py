"""Mini-batches: the objective on a few rows at a time.

The stochastic solvers evaluate the objective on a mini-batch:
:func:`batch_value_gradient` builds the one-array objective of those rows
alone (weights renormalised, nothing precomputed), whose value and gradient
estimate the full ones, and reports the rows' share of the weight.
"""

from sk_softmax._objective._penalized import LinearSoftmaxLoss


def minibatch(objective, rows):
    """Return the one-array objective on the samples ``rows``, for one-off use.

    The rows' weights are renormalised to sum to one, so the result's value
    and gradient estimate `objective`'s from a sample (a mini-batch
    gradient). Nothing is precomputed (``reuse=False``).

    Parameters
    ----------
    objective : LinearSoftmaxLoss
        The objective on all the samples.
    rows : ndarray of int
        Indices of the samples.

    Returns
    -------
    batch : LinearSoftmaxLoss or None
        ``None`` when the rows carry no weight.
    share : float
        The rows' share of the total weight.
    """
    data = objective.data
    weights = data.weights64[rows]
    share = float(weights.sum())
    if not share > 0:
        return None, share
    batch = LinearSoftmaxLoss(
        data.X[rows],
        data.cross_entropy.labels.y[rows],
        data.layout.n_classes,
        sample_weight=weights,
        fit_intercept=data.layout.fit_intercept,
        penalty=objective.penalty,
        reuse=False,
    )
    return batch, share


def batch_value_gradient(objective, coef, rows):
    """Smooth objective and gradient on the mini-batch ``rows``.

    Returns
    -------
    result : tuple of (float, ndarray of shape (n_dof,), float) or None
        The value and gradient on the batch (weights renormalised), and the
        batch's share of the total weight; ``None`` when the batch carries no
        weight.
    """
    batch, share = minibatch(objective, rows)
    if batch is None:
        return None
    return (*batch.value_gradient(coef), share)
