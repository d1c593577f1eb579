"""What a backend hands the estimator: the fitting problem, ready to solve."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Problem:
    """A validated fitting problem, whatever the input's kind.

    Attributes
    ----------
    objective : PenalizedObjective
        The penalised objective over all the samples (host-side interface).
    classes : ndarray of shape (n_classes,)
        The sorted class labels, on the host.
    class_totals : ndarray of shape (n_classes,)
        Sample weight of each class before class weights, for
        ``class_weight='balanced'`` in a later ``partial_fit``.
    n_features : int
        Number of features.
    feature_names : ndarray of str or None
        The input's feature names, when it has them and all are strings.
    sparse : bool
        Whether the data are a sparse matrix (``solver='auto'`` reads it).
    attributes : callable
        ``attributes(x)`` returns ``classes_``, ``coef_`` and ``intercept_``
        of the packed coefficients ``x``, on the input's device.
    data : tuple or None
        ``(X, y, sample_weight)`` in memory -- encoded labels, sample weights
        times class weights -- for the stochastic solvers; None where the
        backend runs full-batch solvers only.
    report : tuple
        ``(X, y, sample_weight)`` as the callbacks receive them.
    kind : str
        ``'numpy'``, ``'array-api'`` or ``'dask'``.
    release : callable
        ``release()`` frees what the problem holds outside this process (the
        dask workers' chunk losses) as soon as the fit is done with it, rather
        than whenever the garbage collector finds it; the objective is unusable
        afterwards. Does nothing for data in this process.
    """

    objective: object
    classes: np.ndarray
    class_totals: np.ndarray
    n_features: int
    feature_names: object
    sparse: bool
    attributes: Callable
    data: object
    report: tuple
    kind: str
    release: Callable = lambda: None

    @property
    def n_samples(self):
        """Number of samples."""
        return self.objective.n_samples
