"""What kind of input an array is, without importing the libraries it may be from."""

import numpy as np
import scipy.sparse as sp

from sk_softmax.utils._sklearn_compat import (
    _is_numpy_namespace,
    get_namespace,
    move_to,
)


def is_dask_collection(obj):
    """Return whether `obj` is a dask array, DataFrame or Series.

    dask itself is not imported: it is an optional dependency.
    """
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "dask")


def uses_array_api(X):
    """Return whether `X` is an array of a non-numpy namespace, dispatch on."""
    if sp.issparse(X):
        return False
    xp, is_array_api = get_namespace(X)
    return is_array_api and not _is_numpy_namespace(xp)


def input_kind(X):
    """Return the kind of input `X` is: ``'dask'``, ``'array-api'`` or ``'numpy'``.

    ``'numpy'`` covers numpy arrays, scipy.sparse matrices, pandas and lists.
    """
    if is_dask_collection(X):
        return "dask"
    if uses_array_api(X):
        return "array-api"
    return "numpy"


def to_host(a, dtype=None):
    """Return `a` as a numpy array on the host."""
    a = np.asarray(move_to(a, xp=np, device="cpu"))
    return a if dtype is None else a.astype(dtype, copy=False)
