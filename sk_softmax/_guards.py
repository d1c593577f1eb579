"""The estimator's guards: input checks and failure atomicity.

Small functions the estimator applies around its methods: a failed call
restores the model, datetimes are refused rather than silently turned into
numbers, and ``partial_fit``'s labels are checked against the model's classes.
"""

import contextlib
import warnings

import numpy as np
from sklearn.utils.multiclass import check_classification_targets


@contextlib.contextmanager
def restore_on_error(estimator):
    """Put back the estimator's attributes if the block raises.

    A failed ``fit`` must leave a previously fitted model exactly as it was, yet
    ``validate_data`` records ``n_features_in_`` and ``feature_names_in_`` as
    soon as it runs. Fitted attributes are only ever rebound, never mutated in
    place, so a shallow copy of ``__dict__`` is enough.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def reject_datetimes(X):
    """Raise a ValueError for datetime or timedelta features.

    ``validate_data`` would silently turn them into numbers of nanoseconds.
    """
    dtypes = getattr(X, "dtypes", None)  # pandas DataFrame
    dtypes = [getattr(X, "dtype", None)] if dtypes is None else list(dtypes)
    if any(getattr(dtype, "kind", None) in ("M", "m") for dtype in dtypes):
        raise ValueError(
            "X has datetime or timedelta features, which are not numeric; "
            "convert them to numbers (for example elapsed seconds) first."
        )


def partial_fit_classes(estimator, classes, first_call):
    """Validate ``partial_fit``'s `classes` against the model; return the labels."""
    if classes is None:
        if first_call:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every "
                "label the model will see, for example classes=np.unique(y_all)."
            )
        return estimator.classes_
    classes = np.asarray(classes)
    if classes.ndim != 1:
        raise ValueError(
            f"classes must be a 1-D array of labels; got shape {classes.shape}."
        )
    if classes.dtype.kind == "f" and np.isnan(classes).any():
        raise ValueError(f"classes must not contain NaN; got {classes.tolist()!r}.")
    with warnings.catch_warnings():
        # `classes` lists each label once: scikit-learn's "more unique
        # classes than half the samples" hint about `y` does not apply.
        warnings.filterwarnings(
            "ignore", message="The number of unique classes", category=UserWarning
        )
        check_classification_targets(classes)
    classes = np.unique(classes)
    if len(classes) < 2:
        raise ValueError(
            f"classes must hold at least 2 labels; got {classes.tolist()!r}."
        )
    if first_call:
        return classes
    if not np.array_equal(classes, estimator.classes_):
        raise ValueError(
            f"classes={classes.tolist()!r} differs from the classes_ the model "
            f"was trained with, {estimator.classes_.tolist()!r}."
        )
    # Equal in value: keep classes_ (and so the labels' dtype) as it is.
    return estimator.classes_


def encode_known(y, classes):
    """Return the indices of `y` in `classes`; raise for an unknown label."""
    try:
        unseen = np.setdiff1d(y, classes)
    except TypeError as exc:  # labels that cannot be sorted: None, str with int
        raise ValueError(
            f"y contains labels that cannot be compared with each other or with "
            f"classes_ {classes.tolist()!r} ({exc}); the labels must be all "
            "numbers or all strings, as in classes_."
        ) from exc
    if unseen.size:
        raise ValueError(
            f"y contains labels {unseen.tolist()!r} that are not in classes_ "
            f"{classes.tolist()!r}. partial_fit cannot add classes: pass every "
            "label in `classes` on the first call."
        )
    return np.searchsorted(classes, y)
