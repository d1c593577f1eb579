"""Sample and class weights: validation and combination.

The objective weights sample ``i`` by ``s_i = sample_weight_i * class_weight[y_i]``
and normalises by ``sum_i s_i``.
"""

from numbers import Real

import numpy as np

from sk_softmax.utils._sklearn_compat import _check_sample_weight, get_namespace


def check_sample_weight(sample_weight, X, dtype, allow_all_zero=False):
    """Validate `sample_weight`: right length, finite, non-negative, not all zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        The user's weights; ``None`` gives unit weights.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The data the weights belong to.
    dtype : dtype
        Floating dtype of the result.
    allow_all_zero : bool, default=False
        Accept weights that are all zero (a ``partial_fit`` batch that changes
        nothing).

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
    """
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=dtype, allow_all_zero=allow_all_zero
    )
    xp, _ = get_namespace(sample_weight)
    if bool(xp.any(sample_weight < 0)):
        raise ValueError(
            "sample_weight must be non-negative; got a negative weight "
            f"({float(xp.min(sample_weight)):g})."
        )
    if not allow_all_zero and not bool(xp.any(sample_weight > 0)):
        raise ValueError("sample_weight must not be all zero: nothing to fit.")
    return sample_weight


def class_weight_vector(class_weight, classes, class_totals):
    """Weight of each class, in the order of `classes`.

    Parameters
    ----------
    class_weight : dict, 'balanced' or None
        ``None`` gives 1 for every class. A dict maps class labels to weights;
        classes it omits get 1, and a key that is not a class is an error.
        ``'balanced'`` gives ``sum(totals) / (K * totals[k])``
        (:func:`balanced_class_weights`).
    classes : ndarray of shape (K,)
        The sorted class labels.
    class_totals : ndarray of shape (K,)
        Sample weight of each class: of the training data, or the running
        totals of ``partial_fit``.

    Returns
    -------
    weights : ndarray of shape (K,)
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str):  # "balanced"; the value is validated upstream
        return balanced_class_weights(class_totals)
    weights = np.ones(n_classes)
    index = {label: k for k, label in enumerate(classes.tolist())}
    unknown = [key for key in class_weight if key not in index]
    if unknown:
        raise ValueError(
            f"class_weight has keys {unknown!r} that are not classes of y; "
            f"the classes are {classes.tolist()!r}."
        )
    for key, value in class_weight.items():
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(
                f"class_weight[{key!r}] must be a finite non-negative number, "
                f"got {value!r}."
            )
        weights[index[key]] = value
    return weights


def balanced_class_weights(class_totals):
    """``'balanced'`` class weights ``sum(totals) / (K * totals[k])``.

    Parameters
    ----------
    class_totals : ndarray of shape (K,)
        Total sample weight of each class (running totals in ``partial_fit``).

    Returns
    -------
    weights : ndarray of shape (K,)
        A class with no weight has no effect on the objective; it gets 1.
    """
    n_classes = len(class_totals)
    with np.errstate(divide="ignore"):
        weights = class_totals.sum() / (n_classes * class_totals)
    return np.where(class_totals > 0, weights, 1.0)
