"""The numpy backend: numpy arrays, scipy.sparse matrices, pandas and lists.

Validates with scikit-learn's ``validate_data`` (which records the feature
count and names on the estimator), encodes the labels, combines sample and
class weights, and builds the one-array objective, which computes in place in
reused buffers.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from sk_softmax._backends._common import (
    attribute_maker,
    class_weights_of,
    penalty_of,
    require_two_classes,
    require_weight,
)
from sk_softmax._backends._problem import Problem
from sk_softmax._guards import reject_datetimes
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._weights import check_sample_weight


def build_problem(estimator, X, y, sample_weight):
    """Validate in-memory input and return its :class:`Problem`.

    Parameters
    ----------
    estimator : SoftmaxClassifier
        The estimator: its settings, and where ``validate_data`` records the
        feature count and names.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Class labels.
    sample_weight : array-like of shape (n_samples,) or None
        Sample weights.

    Returns
    -------
    problem : Problem
    """
    reject_datetimes(X)
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
        ensure_min_samples=2,
    )
    check_classification_targets(y)
    classes, y_encoded = np.unique(y, return_inverse=True)
    require_two_classes(classes)
    raw_weight = sample_weight
    sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
    class_totals = np.bincount(y_encoded, weights=sample_weight, minlength=len(classes))
    class_weights = class_weights_of(estimator, classes, class_totals)
    sample_weight = sample_weight * class_weights[y_encoded]
    require_weight(np.any(sample_weight > 0))
    objective = LinearSoftmaxLoss(
        X,
        y_encoded,
        n_classes=len(classes),
        sample_weight=sample_weight,
        fit_intercept=estimator.fit_intercept,
        penalty=penalty_of(estimator),
    )
    return Problem(
        objective=objective,
        classes=classes,
        class_totals=class_totals,
        n_features=X.shape[1],
        feature_names=getattr(estimator, "feature_names_in_", None),
        sparse=sp.issparse(X),
        attributes=attribute_maker(
            classes, X.shape[1], estimator.fit_intercept, X.dtype
        ),
        data=(X, y_encoded, sample_weight),
        report=(X, y, raw_weight),
        kind="numpy",
    )
