"""Backends: one problem builder per kind of input.

Each kind of input has one module whose ``build_problem(estimator, X, y,
sample_weight)`` validates the input where its data live and returns a
:class:`~sk_softmax._backends._problem.Problem` -- the objective, the classes,
the class totals, the feature names and how to turn the solver's flat vector
into fitted attributes on the input's device:

- :mod:`._numpy`: numpy arrays, scipy.sparse matrices, pandas, lists;
- :mod:`._array_api`: array API arrays (torch, CuPy, array-api-strict) with
  ``array_api_dispatch`` on, fitted on their device;
- :mod:`._dask`: dask arrays and DataFrames, reduced over their chunks.

The estimator calls :func:`build_problem` and never imports a backend's
internals.
"""

from sk_softmax._backends import _array_api, _dask, _dask_predict, _numpy
from sk_softmax._backends._kinds import input_kind, is_dask_collection, to_host
from sk_softmax._backends._problem import Problem

_BUILDERS = {
    "numpy": _numpy.build_problem,
    "array-api": _array_api.build_problem,
    "dask": _dask.build_problem,
}


def build_problem(estimator, X, y, sample_weight):
    """Validate ``fit``'s input with the backend of its kind; return the Problem."""
    return _BUILDERS[input_kind(X)](estimator, X, y, sample_weight)


def predict_lazily(estimator, method, X):
    """Map the predict method `method` lazily over the chunks of dask input `X`."""
    return _dask_predict.predict_lazily(estimator, method, X)


__all__ = [
    "Problem",
    "build_problem",
    "input_kind",
    "is_dask_collection",
    "predict_lazily",
    "to_host",
]
