"""Chunk losses streamed: every evaluation reads or computes the blocks again.

For data larger than the cluster's memory. :class:`StreamPool` keeps nothing
on the workers between evaluations: each call maps over the row blocks as
ordinary dask tasks, which compute (or read) a block from the collection's
graph, build its :class:`~sk_softmax._backends._dask_chunks.ChunkLoss`, bring
it to the pool's state and return the block's value, gradient or Hessian
product. A pass over the data costs what computing the collection costs; dask
recomputes the tasks of a lost worker as for any graph.
"""

import numpy as np
from sklearn.utils import column_or_1d

from sk_softmax._backends._dask_chunks import ChunkLoss, validate_labels


def _labels(y):
    return np.unique(column_or_1d(y))


def _class_totals(y, sample_weight, classes):
    y, w = validate_labels(y, sample_weight, classes)
    return np.bincount(y, weights=w, minlength=len(classes))


def _weight_sum(y, sample_weight, classes, class_weights):
    y, w = validate_labels(y, sample_weight, classes)
    return float((w * class_weights[y]).sum())


def _evaluate(X, y, sample_weight, setup, method, args):
    """Build one block's loss, bring it to `setup`'s state and call `method`."""
    loss = ChunkLoss([(X, y, sample_weight)], setup["classes"], setup["dtype"])
    loss.build(*setup["build"], prepare=False)  # one evaluation: nothing to reuse
    if method == "hessp":
        if setup["sample"] is not None:
            loss.sample_hessian_share(*setup["sample"])
        loss.gradient_hessian(*setup["point"])
    return getattr(loss, method)(*args)


class StreamPool:
    """The chunk-loss interface over row blocks computed afresh for each call.

    Parameters
    ----------
    client : distributed.Client
        The client the tasks go to.
    blocks : list of tuple
        ``(X, y, sample_weight)`` dask delayed objects per row block
        (`sample_weight` may be None).
    dtype : dtype
        The floating dtype of the fit.
    """

    remote = True

    def __init__(self, client, blocks, dtype):
        self.client = client
        self.chunks = list(blocks)
        self._setup = {
            "classes": None,
            "dtype": dtype,
            "build": None,
            "sample": None,
            "point": None,
        }
        self._samples = self._points = None

    def map(self, method, *args):
        """Call `method` on every block with the same arguments."""
        return self.map_each(method, [args] * len(self.chunks))

    def map_each(self, method, args):
        """Call `method` on each block with its own arguments, as dask tasks."""
        from dask import delayed

        setup = self._setup
        if method == "sample_hessian_share":
            self._samples = list(args)
            return [None] * len(self.chunks)
        if method == "labels":
            tasks = [delayed(_labels)(y) for _, y, _ in self.chunks]
        elif method == "encode":
            setup["classes"] = args[0][0]
            tasks = [
                delayed(_class_totals)(y, w, setup["classes"])
                for _, y, w in self.chunks
            ]
        elif method == "build":
            setup["build"] = args[0]
            tasks = [
                delayed(_weight_sum)(y, w, setup["classes"], args[0][0])
                for _, y, w in self.chunks
            ]
        else:
            if method == "gradient_hessian":
                self._points = list(args)
            tasks = [
                delayed(_evaluate)(X, y, w, self._block_setup(i, method), method, a)
                for i, ((X, y, w), a) in enumerate(zip(self.chunks, args, strict=True))
            ]
        return self.client.gather(self.client.compute(tasks))

    def _block_setup(self, i, method):
        if method != "hessp":
            return self._setup
        return {
            **self._setup,
            "sample": None if self._samples is None else self._samples[i],
            "point": self._points[i],
        }

    def restrict(self, keep):
        """Drop the blocks whose entry in `keep` is false."""
        self.chunks = [c for c, k in zip(self.chunks, keep, strict=True) if k]

    def release(self):
        """Nothing to free: no chunk is held elsewhere between calls."""
