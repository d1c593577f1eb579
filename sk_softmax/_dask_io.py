"""dask collections in and out of the estimator: conversion, checks, lazy outputs.

``fit`` takes dask arrays and dask DataFrames (``y`` and ``sample_weight`` as
dask or numpy); the predict methods map the fitted model over the row chunks of
a dask input and return lazy dask arrays. Checks that need the data (finite
values, label types) run chunk by chunk where the chunks live.
"""

import numpy as np

from sk_softmax._dask import is_dask_collection


def _to_array(data):
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

    X = _to_array(X)
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
    y = _to_array(y) if is_dask_collection(y) else da.from_array(np.asarray(y))
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape}."
        )
    y = y.rechunk(rows)
    if sample_weight is not None:
        if not is_dask_collection(sample_weight):
            sample_weight = da.from_array(np.asarray(sample_weight, dtype=float))
        sample_weight = _to_array(sample_weight)
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(
                f"sample_weight.shape == {sample_weight.shape}, expected "
                f"{(X.shape[0],)}!"
            )
        sample_weight = sample_weight.rechunk(rows)
    return X, y, sample_weight


def _check_prediction_input(estimator, X):
    """Feature count and names of a dask input to a fitted model."""
    names = feature_names(X)
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and names is not None and not np.array_equal(names, fitted):
        raise ValueError(
            "The feature names should match those that were passed during fit: "
            f"got {list(names)}, fitted with {list(fitted)}."
        )
    X = _to_array(X)
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1] if X.ndim == 2 else X.shape} features, but "
            f"SoftmaxClassifier is expecting {estimator.n_features_in_} features "
            "as input."
        )
    return X.rechunk({1: -1})


def _predict_block(estimator, method, block):
    """Apply `method` to one chunk, with the fitted feature names if any."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        block = pd.DataFrame(block, columns=names)
    return getattr(estimator, method)(block)


def predict_lazily(estimator, method, X):
    """Map a predict method over the row chunks of a dask input; stay lazy.

    Returns
    -------
    result : dask array
        1-D for ``predict`` and a binary ``decision_function``, else of shape
        (n_samples, n_classes).
    """
    X = _check_prediction_input(estimator, X)
    sample = _predict_block(estimator, method, np.zeros((1, X.shape[1]), X.dtype))
    if sample.ndim == 1:
        return X.map_blocks(
            lambda block: _predict_block(estimator, method, block),
            dtype=sample.dtype,
            drop_axis=1,
        )
    return X.map_blocks(
        lambda block: _predict_block(estimator, method, block),
        dtype=sample.dtype,
        chunks=(X.chunks[0], (sample.shape[1],)),
    )


def distributed_loss(X, y, sample_weight, *, class_weight, fit_intercept, penalty):
    """Build the objective over the row chunks of validated dask arrays.

    Parameters
    ----------
    X, y, sample_weight : dask arrays
        As returned by :func:`as_dask_arrays`.
    class_weight : dict, 'balanced' or None
        The estimator's class weights; ``'balanced'`` from the class totals of
        all chunks.
    fit_intercept : bool
        Whether the model has an intercept.
    penalty : ElasticNet
        The penalty.

    Returns
    -------
    loss : DistributedLoss
    classes : ndarray
        The sorted class labels.
    class_totals : ndarray of shape (n_classes,)
        The sample weight of each class (before class weights).
    """
    import dask.array as da
    from sklearn.utils.multiclass import check_classification_targets

    from sk_softmax._dask import DistributedLoss, make_chunks
    from sk_softmax._guards import require_two_classes  # (it imports this module)
    from sk_softmax._weights import class_weight_vector

    classes = np.unique(da.unique(y).compute())
    check_classification_targets(classes)
    require_two_classes(classes)
    chunks = make_chunks(X, y, sample_weight, classes, X.dtype)
    totals = np.sum(chunks.map("class_totals"), axis=0)
    if not totals.sum() > 0:
        raise ValueError("sample_weight must not be all zero: nothing to fit.")
    class_weights = class_weight_vector(class_weight, classes, totals)
    sums = np.asarray(chunks.map("build", class_weights, fit_intercept))
    if not sums.sum() > 0:
        raise ValueError(
            "The class weights times the sample weights are all zero: nothing to fit."
        )
    keep = sums > 0
    chunks.restrict(keep)
    loss = DistributedLoss(
        chunks,
        totals * class_weights,
        X.shape[0],
        X.shape[1],
        fit_intercept,
        penalty,
        X.dtype,
        sums[keep] / sums.sum(),
    )
    return loss, classes, totals
