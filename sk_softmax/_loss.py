"""The softmax regression objective: value, gradient and Hessian-vector product.

Notation (DESIGN.md). Data ``X`` of shape (n, d) (dense or CSR), integer labels
``y`` in ``{0, ..., K-1}``, sample weights ``s_i >= 0`` and their normalised form
``w_i = s_i / sum(s)``. The objective is::

    F(W, b) = sum_i w_i * (logsumexp(Z_i) - Z_{i, y_i}) + R(W)
    Z       = X @ W.T + b

with ``R`` the elastic-net penalty of :mod:`sk_softmax._penalty` (intercept never
penalised). This module handles the smooth part: the cross-entropy plus
``l2 / 2 * ||W||^2``; the L1 part is left to proximal solvers.

Parameterisation and packing
----------------------------
With ``K >= 3`` classes the model has one row of coefficients per class,
``W`` of shape (K, d) and ``b`` of shape (K,). With ``K = 2`` class 0 is the
reference class whose logit is fixed at 0, so ``W`` has shape (1, d), the
free logit is ``z = X @ w + b``, ``P(class 1) = sigmoid(z)`` -- the usual
logistic regression -- and the penalty means the same as for ``K >= 3``.

The solvers see a flat vector ``coef`` of size ``k * d + k * fit_intercept``
(``k = K`` or 1): the C-order ravel of ``W`` (k, d), followed by ``b`` (k,) when
``fit_intercept`` is true. ``W`` is thus a contiguous block, which the matrix
products need to run at full speed.

Gradient through the softmax Jacobian
-------------------------------------
With ``P = softmax(Z)`` and ``Y`` the one-hot labels, the chain rule through
``J_i = diag(p_i) - p_i p_i^T`` collapses to ``dCE/dZ_i = p_i - y_i``, so::

    G      = diag(w) (P - Y)                 (n, K)
    grad_W = G.T @ X + l2 * W,   grad_b = sum_i G_i

For a direction ``(V, c)`` the Hessian-vector product applies ``J_i`` without
forming it::

    dZ     = X @ V.T + c
    dP_i   = J_i dZ_i = p_i * (dZ_i - <p_i, dZ_i>)
    Hv     = (diag(w) dP).T @ X + l2 * V,    sum_i w_i dP_i

For ``K = 2`` the same formulas hold with ``Z = [0, z]`` and only the column of
class 1 kept: ``G = w * (sigmoid(z) - y)`` and ``dP = w * p (1 - p) * dz``.

Layout and cost
---------------
Logits and probabilities are held class-major, as (k, n_samples) C-ordered
arrays, so that the per-sample reductions over classes (max, sum) run over
contiguous rows. A gradient costs the two products ``W @ X.T`` and ``G @ X``
plus O(n K) elementwise work done in place in buffers allocated once per loss
object; a Hessian-vector product costs two more products. float32 data are
computed in float32 (scalar objective values are accumulated in float64).
"""

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.utils import check_random_state

from sk_softmax._layout import CoefficientLayout
from sk_softmax._subsample import stratified_rows

# Logits bounded by this in absolute value need no shift before ``exp``: the
# exponentials of K of them neither overflow nor underflow.
_SAFE_EXP = {np.float64: 600.0, np.float32: 40.0}


class LinearSoftmaxLoss(CoefficientLayout):
    """Weighted softmax cross-entropy of a linear model plus its penalty.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data, float32 or float64; every computation keeps its dtype.
    y : ndarray of shape (n_samples,)
        Encoded labels, integers in ``[0, n_classes)``.
    n_classes : int
        Number of classes ``K >= 2``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights with a positive sum; ``None`` means unit weights.
        They are normalised to sum to one.
    fit_intercept : bool, default=True
        Whether the model has an (unpenalised) intercept.
    penalty : ElasticNet, default=None
        The penalty; ``None`` means no penalty. Only its smooth L2 part enters
        this object's values and gradients.
    reuse : bool, default=True
        Whether the object will evaluate many coefficient vectors, as a
        full-batch solver does. Then quantities that depend on the data only
        (the gradient's constant part, row norms) are computed once and
        reused. ``False`` suits a one-off evaluation on a mini-batch: nothing
        is precomputed.

    Attributes
    ----------
    n_dof : int
        Size of the flat coefficient vector.
    n_free_classes : int
        ``k``: the number of coefficient rows (1 for binary problems).
    raw_shape : tuple of int
        ``(k, n_samples)``, the shape of :meth:`raw`'s result.
    """

    def __init__(
        self,
        X,
        y,
        n_classes,
        sample_weight=None,
        fit_intercept=True,
        penalty=None,
        reuse=True,
    ):
        n_samples, n_features = X.shape
        super().__init__(n_features, n_classes, fit_intercept, penalty, X.dtype)
        self.reuse = bool(reuse)
        self.X = X
        self.n_samples = n_samples
        if sample_weight is None:
            weights = np.full(n_samples, 1.0 / n_samples)
        else:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            weights = sample_weight / sample_weight.sum()
        self._w64 = weights
        self.weights = weights.astype(self.dtype)
        y = np.asarray(y, dtype=np.intp)
        if self.binary:
            self._y1 = (y == 1).astype(self.dtype)
        else:
            # Position of Z[y_i, i] in the raveled class-major (K, n) logits.
            self._flat_y = y * n_samples + np.arange(n_samples)
        self.raw_shape = (self.n_free_classes, n_samples)
        self._buffers = {}
        self._hessian_rows = None
        self._y = y
        self._class_totals = np.bincount(y, weights=weights, minlength=self.n_classes)

    @cached_property
    def _row_sq(self):
        """Squared norms of the rows of ``X``."""
        if sp.issparse(self.X):
            return np.asarray(self.X.multiply(self.X).sum(axis=1)).ravel()
        return np.einsum("ij,ij->i", self.X, self.X)

    @cached_property
    def _max_row_norm(self):
        return float(np.sqrt(self._row_sq.max())) if len(self._row_sq) else 0.0

    @cached_property
    def _targets(self):
        """The gradient's constant part ``diag(w) Y``, reduced: ``(Y^T w X, Y^T w)``.

        Per-class weighted sums of ``X`` (k, d) and of ``w`` (k,), for the free
        classes; ``X``'s in the data's dtype (a float64 sparse factor would
        upcast a copy of ``X``).
        """
        n_samples = len(self._y)
        k = self.n_free_classes
        targets = sp.csr_matrix(
            (self.weights, (self._y, np.arange(n_samples))),
            shape=(self.n_classes, n_samples),
        )[self.n_classes - k :]
        target_X = targets @ self.X
        target_X = np.asarray(
            target_X.toarray() if sp.issparse(target_X) else target_X,
            dtype=self.dtype,
        )
        return target_X, self._class_totals[self.n_classes - k :].astype(self.dtype)

    def _buffer(self, name, shape):
        """Return a work array, allocated on first use and reused afterwards."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self._buffers[name] = np.empty(shape, dtype=self.dtype)
        return buf

    def data_curvature(self):
        """Upper bound on the cross-entropy's curvature, without the penalty.

        The softmax Jacobian's eigenvalues are at most 1/2, so the Hessian of
        the cross-entropy is bounded by ``1/2 * sum_i w_i (||x_i||^2 +
        fit_intercept)``.
        """
        return 0.5 * (float(self._w64 @ self._row_sq) + self.fit_intercept)

    # ------------------------------------------------------------------- maths
    def raw(self, coef, out=None):
        """Class-major free logits ``(X @ W.T + b).T``, linear in ``coef``.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients (or a direction).
        out : ndarray of shape `raw_shape`, default=None
            Where to write the result.

        Returns
        -------
        raw : ndarray of shape (k, n_samples)
        """
        if out is None:
            out = np.empty(self.raw_shape, dtype=self.dtype)
        return self._linear(self.X, coef, out)

    def _linear(self, X, coef, out):
        """Write ``(X @ W.T + b).T`` into ``out`` (k, len(X))."""
        W, b = self.unpack(np.asarray(coef, dtype=self.dtype))
        if sp.issparse(X):
            out[...] = (X @ W.T).T
        else:
            np.matmul(W, X.T, out=out)
        if b is not None:
            out += b[:, None]
        return out

    def _logit_bound(self, coef):
        """Upper bound on ``|Z|``: ``max_k ||W_k|| max_i ||x_i|| + max |b|``."""
        W, b = self.unpack(coef)
        bound = float(np.sqrt(np.max(np.einsum("kj,kj->k", W, W))))
        bound *= self._max_row_norm
        return bound + (float(np.max(np.abs(b))) if b is not None else 0.0)

    def _cross_entropy(self, raw, coef):
        """Weighted cross-entropy; leaves ``exp(Z - shift)`` in the buffer 'P'.

        The shift is the per-sample maximum logit, except when a bound on
        ``|Z|`` from the coefficients shows that no exponential can overflow or
        underflow: then it is 0, which saves two passes over the logits.
        Returns the loss and, for ``K >= 3``, the per-sample normaliser
        ``sum_k exp(Z_k - shift)``.
        """
        if self.binary:
            z = raw[0]
            terms = np.logaddexp(0, z)
            terms -= self._y1 * z
            return float(self._w64 @ terms), None
        P = self._buffer("P", self.raw_shape)
        norm = self._buffer("norm", self.raw_shape[1:])
        if self.reuse and self._logit_bound(coef) <= _SAFE_EXP[self.dtype.type]:
            z_y = np.take(raw, self._flat_y)
            np.exp(raw, out=P)
        else:
            m = self._buffer("max", self.raw_shape[1:])
            np.max(raw, axis=0, out=m)
            np.subtract(raw, m, out=P)
            z_y = np.take(P, self._flat_y)
            np.exp(P, out=P)
        np.sum(P, axis=0, out=norm)
        terms = np.log(norm)
        terms -= z_y
        return float(self._w64 @ terms), norm

    def _logit_gradient(self, raw, coef, out):
        """Loss and ``diag(w) P`` (class-major, free classes) in ``out``.

        The gradient's other part, ``-diag(w) Y``, is constant. With `reuse`,
        :meth:`_pack` subtracts its products with ``X`` and ``1``, precomputed
        once; otherwise it is subtracted from ``out`` here, giving
        ``diag(w) (P - Y)``.
        """
        loss, norm = self._cross_entropy(raw, coef)
        if self.binary:
            expit(raw[0], out=out[0])
            out *= self.weights
            if not self.reuse:
                out[0] -= self._y1 * self.weights
        else:
            scale = self._buffer("scale", norm.shape)
            np.divide(self.weights, norm, out=scale)
            np.multiply(self._buffers["P"], scale, out=out)
            if not self.reuse:
                out.reshape(-1)[self._flat_y] -= self.weights
        return loss

    def _pack(self, G, W, targets=False, X=None):
        """Flat ``[G @ X + l2 W, sum(G)]`` from class-major ``G`` (k, n).

        With ``targets``, ``G`` holds ``diag(w) P`` and the constant
        ``diag(w) Y`` part is subtracted: the gradient. ``X`` defaults to the
        training data.
        """
        X = self.X if X is None else X
        grad = np.empty(self.n_dof, dtype=self.dtype)
        gW, gb = self.unpack(grad)
        if sp.issparse(X):
            gW[...] = (X.T @ G.T).T
        else:
            np.matmul(G, X, out=gW)
        if targets:
            gW -= self._targets[0]
        if self.penalty.l2:
            gW += self.penalty.l2 * W
        if gb is not None:
            np.sum(G, axis=1, out=gb)
            if targets:
                gb -= self._targets[1]
        return grad

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
        weights = self._w64[rows] * (1.0 if scale is None else scale)
        self._hessian_rows = (
            rows,
            self.X[rows],
            (weights / weights.sum()).astype(self.dtype),
        )

    def subset(self, rows):
        """Return the same objective on the samples ``rows``, for one-off use.

        The rows' weights are renormalised to sum to one, so the result's
        value and gradient estimate this object's from a sample (a mini-batch
        gradient). Nothing is precomputed (``reuse=False``).

        Parameters
        ----------
        rows : ndarray of int
            Indices of the samples.

        Returns
        -------
        loss : LinearSoftmaxLoss or None
            ``None`` when the rows carry no weight.
        """
        weights = self._w64[rows]
        if not weights.sum() > 0:
            return None
        return LinearSoftmaxLoss(
            self.X[rows],
            self._y[rows],
            self.n_classes,
            sample_weight=weights,
            fit_intercept=self.fit_intercept,
            penalty=self.penalty,
            reuse=False,
        )

    def batch_value_gradient(self, coef, rows):
        """Smooth objective and gradient on the mini-batch ``rows``.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        rows : ndarray of int
            Indices of the samples in the batch.

        Returns
        -------
        result : tuple of (float, ndarray of shape (n_dof,), float) or None
            The value and gradient of :meth:`value_gradient` on the batch
            (weights renormalised), and the batch's share of the total weight;
            ``None`` when the batch carries no weight.
        """
        batch = self.subset(rows)
        if batch is None:
            return None
        return (*batch.value_gradient(coef), float(self._w64[rows].sum()))

    def sample_hessian_rows(self, n_rows, min_per_class, random_state):
        """Draw the stratified row subsample for Hessian-vector products.

        See :func:`sk_softmax._subsample.stratified_rows`: about `n_rows` rows,
        at least `min_per_class` of each class (or all of its rows), each
        reweighted by the inverse of its class's sampling rate.
        """
        rng = check_random_state(random_state)
        self.subsample_hessian(
            *stratified_rows(self._y, n_rows, min_per_class=min_per_class, rng=rng)
        )

    def _raw_or(self, coef, raw):
        """``raw`` if given, else ``raw(coef)`` computed into a reused buffer."""
        if raw is not None:
            return raw
        return self.raw(coef, out=self._buffer("raw", self.raw_shape))

    def value(self, coef, raw=None):
        """Smooth objective: cross-entropy plus ``l2/2 ||W||^2``.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        raw : ndarray of shape `raw_shape`, default=None
            ``self.raw(coef)`` if already known (saves a matrix product).

        Returns
        -------
        value : float
        """
        loss, _ = self._cross_entropy(self._raw_or(coef, raw), coef)
        return loss + self.penalty.smooth_value(self.unpack(coef)[0])

    def value_gradient(self, coef, raw=None):
        """Fused smooth objective and its gradient.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        raw : ndarray of shape `raw_shape`, default=None
            ``self.raw(coef)`` if already known.

        Returns
        -------
        value : float
        gradient : ndarray of shape (n_dof,)
        """
        G = self._buffer("P", self.raw_shape)  # computed in place
        loss = self._logit_gradient(self._raw_or(coef, raw), coef, G)
        W = self.unpack(coef)[0]
        grad = self._pack(G, W, targets=self.reuse)
        return loss + self.penalty.smooth_value(W), grad

    def gradient_hessian_product(self, coef, raw=None):
        """Objective, gradient and a Hessian-vector product function at ``coef``.

        The probabilities are computed once and shared by the gradient and every
        product; no (n, K, K) Jacobian is ever formed. The returned function is
        valid until the next call of any method of this object.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        raw : ndarray of shape `raw_shape`, default=None
            ``self.raw(coef)`` if already known.

        Returns
        -------
        value : float
        gradient : ndarray of shape (n_dof,)
        hessp : callable
            ``hessp(v)`` returns the Hessian of the smooth objective times the
            flat direction ``v`` of shape (n_dof,).
        """
        raw = self._raw_or(coef, raw)
        G = self._buffer("work", self.raw_shape)
        loss = self._logit_gradient(raw, coef, G)
        W = self.unpack(coef)[0]
        value = loss + self.penalty.smooth_value(W)
        grad = self._pack(G, W, targets=self.reuse)
        if self._hessian_rows is None:
            X_h, weights = self.X, self.weights
            work = G
        else:
            rows, X_h, weights = self._hessian_rows
            work = self._buffer("work_rows", (self.n_free_classes, len(rows)))
        if self.binary:
            # Hessian weights w * p (1 - p).
            p = expit(raw[0] if X_h is self.X else raw[0, rows])
            h = p * (1 - p)
            h *= weights
        else:
            P = self._buffers["P"]
            P /= self._buffers["norm"]  # exp(Z - shift) -> probabilities
            if X_h is not self.X:
                P = P[:, rows]

        def hessp(v):
            dZ = self._linear(X_h, v, out=work)
            if self.binary:
                dZ *= h
            else:
                inner = np.einsum("kn,kn->n", P, dZ)
                dZ -= inner
                dZ *= P
                dZ *= weights
            return self._pack(dZ, self.unpack(np.asarray(v, self.dtype))[0], X=X_h)

        return value, grad, hessp
