"""The cross-entropy where the data live elsewhere: chunks on workers, or a device.

The data are split into chunks, each evaluated where it lives by a chunk
object (a dask worker's :class:`~sk_softmax._backends._dask_chunks.ChunkLoss`,
or the array API backend's device term). For coefficients ``x`` the
cross-entropy and its derivatives are sums::

    CE(x)  = sum_c share_c * CE_c(x)
    grad   = sum_c share_c * grad_c(x)
    H v    = sum_c share_c * H_c(x) v

with ``CE_c`` the chunk's weighted mean and ``share_c`` its share of the total
sample weight. Only the coefficients (size ``n_dof``) travel to the chunks and
only values, gradients and Hessian-vector products come back. The linear map
``raw`` a solver carries along is the identity here: the solver carries the
coefficients, and every evaluation recomputes the logits where the data are.
"""

import numpy as np
from sklearn.utils import check_random_state


class ChunkPool:
    """Chunk objects in this process, or dask actors on the workers.

    ``map(method, *args)`` calls a method on every chunk (concurrently for
    actors) and returns the results in order.

    Parameters
    ----------
    chunks : list
        The chunk objects (or actor handles).
    remote : bool
        Whether they are actors, whose calls return futures.
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

    def release(self):
        """Nothing to free: no chunk is held elsewhere between calls."""


class RemoteCrossEntropy:
    """The data term over a :class:`ChunkPool`, with the one-array interface.

    Parameters
    ----------
    chunks : ChunkPool, ActorPool or StreamPool
        The chunks, each with ``value``, ``value_gradient``,
        ``gradient_hessian``, ``hessp``, ``data_curvature`` and
        ``sample_hessian_share``.
    shares : ndarray of shape (n_chunks,)
        Each chunk's share of the total sample weight.
    class_totals : ndarray of shape (n_classes,)
        Weight of each class over all chunks (class weights applied).
    n_samples : int
        Number of samples over all chunks.
    layout : CoefficientLayout
        The coefficients' layout (on the host).
    """

    def __init__(self, chunks, shares, class_totals, n_samples, layout):
        self.chunks = chunks
        self._shares = np.asarray(shares, dtype=np.float64)
        self.class_totals = class_totals / class_totals.sum()
        self.n_samples = int(n_samples)
        self.layout = layout

    def _sum(self, parts):
        """Share-weighted sum of per-chunk results (floats or arrays)."""
        total = sum(
            share * part for share, part in zip(self._shares, parts, strict=True)
        )
        if np.ndim(total):
            return np.asarray(total, dtype=self.layout.dtype)
        return float(total)

    def evaluation_point(self, coef, raw):
        """Return the coefficients an evaluation is at: the carried ``raw`` if given."""
        return np.asarray(coef if raw is None else raw, dtype=self.layout.dtype)

    def data_curvature(self):
        """Share-weighted sum of the chunks' curvature bounds."""
        return self._sum(self.chunks.map("data_curvature"))

    def raw(self, coef, out=None):
        """Return a copy of `coef`: solvers carry coefficients, not logits."""
        if out is None:
            return np.array(coef, dtype=self.layout.dtype, copy=True)
        out[...] = coef
        return out

    def value(self, coef, raw=None):
        """Cross-entropy at the coefficients (``raw``, when carried)."""
        return self._sum(self.chunks.map("value", self.evaluation_point(coef, raw)))

    def value_gradient(self, coef, raw=None):
        """Cross-entropy and its gradient, reduced over the chunks."""
        parts = self.chunks.map("value_gradient", self.evaluation_point(coef, raw))
        return self._sum([p[0] for p in parts]), self._sum([p[1] for p in parts])

    def gradient_hessian_product(self, coef, raw=None):
        """Cross-entropy, gradient and a Hessian-vector product function.

        Each chunk keeps its probabilities at `coef` for the products, which are
        valid until the next call of any method of this object.
        """
        coef = self.evaluation_point(coef, raw)
        parts = self.chunks.map("gradient_hessian", coef)

        def hessp(v):
            v = np.asarray(v, dtype=self.layout.dtype)
            return self._sum(self.chunks.map("hessp", v))

        return self._sum([p[0] for p in parts]), self._sum([p[1] for p in parts]), hessp

    def sample_hessian_rows(self, n_rows, min_per_class, random_state):
        """Let every chunk subsample its rows for Hessian products.

        The chunks draw the same share of their rows, ``n_rows / n_samples``
        (and of each class, ``min_per_class / n_samples``), each from its own
        stream of `random_state`.
        """
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        seeds = np.random.SeedSequence(seed).generate_state(len(self.chunks.chunks))
        self.chunks.map_each(
            "sample_hessian_share",
            [
                (n_rows / self.n_samples, min_per_class / self.n_samples, int(s))
                for s in seeds
            ],
        )
