"""Fitted results as pandas DataFrames: coefficients and probabilities.

scikit-learn keeps fitted attributes and predictions as ndarrays: ``coef_``
feeds ``X @ coef_.T``, meta-estimators, ``check_estimator`` and user code that
expects an array. Its pandas output (``set_output``) covers only ``transform``,
never ``coef_`` or ``predict_proba``. So the labelled views live here, as free
functions of a fitted estimator -- the way :mod:`sklearn.inspection` works --
rather than as attributes or methods: the estimator's API stays the standard
one, and :func:`proba_frame`, which only calls ``predict_proba`` and reads
``classes_``, works for any fitted classifier, a ``Pipeline`` or a
``GridSearchCV`` included.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from sk_softmax._backends._kinds import is_dask_collection

__all__ = ["coef_frame", "proba_frame"]

_INTERCEPT = "intercept"


def _feature_names(estimator, n_features):
    """Return ``feature_names_in_``, or ``x0, x1, ...`` as scikit-learn names them."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        # The names sklearn's get_feature_names_out gives features without names.
        names = [f"x{i}" for i in range(n_features)]
    return list(names)


def coef_frame(estimator, *, intercept=False):
    """Return the coefficients as a DataFrame: a row per feature, a column per class.

    ``coef_`` itself stays an ndarray, as scikit-learn's conventions require
    (code computes ``X @ coef_.T`` with it); this is its labelled view, built
    on demand: ``coef_frame(clf).to_numpy()`` equals ``clf.coef_.T`` exactly.

    Parameters
    ----------
    estimator : SoftmaxClassifier
        A fitted linear classifier: any estimator with ``coef_``, ``classes_``
        and, for ``intercept=True``, ``intercept_`` laid out as
        :class:`~sk_softmax.SoftmaxClassifier` (or scikit-learn's
        ``LogisticRegression``) lays them out. For a ``Pipeline``, pass its
        final step, ``pipeline[-1]``: the rows are then named after the
        features that step saw (the upstream transformers' output names with
        ``pipeline.set_output(transform="pandas")``).
    intercept : bool, default=False
        Whether to append a last row, named ``"intercept"``, holding
        ``intercept_`` (zeros for a model fitted with ``fit_intercept=False``).
        Off by default so that the frame is exactly ``coef_.T``, with one row
        per input feature, as scikit-learn keeps ``intercept_`` apart from
        ``coef_``.

    Returns
    -------
    frame : pandas.DataFrame of shape (n_features, n_columns)
        ``coef_.T``, of the same dtype. The index, named ``"feature"``, is
        ``feature_names_in_`` when the model was fitted on a DataFrame with
        string column names, else ``"x0", "x1", ...`` (the names of
        scikit-learn's ``get_feature_names_out``). The columns, named
        ``"class"``, are class labels from ``classes_`` (for a pandas
        categorical target, its category values).

        For ``K >= 3`` classes, one column per class, in the order of
        ``classes_``.

        For two classes, a single column labelled ``classes_[1]``. The model
        fixes the logit of the reference class ``classes_[0]`` at 0 and
        estimates one row of coefficients, ``classes_[1]`` against
        ``classes_[0]`` (``P(classes_[1]) = sigmoid(x @ w + b)``), so the frame
        shows exactly the parameters the model has, as ``coef_`` does and as
        ``LogisticRegression`` does. A second column of zeros for the reference
        class is not returned: it is no estimate but a convention, and it would
        read as "this class's features have no effect" where every column of a
        softmax model is only defined relative to the reference.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If `estimator` is not fitted.
    TypeError
        If `estimator` has no ``coef_`` (a ``Pipeline``: pass ``pipeline[-1]``).
    ValueError
        If ``intercept=True`` and a feature is itself named ``"intercept"``.

    See Also
    --------
    proba_frame : Class probabilities as a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from sk_softmax import SoftmaxClassifier
    >>> from sk_softmax import coef_frame
    >>> X = pd.DataFrame({"length": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    ...                   "width": [0.5, 0.1, 0.9, 0.3, 0.8, 0.2]})
    >>> y = ["short", "short", "mid", "mid", "long", "long"]
    >>> clf = SoftmaxClassifier(alpha=0.1).fit(X, y)
    >>> frame = coef_frame(clf)
    >>> frame.index.tolist(), frame.columns.tolist()
    (['length', 'width'], ['long', 'mid', 'short'])
    >>> bool((frame.to_numpy() == clf.coef_.T).all())
    True
    >>> coef_frame(clf, intercept=True).index.tolist()
    ['length', 'width', 'intercept']

    A binary model has one column, its second class against the first:

    >>> binary = SoftmaxClassifier(alpha=0.1).fit(X, [0, 0, 0, 1, 1, 1])
    >>> coef_frame(binary).columns.tolist()
    [1]
    """
    check_is_fitted(estimator)
    coef = getattr(estimator, "coef_", None)
    if coef is None:
        raise TypeError(
            f"{type(estimator).__name__} has no coef_; pass a fitted linear "
            "classifier (for a Pipeline, its final step: pipeline[-1])."
        )
    # A sparsified coef_ (LogisticRegression.sparsify) is shown densely.
    coef = coef.toarray() if sp.issparse(coef) else np.asarray(coef)
    classes = np.asarray(estimator.classes_)
    # Binary models hold one row: classes_[1] against the reference classes_[0].
    labels = classes[1:] if len(classes) == 2 and coef.shape[0] == 1 else classes
    features = _feature_names(estimator, coef.shape[1])
    values = coef.T
    if intercept:
        if _INTERCEPT in features:
            raise ValueError(
                f"A feature is named {_INTERCEPT!r}, the name of the intercept "
                "row; use coef_frame(estimator) and estimator.intercept_ apart."
            )
        intercept_ = np.broadcast_to(estimator.intercept_, coef.shape[:1])
        values = np.vstack([values, intercept_[np.newaxis, :]])
        features = [*features, _INTERCEPT]
    return pd.DataFrame(
        values,
        index=pd.Index(features, name="feature"),
        columns=pd.Index(labels, name="class"),
        copy=True,  # never a view: editing the frame must not edit the model
    )


def proba_frame(estimator, X):
    """Return the class probabilities of `X` as a DataFrame with class-labelled columns.

    ``predict_proba`` keeps returning an ndarray, as scikit-learn's API
    requires; this is its labelled view: one column per class of
    ``classes_``, one row per sample of `X`, its index when `X` is a
    DataFrame, so the result aligns with `X` (and with ``pd.concat`` or
    ``join``) without bookkeeping.

    Parameters
    ----------
    estimator : SoftmaxClassifier
        A fitted classifier with ``predict_proba`` and ``classes_``: any
        scikit-learn classifier, a ``Pipeline`` or a ``GridSearchCV`` too.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Samples, in memory. For dask collections call
        ``estimator.predict_proba(X)``, which stays lazy.

    Returns
    -------
    frame : pandas.DataFrame of shape (n_samples, n_classes)
        ``estimator.predict_proba(X)``, values and dtype unchanged. The
        columns, named ``"class"``, are ``classes_`` in its order (sorted
        labels; for a pandas categorical target the category values, sorted,
        not in the order of the categories: reorder with
        ``frame[list(y.cat.categories)]``). The index is ``X.index`` for a
        DataFrame `X`, else ``0, 1, ...``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If `estimator` is not fitted.
    TypeError
        If `X` is a dask collection.

    See Also
    --------
    coef_frame : Coefficients as a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from sk_softmax import SoftmaxClassifier
    >>> from sk_softmax import proba_frame
    >>> X = pd.DataFrame({"length": [1.0, 2.0, 5.0, 6.0]},
    ...                  index=["a", "b", "c", "d"])
    >>> y = pd.Series(["short", "short", "long", "long"], dtype="category")
    >>> clf = SoftmaxClassifier(alpha=0.1).fit(X, y)
    >>> proba = proba_frame(clf, X.iloc[[0, 3]])
    >>> proba.round(2)
    class  long  short
    a      0.03   0.97
    d      0.97   0.03
    >>> bool((proba.to_numpy() == clf.predict_proba(X.iloc[[0, 3]])).all())
    True
    """
    check_is_fitted(estimator)
    if is_dask_collection(X):
        raise TypeError(
            "proba_frame needs in-memory X; for dask collections call "
            "estimator.predict_proba(X), which stays lazy."
        )
    proba = estimator.predict_proba(X)
    index = X.index if isinstance(X, pd.DataFrame) else None
    return pd.DataFrame(
        proba,
        index=index,
        columns=pd.Index(np.asarray(estimator.classes_), name="class"),
        copy=False,  # predict_proba's array is fresh: nobody else holds it
    )
