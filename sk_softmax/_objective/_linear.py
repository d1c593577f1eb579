"""The cross-entropy of a linear model over one array ``X``: the data term.

Notation (``docs/developer/architecture.rst``). Data ``X`` of shape (n, d)
(dense or CSR, or an array API array on its device), encoded labels ``y`` in
``{0, ..., K-1}``, sample weights ``s_i >= 0`` and their normalised form
``w_i = s_i / sum(s)``. This module computes, for the flat coefficients of
:mod:`sk_softmax._layout`::

    CE(W, b) = sum_i w_i * (logsumexp(Z_i) - Z_{i, y_i}),    Z = X @ W.T + b

its gradient ``[G.T @ X, sum_i G_i]`` with ``G = diag(w) (P - Y)`` (the softmax
Jacobian collapsed, see :mod:`sk_softmax._objective._cross_entropy`) and, for a
direction ``(V, c)``, the Hessian-vector product::

    dZ   = X @ V.T + c
    dP_i = J_i dZ_i = p_i * (dZ_i - <p_i, dZ_i>)
    Hv   = [(diag(w) dP).T @ X,  sum_i w_i dP_i]

No penalty here: :class:`~sk_softmax._objective._penalized.PenalizedObjective`
adds it, once, for every kind of data term. For ``K = 2`` the same formulas
hold with ``Z = [0, z]`` and only the column of class 1 kept.

Logits and probabilities are held class-major, as (k, n_samples) C-ordered
arrays, so that the per-sample reductions over classes run over contiguous
rows. A gradient costs the two products ``W @ X.T`` and ``G @ X`` plus O(n K)
elementwise work (in place, in buffers allocated once, on numpy); a
Hessian-vector product costs two more products. float32 data are computed in
float32 (scalar values are accumulated in float64).
"""

from functools import cached_property, partial

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from sk_softmax._layout import CoefficientLayout
from sk_softmax._objective._cross_entropy import SoftmaxCrossEntropy
from sk_softmax._objective._ops import array_ops
from sk_softmax._objective._subsample import stratified_rows

# Logits bounded by this in absolute value need no shift before ``exp``: the
# exponentials of K of them neither overflow nor underflow.
_SAFE_EXP = {np.float64: 600.0, np.float32: 40.0}


def _restrict(X, columns):
    """Return ``X[:, columns]``, CSR when sparse (row products are cheap)."""
    X_ws = X[:, columns]
    return X_ws.tocsr() if sp.issparse(X_ws) else X_ws


class LinearCrossEntropy:
    """Weighted softmax cross-entropy of a linear model on the data ``X``.

    Parameters
    ----------
    X : {ndarray, sparse matrix, array API array} of shape (n_samples, n_features)
        Training data, float32 or float64; every computation keeps its dtype
        and, for an array API array, its namespace and device.
    y : array of shape (n_samples,)
        Encoded labels, integers in ``[0, n_classes)``.
    n_classes : int
        Number of classes ``K >= 2``.
    sample_weight : array of shape (n_samples,), default=None
        Non-negative weights with a positive sum; ``None`` means unit weights.
        They are normalised to sum to one.
    fit_intercept : bool, default=True
        Whether the model has an (unpenalised) intercept.
    reuse : bool, default=True
        Whether the object will evaluate many coefficient vectors, as a
        full-batch solver does. Then the gradient's constant part
        ``-diag(w) Y`` is reduced with ``X`` once and the logits may skip their
        shift when a bound shows it safe. ``False`` suits a one-off
        evaluation on a mini-batch: nothing is precomputed.

    Attributes
    ----------
    layout : CoefficientLayout
        The packing of the coefficients.
    class_totals : ndarray of shape (n_classes,)
        Share of the total weight of each class, on the host.
    raw_shape : tuple of int
        ``(k, n_samples)``, the shape of :meth:`raw`'s result.
    """

    def __init__(
        self, X, y, n_classes, sample_weight=None, fit_intercept=True, reuse=True
    ):
        n_samples, n_features = X.shape
        self.ops = ops = array_ops(X)
        self.layout = CoefficientLayout(
            n_features, n_classes, fit_intercept, ops.dtype, getattr(ops, "xp", np)
        )
        self.X, self.n_samples, self.reuse = X, n_samples, bool(reuse)
        if sample_weight is None:
            weights = np.full(n_samples, 1.0 / n_samples)
        else:
            sample_weight = np.asarray(ops.to_host(sample_weight), dtype=np.float64)
            weights = sample_weight / sample_weight.sum()
        self.weights64 = weights  # on the host, for reductions there
        self.weights = ops.from_host(weights)
        labels = ops.labels(y, n_classes, self.weights, self.layout.binary)
        self.class_totals = np.bincount(
            np.asarray(ops.to_host(labels.y), dtype=np.intp),
            weights=weights,
            minlength=n_classes,
        )
        self.cross_entropy = SoftmaxCrossEntropy(
            ops, labels, self.weights, weights, self.layout.binary
        )
        self.raw_shape = (self.layout.n_free_classes, n_samples)
        self._hessian_rows = None

    @cached_property
    def _row_sq(self):
        """Squared norms of the rows of ``X``."""
        return self.ops.row_sq(self.X)

    @cached_property
    def _max_row_norm(self):
        if not self.n_samples:
            return 0.0
        return float(self.ops.xp.sqrt(self.ops.xp.max(self._row_sq)))

    @cached_property
    def _label_products(self):
        """The gradient's constant part reduced: ``((diag(w) Y) @ X, Y.T w)``."""
        layout = self.layout
        k = layout.n_free_classes
        target_X = self.ops.label_products(
            self.X, self.cross_entropy.labels, self.weights, layout.n_classes, k
        )
        totals = self.class_totals[layout.n_classes - k :]
        return target_X, self.ops.from_host(totals)

    def prepare(self):
        """Compute now the quantities full-batch evaluations compute on first use.

        The rows' squared norms (for :meth:`data_curvature` and the overflow
        bound) and, when the gradient's label part is reused, the label
        products: a remote chunk computes them while it is built, so its first
        evaluation costs what the later ones do. The results are unchanged.
        """
        needed = ["_max_row_norm", "_label_products"] if self.reuse else ["_row_sq"]
        for name in needed:
            getattr(self, name)

    def data_curvature(self):
        """Upper bound on the cross-entropy's curvature.

        The softmax Jacobian's eigenvalues are at most 1/2, so the Hessian of
        the cross-entropy is bounded by ``1/2 * sum_i w_i (||x_i||^2 +
        fit_intercept)``.
        """
        total = self.ops.weighted_sum(self.weights64, self.weights, self._row_sq)
        return 0.5 * (total + self.layout.fit_intercept)

    def raw(self, coef, out=None):
        """Class-major free logits ``(X @ W.T + b).T``, linear in ``coef``.

        Parameters
        ----------
        coef : array of shape (n_dof,)
            Packed coefficients (or a direction).
        out : ndarray of shape `raw_shape`, default=None
            Where to write the result (numpy).

        Returns
        -------
        raw : array of shape (k, n_samples)
        """
        if out is None:
            out = self.ops.new_array(self.raw_shape)
        return self._linear(self.X, coef, out)

    def evaluation_point(self, coef, raw):
        """Return the coefficients an evaluation at ``(coef, raw)`` is at: `coef`."""
        return coef

    def _linear(self, X, coef, out):
        W, b = self.layout.unpack(self.ops.asarray(coef))
        return self.ops.linear(X, W, b, out)

    def _raw_or(self, coef, raw):
        """``raw`` if given, else ``raw(coef)`` computed into a reused buffer."""
        if raw is not None:
            return raw
        return self._linear(self.X, coef, self.ops.buffer("raw", self.raw_shape))

    def _shift(self, coef):
        """Whether the logits need their per-sample shift before ``exp``.

        Not when a bound ``max_k ||W_k|| max_i ||x_i|| + max |b|`` on ``|Z|``
        shows that no exponential can overflow or underflow (full-batch
        objectives only: the bound's row norms are computed once).
        """
        if not self.reuse or self.layout.binary:
            return True
        xp = self.ops.xp
        W, b = self.layout.unpack(coef)
        bound = float(xp.sqrt(xp.max(xp.sum(W * W, axis=1))))
        bound *= self._max_row_norm
        bound += float(xp.max(xp.abs(b))) if b is not None else 0.0
        return bound > _SAFE_EXP[self.ops.dtype.type]

    def _pack(self, G, X=None, with_labels=False):
        """Flat ``[G @ X, sum(G)]`` of class-major ``G``, less the label part."""
        minus = self._label_products if with_labels else None
        X = self.X if X is None else X
        return self.ops.pack_gradient(self.layout, G, X, minus)

    def value(self, coef, raw=None):
        """Cross-entropy at ``coef`` (``raw``: its logits, if known)."""
        raw = self._raw_or(coef, raw)
        return self.cross_entropy.value(raw, self._shift(coef))

    def value_gradient(self, coef, raw=None):
        """Fused cross-entropy and its gradient."""
        raw = self._raw_or(coef, raw)
        G = self.ops.buffer("P", self.raw_shape)  # computed in place
        loss, G = self.cross_entropy.value_gradient(
            raw, G, self._shift(coef), with_labels=not self.reuse
        )
        return loss, self._pack(G, with_labels=self.reuse)

    def gradient_hessian_product(self, coef, raw=None):
        """Cross-entropy, gradient and a Hessian-vector product function.

        The probabilities are computed once and shared by the gradient and
        every product; no (n, K, K) Jacobian is ever formed. The function is
        valid until the next call of any method of this object.
        """
        raw = self._raw_or(coef, raw)
        G = self.ops.buffer("work", self.raw_shape)
        loss, G = self.cross_entropy.value_gradient(
            raw, G, self._shift(coef), with_labels=not self.reuse
        )
        grad = self._pack(G, with_labels=self.reuse)
        if self._hessian_rows is None:
            rows, X_h, weights, work = None, self.X, self.weights, G
        else:
            rows, X_h, weights = self._hessian_rows
            shape = (self.layout.n_free_classes, len(rows))
            work = self.ops.buffer("work_rows", shape)
        curvature = self.cross_entropy.curvature(raw, weights, rows)

        def hessp(v):
            dZ = self._linear(X_h, v, work)
            dZ = self.cross_entropy.jvp(curvature, dZ, weights)
            return self._pack(dZ, X=X_h)

        return loss, grad, hessp

    @cached_property
    def _columns_source(self):
        """``X`` in a form whose column subsets are cheap: CSC when sparse."""
        return self.X.tocsc() if sp.issparse(self.X) else self.X

    def working_set_model(self, coef, raw, columns):
        """Return the logit map and Hessian at ``coef`` restricted to some features.

        For the proximal Newton solver's working sets: the directions it
        considers move only the weights of the features `columns` (all rows of
        each) and the intercept, packed by the returned `layout`. The
        curvature is that of the full model at ``coef``; only the products
        are restricted, to ``X[:, columns]``, and, when a row subsample is
        drawn (:meth:`sample_hessian_rows`), the Hessian and its diagonal are
        estimated from those rows, as in :meth:`gradient_hessian_product`.
        numpy data only.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients of the full model.
        raw : ndarray of shape `raw_shape`
            ``self.raw(coef)``.
        columns : ndarray of int
            Indices of the features, sorted.

        Returns
        -------
        layout : CoefficientLayout
            The packing of the restricted coefficients.
        logits : callable
            ``logits(v)``, the (k, n) class-major logits of a restricted
            direction (a new array).
        hessp : callable
            ``hessp(v)``, the data term's Hessian-vector product on the
            restricted coordinates.
        diagonal : ndarray of shape (layout.n_dof,)
            The diagonal of that Hessian, ``sum_i w_i p_ic (1 - p_ic)
            x_ij^2`` for class ``c`` and feature ``j`` (a preconditioner).
        """
        layout = CoefficientLayout(
            len(columns),
            self.layout.n_classes,
            self.layout.fit_intercept,
            self.ops.dtype,
        )
        if self._hessian_rows is None:
            rows, X_h, weights = (
                None,
                _restrict(self._columns_source, columns),
                self.weights,
            )
        else:
            rows, X_rows, weights = self._hessian_rows
            X_h = _restrict(X_rows, columns)
        self.cross_entropy.value(raw, self._shift(coef))
        curvature = np.array(self.cross_entropy.curvature(raw, weights, rows))

        def linear(X, v):
            W, b = layout.unpack(self.ops.asarray(v))
            shape = (self.raw_shape[0], X.shape[0])
            return self.ops.linear(X, W, b, self.ops.new_array(shape))

        def hessp(v):
            dZ = self.cross_entropy.jvp(curvature, linear(X_h, v), weights)
            return self.ops.pack_gradient(layout, dZ, X_h)

        if self.layout.binary:  # curvature: the weights p (1 - p) w
            diag_weights = curvature[None, :]
        else:  # curvature: the probabilities
            diag_weights = curvature * (1.0 - curvature) * weights
        squares = X_h.multiply(X_h).tocsr() if sp.issparse(X_h) else X_h * X_h
        diagonal = self.ops.pack_gradient(layout, diag_weights, squares)
        return layout, self._direction_logits(layout, columns, linear), hessp, diagonal

    def _direction_logits(self, layout, columns, linear):
        """Return the full-data logits of restricted directions, as a function.

        Sparse: a product with the working set's columns, whose cost follows
        their non-zeros. Dense: the direction padded with zeros and multiplied
        by all of ``X``, cheaper than copying the columns out.
        """
        if sp.issparse(self.X):
            return partial(linear, _restrict(self._columns_source, columns))
        k, d = self.layout.w_shape

        def logits(v):
            W_ws, b = layout.unpack(self.ops.asarray(v))
            W = np.zeros((k, d), dtype=self.ops.dtype)
            W[:, columns] = W_ws
            return self.ops.linear(self.X, W, b, self.ops.new_array(self.raw_shape))

        return logits

    def subsample_hessian(self, rows, scale=None):
        """Compute Hessian-vector products on a subset of the samples only.

        The gradient stays exact; :meth:`gradient_hessian_product` then returns
        products with the Hessian of the rows ``rows``, their weights multiplied
        by ``scale`` and renormalised to sum to one: an estimate of the full
        Hessian that costs ``len(rows) / n_samples`` of a full product.
        ``None`` restores the full Hessian.

        Parameters
        ----------
        rows : ndarray of int or None
            Indices of the samples to use, sorted.
        scale : ndarray of shape (len(rows),), default=None
            Factors for the rows' weights (inverse sampling rates); ``None``
            means ones.
        """
        if rows is None:
            self._hessian_rows = None
            return
        rows = np.asarray(rows)
        weights = self.weights64[rows] * (1.0 if scale is None else scale)
        self._hessian_rows = (
            rows,
            self.X[rows],
            (weights / weights.sum()).astype(self.ops.dtype),
        )

    def sample_hessian_rows(self, n_rows, min_per_class, random_state):
        """Draw the stratified row subsample for Hessian-vector products.

        About `n_rows` rows, at least `min_per_class` of each class (or all of
        its rows), each reweighted by the inverse of its class's sampling rate
        (:func:`~sk_softmax._objective._subsample.stratified_rows`).
        """
        rng = check_random_state(random_state)
        y = np.asarray(self.cross_entropy.labels.y)
        self.subsample_hessian(*stratified_rows(y, n_rows, min_per_class, rng=rng))
