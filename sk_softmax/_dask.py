"""Fitting on dask arrays: the objective as a reduction over row chunks.

The rows of ``X`` are split into dask chunks. Each chunk becomes a
:class:`ChunkLoss` -- a :class:`~sk_softmax._loss.LinearSoftmaxLoss` on that
chunk alone, built once where the chunk lives (a ``dask.distributed`` actor on
the worker holding it, or an object in this process without a distributed
client). For coefficients ``x`` the objective and its derivatives are sums::

    F(x)   = sum_c share_c * F_c(x) + R(W)
    grad   = sum_c share_c * grad_c(x) + l2 W
    H v    = sum_c share_c * H_c(x) v + l2 V

with ``F_c`` the chunk's weighted mean cross-entropy and ``share_c`` its share of
the total sample weight. Only the coefficients (size ``n_dof``) travel to the
chunks and only values, gradients and Hessian-vector products (size ``n_dof``)
travel back: the data are never gathered. The maths is the single-array loss's,
chunk by chunk.

:class:`DistributedLoss` offers the solvers the same callables as the
single-array loss. Its ``raw`` map is the identity: a solver that carries
``raw(x)`` along (gd, newton-cg) then carries the coefficients themselves, and
every evaluation recomputes the logits where the chunk lives.
"""

import numpy as np
from sklearn.utils import check_array, column_or_1d

from sk_softmax._layout import CoefficientLayout
from sk_softmax._loss import LinearSoftmaxLoss


def is_dask_collection(obj):
    """Whether `obj` is a dask array, DataFrame or Series (without importing dask)."""
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "dask")


class ChunkLoss:
    """The objective on one chunk of rows: built where the chunk is stored.

    Parameters
    ----------
    X : ndarray of shape (n_chunk, n_features)
        The chunk's features; validated here (finite, numeric).
    y : ndarray of shape (n_chunk,)
        Its labels, encoded here against `classes`.
    sample_weight : ndarray of shape (n_chunk,) or None
        Its sample weights; validated here (finite, non-negative).
    classes : ndarray of shape (n_classes,)
        Every class label of the whole data, sorted.
    dtype : dtype
        The floating dtype of the fit.
    """

    def __init__(self, X, y, sample_weight, classes, dtype):
        self.X = check_array(X, dtype=dtype, ensure_min_samples=0, input_name="X")
        y = column_or_1d(y)
        if len(y) != len(self.X):
            raise ValueError(
                f"X and y have inconsistent numbers of samples in a chunk: "
                f"{len(self.X)} and {len(y)}."
            )
        self.y = np.searchsorted(classes, y)
        if sample_weight is None:
            self.sample_weight = np.ones(len(y))
        else:
            sample_weight = check_array(
                sample_weight,
                ensure_2d=False,
                dtype=np.float64,
                ensure_min_samples=0,
                input_name="sample_weight",
            )
            if np.any(sample_weight < 0):
                raise ValueError(
                    "sample_weight must be non-negative; got a negative weight "
                    f"({sample_weight.min():g})."
                )
            self.sample_weight = sample_weight
        self.n_classes = len(classes)
        self.loss = None
        self._hessp = None

    def class_totals(self):
        """Return the total sample weight of each class in the chunk."""
        return np.bincount(self.y, weights=self.sample_weight, minlength=self.n_classes)

    def build(self, class_weights, fit_intercept):
        """Build the chunk's loss with the class weights; return its weight sum."""
        weights = self.sample_weight * class_weights[self.y]
        total = float(weights.sum())
        if total > 0:
            self.loss = LinearSoftmaxLoss(
                self.X,
                self.y,
                self.n_classes,
                sample_weight=weights,
                fit_intercept=fit_intercept,
            )
        return total

    def data_curvature(self):
        """Return the chunk loss's curvature bound."""
        return self.loss.data_curvature()

    def value(self, coef):
        """Return the chunk's mean cross-entropy at `coef`."""
        return self.loss.value(coef)

    def value_gradient(self, coef):
        """Return the chunk's mean cross-entropy and its gradient at `coef`."""
        return self.loss.value_gradient(coef)

    def gradient_hessian(self, coef):
        """Return value and gradient; keep the Hessian at `coef` for :meth:`hessp`."""
        value, grad, self._hessp = self.loss.gradient_hessian_product(coef)
        return value, grad

    def hessp(self, v):
        """Return the product of the Hessian kept by :meth:`gradient_hessian` with v."""
        return self._hessp(v)


class _LocalChunks:
    """Chunk losses in this process, for dask collections without a client."""

    def __init__(self, chunks):
        self.chunks = chunks

    def map(self, method, *args):
        return [getattr(chunk, method)(*args) for chunk in self.chunks]

    def restrict(self, keep):
        self.chunks = [c for c, k in zip(self.chunks, keep, strict=True) if k]


class _ActorChunks:
    """Chunk losses as dask.distributed actors on the workers holding the chunks."""

    def __init__(self, actors):
        self.chunks = actors

    def map(self, method, *args):
        futures = [getattr(actor, method)(*args) for actor in self.chunks]
        return [future.result() for future in futures]

    def restrict(self, keep):
        self.chunks = [c for c, k in zip(self.chunks, keep, strict=True) if k]


def _client():
    """Return the current dask.distributed client, or None."""
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def make_chunks(X, y, sample_weight, classes, dtype):
    """Build a :class:`ChunkLoss` per row chunk of the dask arrays.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        Row-chunked data (a single chunk across the features).
    y : dask array of shape (n_samples,)
        Labels with the same row chunks.
    sample_weight : dask array of shape (n_samples,) or None
        Weights with the same row chunks.
    classes : ndarray
        Every class label, sorted.
    dtype : dtype
        The floating dtype of the fit.

    Returns
    -------
    chunks : object
        A pool whose ``map(method, *args)`` calls a method on every chunk and
        returns the results in order.
    """
    blocks_X = X.to_delayed().ravel()
    blocks_y = y.to_delayed().ravel()
    blocks_w = (
        [None] * len(blocks_X)
        if sample_weight is None
        else sample_weight.to_delayed().ravel()
    )
    client = _client()
    if client is None:
        import dask

        n = len(blocks_X)
        weighted = sample_weight is not None
        parts = dask.compute(*blocks_X, *blocks_y, *(blocks_w if weighted else []))
        weights = parts[2 * n :] if weighted else [None] * n
        return _LocalChunks(
            [
                ChunkLoss(parts[i], parts[n + i], weights[i], classes, dtype)
                for i in range(n)
            ]
        )
    futures_X = client.compute(list(blocks_X))
    futures_y = client.compute(list(blocks_y))
    futures_w = (
        [None] * len(futures_X)
        if sample_weight is None
        else client.compute(list(blocks_w))
    )
    actors = [
        client.submit(ChunkLoss, fx, fy, fw, classes, dtype, actor=True)
        for fx, fy, fw in zip(futures_X, futures_y, futures_w, strict=True)
    ]
    return _ActorChunks([future.result() for future in actors])


class DistributedLoss(CoefficientLayout):
    """The objective over row chunks, with the single-array loss's interface.

    Parameters
    ----------
    chunks : object
        What :func:`make_chunks` returns.
    class_totals : ndarray of shape (n_classes,)
        Weighted class totals over all chunks (class weights applied).
    n_features : int
        Number of features.
    fit_intercept : bool
        Whether the model has an intercept.
    penalty : ElasticNet
        The penalty, applied here once (the chunks have none).
    dtype : dtype
        The floating dtype of the fit.
    shares : ndarray of shape (n_chunks,)
        Each chunk's share of the total sample weight.
    """

    def __init__(
        self, chunks, class_totals, n_features, fit_intercept, penalty, dtype, shares
    ):
        super().__init__(n_features, len(class_totals), fit_intercept, penalty, dtype)
        self.chunks = chunks
        self._shares = np.asarray(shares, dtype=np.float64)
        self._class_totals = class_totals / class_totals.sum()
        self.n_samples = None

    def _sum(self, parts):
        """Share-weighted sum of per-chunk results (floats or arrays)."""
        total = sum(
            share * part for share, part in zip(self._shares, parts, strict=True)
        )
        return np.asarray(total, dtype=self.dtype) if np.ndim(total) else float(total)

    def data_curvature(self):
        """Share-weighted sum of the chunks' curvature bounds."""
        return self._sum(self.chunks.map("data_curvature"))

    def raw(self, coef, out=None):
        """Return a copy of `coef`: solvers carry coefficients, not logits."""
        if out is None:
            return np.array(coef, dtype=self.dtype, copy=True)
        out[...] = coef
        return out

    def value(self, coef, raw=None):
        """Smooth objective at ``raw`` (the coefficients), penalty included."""
        coef = np.asarray(coef if raw is None else raw, dtype=self.dtype)
        loss = self._sum(self.chunks.map("value", coef))
        return loss + self.penalty.smooth_value(self.unpack(coef)[0])

    def value_gradient(self, coef, raw=None):
        """Smooth objective and its gradient, reduced over the chunks."""
        coef = np.asarray(coef if raw is None else raw, dtype=self.dtype)
        parts = self.chunks.map("value_gradient", coef)
        return self._finish(coef, parts)

    def _finish(self, coef, parts):
        """Reduce ``(value, gradient)`` pairs and add the penalty's smooth part."""
        value = self._sum([part[0] for part in parts])
        grad = self._sum([part[1] for part in parts])
        W = self.unpack(coef)[0]
        if self.penalty.l2:
            self.unpack(grad)[0][...] += self.penalty.l2 * W
        return value + self.penalty.smooth_value(W), grad

    def gradient_hessian_product(self, coef, raw=None):
        """Objective, gradient and a Hessian-vector product function.

        Each chunk keeps its probabilities at `coef` for the products, which are
        valid until the next call of any method of this object.
        """
        coef = np.asarray(coef if raw is None else raw, dtype=self.dtype)
        value, grad = self._finish(coef, self.chunks.map("gradient_hessian", coef))

        def hessp(v):
            v = np.asarray(v, dtype=self.dtype)
            product = self._sum(self.chunks.map("hessp", v))
            if self.penalty.l2:
                self.unpack(product)[0][...] += self.penalty.l2 * self.unpack(v)[0]
            return product

        return value, grad, hessp
