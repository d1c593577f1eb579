"""The data given to :func:`~sk_softmax.inference`: checks and the row sums.

In-memory data (arrays, DataFrames, sparse matrices) are checked against the
fitted model as ``predict`` checks them; dask collections are checked chunk
by chunk where they live. Either way the statistics are the blockwise sums
of :mod:`sk_softmax._hessian`.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import column_or_1d, validate_data

from sk_softmax._backends._dask import as_dask_arrays, feature_names
from sk_softmax._backends._kinds import is_dask_collection
from sk_softmax._hessian import (
    ModelSpec,
    dask_sums,
    encode,
    memory_sums,
)
from sk_softmax._weights import check_sample_weight, class_weight_vector

# Entries of the per-group score sums kept for the cluster covariance: 1 GiB.
MAX_GROUP_ENTRIES = 2**27


def _check_groups_labels(labels, n_params):
    """Refuse missing group labels and more group sums than memory allows."""
    if pd.isna(labels).any():
        raise ValueError("groups must not contain missing values (NaN or None).")
    if len(labels) * n_params > MAX_GROUP_ENTRIES:
        raise ValueError(
            f"The cluster covariance keeps a score sum per group: {len(labels)} "
            f"groups x {n_params} parameters is above the limit of "
            f"{MAX_GROUP_ENTRIES:,} numbers. Use coarser groups."
        )
    return pd.Index(labels)


def _memory_inputs(estimator, X, y, sample_weight, groups):
    """Check in-memory inputs against the fitted model."""
    X = validate_data(
        estimator,
        X,
        reset=False,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
    )
    y = column_or_1d(y, warn=True)
    if len(y) != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and {len(y)}."
        )
    sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
    if groups is not None:
        groups = column_or_1d(groups)
        if len(groups) != X.shape[0]:
            raise ValueError(
                f"groups has {len(groups)} entries; X has {X.shape[0]} samples."
            )
    return X, y, sample_weight, groups


def memory_statistics(estimator, X, y, sample_weight, groups, spec):
    """Compute the row sums of in-memory data, class weights and groups resolved.

    Parameters
    ----------
    estimator : SoftmaxClassifier
        The fitted model (for the input checks and its class weights).
    X, y, sample_weight, groups
        As given to :func:`~sk_softmax.inference`.
    spec : ModelSpec
        The model, with unit class weights and no groups yet.

    Returns
    -------
    sums : Sums
    """
    X, y, sample_weight, groups = _memory_inputs(estimator, X, y, sample_weight, groups)
    totals = None
    if estimator.class_weight == "balanced":
        codes = encode(y, pd.Index(spec.classes), "y")
        totals = np.bincount(codes, weights=sample_weight, minlength=len(spec.classes))
    class_weights = class_weight_vector(estimator.class_weight, spec.classes, totals)
    labels = None
    if groups is not None:
        labels = _check_groups_labels(pd.unique(groups), spec.n_params)
    spec = _with(spec, class_weights, labels)
    return memory_sums(X, y, sample_weight, groups, spec)


def _with(spec, class_weights, group_labels):
    """`spec` with its class weights and group labels set."""
    return ModelSpec(
        spec.classes,
        np.asarray(class_weights, dtype=np.float64),
        spec.theta,
        spec.fit_intercept,
        spec.free,
        spec.meat,
        group_labels,
    )


def _dask_inputs(estimator, X, y, sample_weight, groups):
    """Check dask inputs against the fitted model; align their row chunks."""
    import dask.array as da

    names = feature_names(X)
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and names is not None and not np.array_equal(names, fitted):
        raise ValueError(
            "The feature names should match those that were passed during fit: "
            f"got {list(names)}, fitted with {list(fitted)}."
        )
    X, y, sample_weight = as_dask_arrays(X, y, sample_weight)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    if groups is not None:
        if not is_dask_collection(groups):
            groups = da.from_array(np.asarray(groups))
        if hasattr(groups, "to_dask_array"):
            groups = groups.to_dask_array(lengths=True)
        if groups.shape != (X.shape[0],):
            raise ValueError(
                f"groups has shape {groups.shape}; X has {X.shape[0]} samples."
            )
        groups = groups.rechunk((X.chunks[0],))
    return X, y, sample_weight, groups


def _dask_class_totals(y, sample_weight, classes):
    """Sample weight of each class, summed over the chunks."""
    import dask

    def totals(y_block, weight_block):
        codes = encode(np.asarray(y_block).ravel(), pd.Index(classes), "y")
        return np.bincount(codes, weights=weight_block, minlength=len(classes))

    weights = (
        [None] * len(y.chunks[0])
        if sample_weight is None
        else list(sample_weight.to_delayed())
    )
    parts = [
        dask.delayed(totals)(y_block, weight_block)
        for y_block, weight_block in zip(y.to_delayed(), weights, strict=True)
    ]
    return np.sum(dask.compute(*parts), axis=0)


def dask_statistics(estimator, X, y, sample_weight, groups, spec):
    """Compute the row sums of dask collections, reduced over their row chunks.

    Parameters and Returns as :func:`memory_statistics`.
    """
    import dask

    X, y, sample_weight, groups = _dask_inputs(estimator, X, y, sample_weight, groups)
    totals = None
    if estimator.class_weight == "balanced":
        totals = _dask_class_totals(y, sample_weight, spec.classes)
    class_weights = class_weight_vector(estimator.class_weight, spec.classes, totals)
    labels = None
    if groups is not None:
        parts = dask.compute(*[dask.delayed(pd.unique)(b) for b in groups.to_delayed()])
        labels = _check_groups_labels(pd.unique(np.concatenate(parts)), spec.n_params)
    spec = _with(spec, class_weights, labels)
    return dask_sums(X, y, sample_weight, groups, spec)


def statistics(estimator, X, y, sample_weight, groups, spec):
    """Compute the row sums of the data, in memory or on dask; see the module."""
    if is_dask_collection(X):
        return dask_statistics(estimator, X, y, sample_weight, groups, spec)
    if is_dask_collection(y) or is_dask_collection(sample_weight):
        raise TypeError(
            "X is in memory but y or sample_weight is a dask collection; pass "
            "all of them as dask collections, or all in memory."
        )
    return memory_statistics(estimator, X, y, sample_weight, groups, spec)
