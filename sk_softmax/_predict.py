"""The one path of the predict methods: every output derives from the logits.

:func:`predict_output` checks the model, maps itself lazily over dask input,
validates ``X`` (numpy, sparse, pandas or an array API array on the model's
device), computes the full logits once and turns them into the method's
output with the operations of the logits' own array library.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_softmax._backends import input_kind, predict_lazily
from sk_softmax._guards import reject_datetimes
from sk_softmax._softmax import log_softmax, log_softmax_xp, softmax, softmax_xp
from sk_softmax.utils._sklearn_compat import check_same_namespace, get_namespace


def _numpy_output(method, z, classes):
    if method == "predict":
        return classes[np.argmax(z, axis=1)]
    if method == "predict_proba":
        return softmax(z, axis=1)
    return log_softmax(z, axis=1)


def _array_api_output(method, z, classes):
    xp, _ = get_namespace(z)
    if method == "predict":
        return xp.take(classes, xp.argmax(z, axis=1))
    if method == "predict_proba":
        return softmax_xp(z, xp, axis=1)
    return log_softmax_xp(z, xp, axis=1)


def predict_output(estimator, X, method):
    """Return the output of the predict method `method` of `estimator` on `X`."""
    check_is_fitted(estimator)
    kind = input_kind(X)
    if kind == "dask":
        return predict_lazily(estimator, method, X)
    z = logits(estimator, X, method, kind)
    if method == "decision_function":
        return z[:, 1] if estimator.classes_.shape[0] == 2 else z
    output = _numpy_output if kind == "numpy" else _array_api_output
    return output(method, z, estimator.classes_)


def logits(estimator, X, method, kind):
    """Full logits of shape (n_samples, n_classes), the source of every output."""
    reject_datetimes(X)
    check_same_namespace(X, estimator, attribute="coef_", method=method)
    # numpy itself for numpy and sparse input, whatever the dispatch.
    xp = get_namespace(X)[0] if kind == "array-api" else np
    X = validate_data(
        estimator, X, reset=False, accept_sparse="csr", dtype=[xp.float64, xp.float32]
    )
    # Finite X can still give logits beyond the dtype's range (and
    # inf - inf = NaN inside the product): refuse them, never a NaN.
    with np.errstate(over="ignore", invalid="ignore"):
        z = X @ estimator.coef_.T
        z = (np.asarray(z) if kind == "numpy" else z) + estimator.intercept_
    if kind == "numpy" and not np.all(np.isfinite(z)):
        n_bad = int(np.sum(~np.all(np.isfinite(z), axis=1)))
        raise ValueError(
            f"The logits X @ coef_.T + intercept_ of {n_bad} sample(s) "
            f"overflow {z.dtype}: X holds values far beyond the range of "
            "the training data. Scale X as it was scaled for fit."
        )
    if estimator.classes_.shape[0] == 2:
        z = xp.concat([xp.zeros_like(z), z], axis=1)
    return z
