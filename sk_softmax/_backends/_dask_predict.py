"""Predictions on dask input: the fitted model mapped lazily over the row chunks."""

import numpy as np

from sk_softmax._backends._dask import feature_names, to_dask_array


def _check_prediction_input(estimator, X):
    """Feature count and names of a dask input to a fitted model."""
    names = feature_names(X)
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and names is not None and not np.array_equal(names, fitted):
        raise ValueError(
            "The feature names should match those that were passed during fit: "
            f"got {list(names)}, fitted with {list(fitted)}."
        )
    X = to_dask_array(X)
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
