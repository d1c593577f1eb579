"""The dask backend: dask arrays and DataFrames, fitted chunk by chunk.

``fit`` takes dask arrays and dask DataFrames (``y`` and ``sample_weight`` as
dask or numpy). The objective is a reduction over the row chunks where they
live (:mod:`sk_softmax._backends._dask_chunks`,
:mod:`sk_softmax._backends._remote`): the data are never gathered. dask is
an optional dependency, imported by the functions that need it.
"""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from sk_softmax._backends._common import (
    attribute_maker,
    class_weights_of,
    penalty_of,
    require_two_classes,
    require_weight,
)
from sk_softmax._backends._dask_pools import make_chunks
from sk_softmax._backends._kinds import is_dask_collection
from sk_softmax._backends._problem import Problem
from sk_softmax._backends._remote import RemoteCrossEntropy
from sk_softmax._layout import CoefficientLayout
from sk_softmax._objective import PenalizedObjective


def to_dask_array(data):
    """Return a dask array with known chunks from an array, DataFrame or Series."""
    if hasattr(data, "to_dask_array"):  # dask DataFrame or Series
        return data.to_dask_array(lengths=True)
    if any(np.isnan(size) for sizes in data.chunks for size in sizes):
        data = data.compute_chunk_sizes()
    return data


def feature_names(X):
    """Column names of a dask DataFrame when all are strings, else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not all(isinstance(name, str) for name in columns):
        return None
    return np.asarray(list(columns), dtype=object)


def as_dask_arrays(X, y, sample_weight):
    """Validate and align ``fit``'s dask inputs.

    Returns
    -------
    X : dask array of shape (n_samples, n_features)
        Float32 or float64 (other numeric types become float64), one chunk
        across the features.
    y : dask array of shape (n_samples,)
        With the row chunks of `X`.
    sample_weight : dask array of shape (n_samples,) or None
        With the row chunks of `X`.
    """
    import dask.array as da

    X = to_dask_array(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D dask array for X, got {X.ndim}D instead.")
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"X must be numeric; got a dask array of dtype {X.dtype}. Convert "
            "the columns to numbers first."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.shape[0] < 2:
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) while a minimum of 2 is "
            "required by SoftmaxClassifier."
        )
    if X.shape[1] < 1:
        raise ValueError("X has 0 features; at least 1 is required.")
    X = X.rechunk({1: -1})
    rows = (X.chunks[0],)
    y = to_dask_array(y) if is_dask_collection(y) else da.from_array(np.asarray(y))
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape}."
        )
    y = y.rechunk(rows)
    if sample_weight is not None:
        if not is_dask_collection(sample_weight):
            sample_weight = da.from_array(np.asarray(sample_weight, dtype=float))
        sample_weight = to_dask_array(sample_weight)
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(
                f"sample_weight.shape == {sample_weight.shape}, expected "
                f"{(X.shape[0],)}!"
            )
        sample_weight = sample_weight.rechunk(rows)
    return X, y, sample_weight


def build_problem(estimator, X, y, sample_weight):
    """Validate dask input and build its objective on the chunks; see :class:`Problem`.

    The chunks are checked and their losses built where they live (one
    :class:`~sk_softmax._backends._dask_chunks.ChunkLoss` per worker, or
    streamed); only the labels' distinct values and the class totals come to
    this process, in the same calls that check the chunks.
    """
    names = feature_names(X)
    X, y, sample_weight = as_dask_arrays(X, y, sample_weight)
    chunks = make_chunks(X, y, sample_weight, X.dtype, verbose=estimator.verbose)
    try:
        remote, classes, totals = _remote_loss(estimator, chunks, X)
    except BaseException:
        chunks.release()
        raise
    return Problem(
        objective=PenalizedObjective(remote, penalty_of(estimator)),
        classes=classes,
        class_totals=totals,
        n_features=X.shape[1],
        feature_names=names,
        sparse=False,
        attributes=attribute_maker(
            classes, X.shape[1], estimator.fit_intercept, X.dtype
        ),
        data=None,
        report=(X, y, sample_weight),
        kind="dask",
        release=chunks.release,
    )


def _remote_loss(estimator, chunks, X):
    """Check the chunks' labels and weights and build their losses.

    Returns
    -------
    remote : RemoteCrossEntropy
        The cross-entropy over the chunks with a positive weight.
    classes : ndarray of shape (n_classes,)
        The sorted class labels.
    totals : ndarray of shape (n_classes,)
        The sample weight of each class, before class weights.
    """
    classes = np.unique(np.concatenate(chunks.map("labels")))
    check_classification_targets(classes)
    require_two_classes(classes)
    totals = np.sum(chunks.map("encode", classes), axis=0)
    if not totals.sum() > 0:
        raise ValueError("sample_weight must not be all zero: nothing to fit.")
    class_weights = class_weights_of(estimator, classes, totals)
    sums = np.asarray(chunks.map("build", class_weights, estimator.fit_intercept))
    require_weight(sums.sum() > 0)
    keep = sums > 0
    chunks.restrict(keep)
    layout = CoefficientLayout(
        X.shape[1], len(classes), estimator.fit_intercept, X.dtype
    )
    remote = RemoteCrossEntropy(
        chunks, sums[keep] / sums.sum(), totals * class_weights, X.shape[0], layout
    )
    return remote, classes, totals
