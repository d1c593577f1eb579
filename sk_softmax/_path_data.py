"""The data of a regularisation path, on whatever backend holds them.

:func:`~sk_softmax.softmax_path` fits through :class:`SoftmaxClassifier`, which
handles numpy, sparse, dask and array API inputs. What the path computes itself
-- the gradient of the data term at a fitted model, for ``alpha_max`` and for
the screening rules -- is written here once, with the operations of the input's
own backend: ``X.T @ R`` for a residual matrix ``R`` held like ``X`` (a numpy
array, a dask array with ``X``'s row chunks, or an array of ``X``'s namespace on
its device). Labels and weights, of the size of ``y``, are kept on the host.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from sk_softmax._backends._kinds import is_dask_collection
from sk_softmax._weights import class_weight_vector
from sk_softmax.utils._sklearn_compat import (
    _check_sample_weight,
    _is_numpy_namespace,
    get_namespace,
    move_to,
)


def _to_host(a):
    """Return `a` (numpy, dask or an array API array) as a numpy array."""
    if is_dask_collection(a):
        a = a.compute()
    if isinstance(a, np.ndarray) or sp.issparse(a):
        return a
    xp, is_array_api = get_namespace(a)
    if is_array_api and not _is_numpy_namespace(xp):
        return np.asarray(move_to(a, xp=np, device="cpu"))
    return np.asarray(a)


def _backend(X):
    """Return ``'dask'``, ``'array_api'`` or ``'numpy'`` (numpy and sparse)."""
    if is_dask_collection(X):
        return "dask"
    xp, is_array_api = get_namespace(X)
    if is_array_api and not _is_numpy_namespace(xp):
        return "array_api"
    return "numpy"


class PathData:
    """Training data of a path, with host labels and combined weights.

    Parameters
    ----------
    X : {array-like, sparse matrix, dask array, array API array}
        Training data. numpy-like inputs are validated here (CSR for sparse);
        dask and array API inputs are left to the estimator, which checks them
        where they live.
    y : array-like of shape (n_samples,)
        Class labels.
    sample_weight : array-like of shape (n_samples,) or None
        Sample weights.
    class_weight : dict, 'balanced' or None
        Class weights, as :class:`SoftmaxClassifier` takes them.
    fit_intercept : bool
        Whether the model has intercepts.

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        Sorted class labels.
    onehot : ndarray of shape (n_samples, n_classes)
        Indicator of each sample's class, float64.
    weight : ndarray of shape (n_samples,)
        Sample weight times class weight, float64.
    n_rows : int
        Rows of ``coef_``: 1 for two classes, else ``n_classes``.
    """

    def __init__(self, X, y, sample_weight, class_weight, fit_intercept):
        self.kind = _backend(X)
        if self.kind == "dask" and not hasattr(X, "chunks"):  # a dask DataFrame
            X = X.to_dask_array(lengths=True)
        if self.kind == "numpy":
            X = check_array(
                X,
                accept_sparse="csr",
                dtype=[np.float64, np.float32],
                ensure_min_samples=2,
            )
        self.X = X
        self.n_samples, self.n_features = (int(n) for n in X.shape)
        y = column_or_1d(_to_host(y), warn=True)
        if y.shape[0] != self.n_samples:
            raise ValueError(f"X has {self.n_samples} samples but y has {y.shape[0]}.")
        check_classification_targets(y)
        self.classes, encoded = np.unique(y, return_inverse=True)
        if self.classes.shape[0] < 2:
            raise ValueError(
                "softmax_path needs samples of at least 2 classes; y holds only "
                f"{self.classes.tolist()!r}."
            )
        self.onehot = np.eye(self.classes.shape[0])[encoded]
        weight = _check_sample_weight(
            None if sample_weight is None else _to_host(sample_weight),
            np.empty((self.n_samples, 0)),
            dtype=np.float64,
        )
        if np.any(weight < 0) or not np.any(weight > 0):
            raise ValueError("sample_weight must be non-negative and not all zero.")
        totals = weight @ self.onehot
        weight = weight * (
            self.onehot @ class_weight_vector(class_weight, self.classes, totals)
        )
        if not np.any(weight > 0):
            raise ValueError(
                "The class weights times the sample weights are all zero: "
                "nothing to fit."
            )
        self.weight = weight
        self.sample_weight = sample_weight  # as given: the estimator's fits take it
        self.y = y
        self.fit_intercept = fit_intercept
        self.n_rows = 1 if self.classes.shape[0] == 2 else self.classes.shape[0]

    def null_proba(self):
        """Class probabilities of the intercept-only optimum (``coef_ = 0``).

        The weighted class frequencies with an intercept; uniform without one.
        """
        if not self.fit_intercept:
            return np.full(self.classes.shape[0], 1.0 / self.classes.shape[0])
        totals = self.weight @ self.onehot
        return totals / totals.sum()

    def data_gradient(self, proba):
        """Gradient of the weighted mean cross-entropy with respect to ``coef_``.

        Parameters
        ----------
        proba : array of shape (n_samples, n_classes) or (n_classes,)
            Predicted probabilities, on the backend of `X` (the fitted model's
            ``predict_proba``) or on the host; a 1-D array is the same
            probabilities for every sample.
        X : array, default=None
            The data the gradient is taken over; None is the full data.

        Returns
        -------
        gradient : ndarray of shape (n_rows, n_features)
            ``(P - Y).T @ diag(s) @ X / sum(s)``, on the host, float64; the row
            of the second class for two classes, as ``coef_`` holds it.
        """
        X = self.X
        scale = self.weight / self.weight.sum()
        if self.kind == "numpy" or np.ndim(proba) == 1:
            residual = (_to_host(proba) - self.onehot) * scale[:, None]
            if self.kind != "numpy":
                residual = self._like_X(residual, X)
        else:
            residual = proba - self._like_X(self.onehot, X)
            residual = residual * self._like_X(scale[:, None], X)
        gradient = np.asarray(_to_host(X.T @ residual), dtype=np.float64).T
        return gradient[1:] if self.n_rows == 1 else gradient

    def _like_X(self, a, X):
        """Put the host array `a` (rows of samples) on `X`'s backend."""
        if self.kind == "dask":
            import dask.array as da

            return da.from_array(a, chunks=(X.chunks[0], *a.shape[1:]))
        xp, _ = get_namespace(X)
        return xp.asarray(a, dtype=X.dtype, device=getattr(X, "device", None))


def take_columns(X, columns):
    """Return the columns `columns` (sorted integer indices) of `X`.

    Works on numpy arrays, CSR matrices, dask arrays and array API arrays.
    """
    if sp.issparse(X) or isinstance(X, np.ndarray) or is_dask_collection(X):
        return X[:, columns]
    xp, _ = get_namespace(X)
    index = xp.asarray(columns, device=getattr(X, "device", None))
    return xp.take(X, index, axis=1)
