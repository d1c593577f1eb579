"""The dask chunks' side of a fit: one :class:`ChunkLoss` per worker.

Each worker holds the row blocks of ``X`` it stores and builds, once, a
:class:`~sk_softmax._objective._linear.LinearCrossEntropy` per block, checking
the block where it lives (finite numbers, non-negative weights). One call per
worker then serves all its blocks; without a distributed client, one
:class:`ChunkLoss` in this process holds every block. The host side is
:class:`~sk_softmax._backends._remote.RemoteCrossEntropy`.
"""

import numpy as np
from sklearn.utils import check_array, column_or_1d

from sk_softmax._objective import LinearCrossEntropy


def validate_labels(y, sample_weight, classes):
    """Check one block's labels and weights; return the labels and weights.

    The labels come back encoded against `classes`, or as they are when
    `classes` is None.
    """
    y = column_or_1d(y)
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
    return (y if classes is None else np.searchsorted(classes, y)), sample_weight


def _validate_block(X, y, sample_weight, classes, dtype):
    """Check one row block where it lives; return it with encoded labels."""
    X = check_array(X, dtype=dtype, ensure_min_samples=0, input_name="X")
    # A block unpickled from the network can start at an address that is not a
    # multiple of its itemsize; BLAS runs about 2.5 times slower on it, so such
    # a block is copied once into aligned memory.
    X = np.require(X, requirements=["C_CONTIGUOUS", "ALIGNED"])
    if len(column_or_1d(y)) != len(X):
        raise ValueError(
            f"X and y have inconsistent numbers of samples in a chunk: "
            f"{len(X)} and {len(column_or_1d(y))}."
        )
    return (X, *validate_labels(y, sample_weight, classes))


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
    classes : ndarray of shape (n_classes,) or None
        Every class label of the whole data, sorted; None to keep the labels
        until :meth:`encode` (the pool asks for :meth:`labels` first).
    dtype : dtype
        The floating dtype of the fit.
    """

    def __init__(self, blocks, classes, dtype):
        self.blocks = [_validate_block(*block, classes, dtype) for block in blocks]
        self.n_classes = None if classes is None else len(classes)
        self.losses, self.shares = [], np.empty(0)
        self._hessps = []

    def labels(self):
        """Return the distinct labels of the blocks, before :meth:`encode`."""
        return np.unique(np.concatenate([y for _, y, _ in self.blocks]))

    def encode(self, classes):
        """Encode the labels against every class label; return the class totals."""
        self.blocks = [(X, np.searchsorted(classes, y), w) for X, y, w in self.blocks]
        self.n_classes = len(classes)
        return self.class_totals()

    def class_totals(self):
        """Return the total sample weight of each class in the blocks."""
        return sum(
            np.bincount(y, weights=w, minlength=self.n_classes)
            for _, y, w in self.blocks
        )

    def build(self, class_weights, fit_intercept, prepare=True):
        """Build the blocks' losses with the class weights; return the weight sum.

        With `prepare`, the losses also compute the quantities every
        full-batch evaluation needs (row norms, label products), here rather
        than in the first evaluation.
        """
        self.losses, totals = [], []
        for X, y, w in self.blocks:
            weights = w * class_weights[y]
            total = float(weights.sum())
            if total > 0:
                self.losses.append(
                    LinearCrossEntropy(
                        X,
                        y,
                        self.n_classes,
                        sample_weight=weights,
                        fit_intercept=fit_intercept,
                    )
                )
                totals.append(total)
                if prepare:
                    self.losses[-1].prepare()
        total = float(sum(totals))
        self.shares = np.asarray(totals) / total if total > 0 else np.empty(0)
        return total

    def sample_hessian_share(self, rate, min_rate, seed):
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
