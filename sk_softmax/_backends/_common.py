"""Steps every backend shares: labels, class weights, the fitted attributes."""

import numpy as np

from sk_softmax._layout import CoefficientLayout
from sk_softmax._penalty import ElasticNet
from sk_softmax._weights import class_weight_vector


def require_two_classes(classes):
    """Raise a ValueError unless the sorted labels `classes` hold two or more."""
    if classes.shape[0] < 2:
        raise ValueError(
            "SoftmaxClassifier needs samples of at least 2 classes, but y "
            f"contains only one class: {np.asarray(classes).tolist()[0]!r}."
        )


def require_weight(any_positive):
    """Raise the error for class weights times sample weights that are all zero."""
    if not any_positive:
        raise ValueError(
            "The class weights times the sample weights are all zero: nothing to fit."
        )


def penalty_of(estimator):
    """Return the estimator's elastic-net penalty."""
    return ElasticNet(estimator.alpha, estimator.l1_ratio)


def class_weights_of(estimator, classes, class_totals):
    """Return the estimator's class weights for these class totals (host arrays)."""
    return class_weight_vector(estimator.class_weight, classes, class_totals)


def attribute_maker(classes, n_features, fit_intercept, dtype, place=None):
    """Return ``attributes(x)``: ``classes_``, ``coef_``, ``intercept_`` of `x`.

    Parameters
    ----------
    classes : array of shape (n_classes,)
        The labels to store as ``classes_``.
    n_features : int
        Number of features.
    fit_intercept : bool
        Whether `x` holds intercepts (zeros are stored otherwise).
    dtype : dtype
        The fitted arrays' dtype.
    place : callable, default=None
        ``place(a)`` moves a host array to the input's device.
    """
    layout = CoefficientLayout(n_features, classes.shape[0], fit_intercept, dtype)

    def attributes(coef):
        W, b = layout.unpack(np.asarray(coef))
        if b is None:
            b = np.zeros(layout.n_free_classes)
        coef_, intercept_ = W.astype(dtype), b.astype(dtype)
        if place is not None:
            coef_, intercept_ = place(coef_), place(intercept_)
        return {"classes_": classes, "coef_": coef_, "intercept_": intercept_}

    return attributes
