"""Fitting on dask arrays: the objective as a reduction over row chunks.

The rows of ``X`` are split into dask chunks. Each chunk gets a
:class:`~sk_softmax._loss.LinearSoftmaxLoss` on that chunk alone, built once
where the chunk lives: a :class:`ChunkLoss` per worker (a ``dask.distributed``
actor) holds the losses of the chunks that worker stores, so one call per
worker serves them all; without a distributed client, one :class:`ChunkLoss`
in this process holds every chunk. For coefficients ``x`` the objective and
its derivatives are sums::

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
from sklearn.utils import check_array, check_random_state, column_or_1d

from sk_softmax._layout import CoefficientLayout
from sk_softmax._loss import LinearSoftmaxLoss


def is_dask_collection(obj):
    """Return whether `obj` is a dask array, DataFrame or Series.

    dask itself is not imported: it is an optional dependency.
    """
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "dask")


def _validate_block(X, y, sample_weight, classes, dtype):
    """Check one row block where it lives; return it with encoded labels."""
    X = check_array(X, dtype=dtype, ensure_min_samples=0, input_name="X")
    # A block unpickled from the network can start at an address that is not a
    # multiple of its itemsize; BLAS runs about 2.5 times slower on it, so such
    # a block is copied once into aligned memory.
    X = np.require(X, requirements=["C_CONTIGUOUS", "ALIGNED"])
    y = column_or_1d(y)
    if len(y) != len(X):
        raise ValueError(
            f"X and y have inconsistent numbers of samples in a chunk: "
            f"{len(X)} and {len(y)}."
        )
    if sample_weight is None:
        sample_weight = np.ones(len(y))
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
    return X, np.searchsorted(classes, y), sample_weight


class ChunkLoss:
    """The objective on the row blocks one worker holds, built where they live.

    The blocks stay separate arrays (nothing is copied together); their losses
    are combined here, weighted by their shares of the group's sample weight,
    so that one call per worker serves all its blocks.

    Parameters
    ----------
    blocks : list of tuple
        ``(X, y, sample_weight)`` per block: features (n_block, n_features),
        labels (n_block,) and weights (n_block,) or None; validated here
        (finite numeric features, non-negative weights) and the labels encoded
        against `classes`.
    classes : ndarray of shape (n_classes,)
        Every class label of the whole data, sorted.
    dtype : dtype
        The floating dtype of the fit.
    """

    def __init__(self, blocks, classes, dtype):
        self.blocks = [_validate_block(*block, classes, dtype) for block in blocks]
        self.n_classes = len(classes)
        self.losses, self.shares = [], np.empty(0)
        self._hessps = []

    def class_totals(self):
        """Return the total sample weight of each class in the blocks."""
        return sum(
            np.bincount(y, weights=w, minlength=self.n_classes)
            for _, y, w in self.blocks
        )

    def build(self, class_weights, fit_intercept):
        """Build the blocks' losses with the class weights; return the weight sum."""
        self.losses, totals = [], []
        for X, y, w in self.blocks:
            weights = w * class_weights[y]
            total = float(weights.sum())
            if total > 0:
                self.losses.append(
                    LinearSoftmaxLoss(
                        X,
                        y,
                        self.n_classes,
                        sample_weight=weights,
                        fit_intercept=fit_intercept,
                    )
                )
                totals.append(total)
        total = float(sum(totals))
        self.shares = np.asarray(totals) / total if total > 0 else np.empty(0)
        return total

    def sample_hessian_rows(self, rate, min_rate, seed):
        """Subsample each block's rows for Hessian products, at a common rate.

        Each block draws ``ceil(rate * n_block)`` rows, at least
        ``ceil(min_rate * n_block)`` per class, stratified as the single-array
        loss does; block ``i`` of this group draws from ``(seed, i)``.
        """
        for i, loss in enumerate(self.losses):
            n_block = loss.n_samples
            loss.sample_hessian_rows(
                int(np.ceil(rate * n_block)),
                int(np.ceil(min_rate * n_block)),
                np.random.RandomState(
                    np.random.SeedSequence([seed, i]).generate_state(1)
                ),
            )

    def _combine(self, parts):
        """Share-weighted sum of the blocks' results (tuples summed entrywise)."""
        if isinstance(parts[0], tuple):
            return tuple(
                self._combine(list(column)) for column in zip(*parts, strict=True)
            )
        return sum(share * part for share, part in zip(self.shares, parts, strict=True))

    def data_curvature(self):
        """Return the curvature bound of the blocks' mean cross-entropy."""
        return self._combine([loss.data_curvature() for loss in self.losses])

    def value(self, coef):
        """Return the blocks' mean cross-entropy at `coef`."""
        return self._combine([loss.value(coef) for loss in self.losses])

    def value_gradient(self, coef):
        """Return the blocks' mean cross-entropy and its gradient at `coef`."""
        return self._combine([loss.value_gradient(coef) for loss in self.losses])

    def gradient_hessian(self, coef):
        """Return value and gradient; keep the Hessian at `coef` for :meth:`hessp`."""
        parts = [loss.gradient_hessian_product(coef) for loss in self.losses]
        self._hessps = [hessp for *_, hessp in parts]
        return self._combine([(value, grad) for value, grad, _ in parts])

    def hessp(self, v):
        """Return the product of the Hessian kept by :meth:`gradient_hessian` with v."""
        return self._combine([hessp(v) for hessp in self._hessps])


class ChunkPool:
    """The :class:`ChunkLoss` objects: in this process, or actors on the workers.

    ``map(method, *args)`` calls a method on every one of them (concurrently
    for actors) and returns the results in order.
    """

    def __init__(self, chunks, remote):
        self.chunks = chunks
        self.remote = remote

    def map_each(self, method, args):
        """Call `method` on each chunk with its own arguments ``args[i]``."""
        results = [
            getattr(chunk, method)(*a)
            for chunk, a in zip(self.chunks, args, strict=True)
        ]
        return [result.result() for result in results] if self.remote else results

    def map(self, method, *args):
        """Call `method` on every chunk with the same arguments."""
        return self.map_each(method, [args] * len(self.chunks))

    def restrict(self, keep):
        """Drop the chunks whose entry in `keep` is false."""
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
    """Build the chunks' losses where they live: a :class:`ChunkLoss` per worker.

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
    chunks : ChunkPool
        The :class:`ChunkLoss` objects, one per worker holding blocks (one in
        this process without a distributed client).
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
        blocks = [(parts[i], parts[n + i], weights[i]) for i in range(n)]
        return ChunkPool([ChunkLoss(blocks, classes, dtype)], remote=False)
    futures_X = client.compute(list(blocks_X))
    futures_y = client.compute(list(blocks_y))
    futures_w = (
        [None] * len(futures_X)
        if sample_weight is None
        else client.compute(list(blocks_w))
    )
    # One actor per worker, on the worker that holds the X blocks it gets.
    client.wait_for_workers(1)
    from distributed import wait

    wait(futures_X)
    holders = client.who_has(futures_X)
    groups = {}
    for fx, fy, fw in zip(futures_X, futures_y, futures_w, strict=True):
        worker = sorted(holders[fx.key])[0]
        groups.setdefault(worker, []).append((fx, fy, fw))
    actors = [
        client.submit(ChunkLoss, blocks, classes, dtype, actor=True, workers=[worker])
        for worker, blocks in groups.items()
    ]
    return ChunkPool([future.result() for future in actors], remote=True)


class DistributedLoss(CoefficientLayout):
    """The objective over row chunks, with the single-array loss's interface.

    Parameters
    ----------
    chunks : ChunkPool
        What :func:`make_chunks` returns, with every chunk built.
    class_totals : ndarray of shape (n_classes,)
        Weighted class totals over all chunks (class weights applied).
    n_samples : int
        Number of samples over all chunks.
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
        self,
        chunks,
        class_totals,
        n_samples,
        n_features,
        fit_intercept,
        penalty,
        dtype,
        shares,
    ):
        super().__init__(n_features, len(class_totals), fit_intercept, penalty, dtype)
        self.chunks = chunks
        self._shares = np.asarray(shares, dtype=np.float64)
        self._class_totals = class_totals / class_totals.sum()
        self.n_samples = int(n_samples)

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

    def sample_hessian_rows(self, n_rows, min_per_class, random_state):
        """Let every chunk subsample its rows for Hessian products.

        The chunks draw the same share of their rows, ``n_rows / n_samples``
        (and of each class, ``min_per_class / n_samples``), each from its own
        stream of `random_state`.
        """
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        seeds = np.random.SeedSequence(seed).generate_state(len(self.chunks.chunks))
        self.chunks.map_each(
            "sample_hessian_rows",
            [
                (n_rows / self.n_samples, min_per_class / self.n_samples, int(s))
                for s in seeds
            ],
        )

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
