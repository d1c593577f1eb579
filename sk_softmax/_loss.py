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
from sk_softmax.utils._sklearn_compat import (
    _expit,
    _is_numpy_namespace,
    get_namespace_and_device,
    move_to,
)

# Logits bounded by this in absolute value need no shift before ``exp``: the
# exponentials of K of them neither overflow nor underflow.
_SAFE_EXP = {np.float64: 600.0, np.float32: 40.0}


def _inplace(xp, name, *args, out=None, **kwargs):
    """Return ``xp.<name>(*args)``, written into `out` for numpy.

    The one place where the numpy path and an array API namespace differ in
    how they compute: numpy reuses buffers (``out=``), which the array API
    standard does not have. The maths is the same either way.
    """
    if out is not None and xp is np:
        return getattr(np, name)(*args, out=out, **kwargs)
    return getattr(xp, name)(*args, **kwargs)


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
        xp, is_array_api, device = (
            (np, False, None) if sp.issparse(X) else get_namespace_and_device(X)
        )
        xp = xp if is_array_api and not _is_numpy_namespace(xp) else np
        dtype = X.dtype if xp is np else _numpy_dtype(X.dtype, xp)
        super().__init__(n_features, n_classes, fit_intercept, penalty, dtype)
        self.xp, self.device = xp, device
        self.reuse = bool(reuse)
        self.X = X
        self.n_samples = n_samples
        if sample_weight is None:
            weights = np.full(n_samples, 1.0 / n_samples)
        else:
            sample_weight = move_to(sample_weight, xp=np, device="cpu")
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            weights = sample_weight / sample_weight.sum()
        self._w64 = weights  # on the host, for reductions there
        self._buffers = {}
        self._hessian_rows = None
        self.raw_shape = (self.n_free_classes, n_samples)
        if xp is np:
            self.weights = weights.astype(self.dtype)
            y = np.asarray(y, dtype=np.intp)
            self._class_totals = np.bincount(
                y, weights=weights, minlength=self.n_classes
            )
        else:
            self.weights = xp.asarray(weights, dtype=X.dtype, device=device)
            y = xp.asarray(move_to(y, xp=xp, device=device), dtype=xp.int64)
            classes = xp.arange(self.n_classes, device=device)
            # diag(w) Y, class-major: the one-hot labels weighted, on the device.
            self._weighted_targets = (
                xp.astype(y[None, :] == classes[:, None], X.dtype) * self.weights
            )
            totals = xp.sum(self._weighted_targets, axis=1)
            self._class_totals = np.asarray(
                move_to(totals, xp=np, device="cpu"), dtype=np.float64
            )
        self._y = y
        if self.binary:
            self._y1 = (
                xp.astype(y == 1, X.dtype)
                if xp is not np
                else ((y == 1).astype(self.dtype))
            )
        else:
            # Position of Z[y_i, i] in the raveled class-major (K, n) logits.
            arange = (
                xp.arange(n_samples)
                if xp is np
                else (xp.arange(n_samples, device=device))
            )
            self._flat_y = y * n_samples + arange

    @cached_property
    def _row_sq(self):
        """Squared norms of the rows of ``X``."""
        if sp.issparse(self.X):
            return np.asarray(self.X.multiply(self.X).sum(axis=1)).ravel()
        if self.xp is not np:
            return self.xp.vecdot(self.X, self.X)
        return np.einsum("ij,ij->i", self.X, self.X)

    @cached_property
    def _max_row_norm(self):
        if not self.n_samples:
            return 0.0
        return float(self.xp.sqrt(self.xp.max(self._row_sq)))

    @cached_property
    def _targets(self):
        """The gradient's constant part ``diag(w) Y``, reduced: ``(Y^T w X, Y^T w)``.

        Per-class weighted sums of ``X`` (k, d) and of ``w`` (k,), for the free
        classes; ``X``'s in the data's dtype (a float64 sparse factor would
        upcast a copy of ``X``).
        """
        n_samples = self.n_samples
        k = self.n_free_classes
        if self.xp is not np:
            xp = self.xp
            target_X = (self._weighted_targets @ self.X)[self.n_classes - k :, :]
            totals = self._class_totals[self.n_classes - k :]
            return target_X, xp.asarray(totals, dtype=self.X.dtype, device=self.device)
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
        """Return a work array, allocated on first use and reused afterwards.

        None for an array API namespace: its operations return new arrays.
        """
        if self.xp is not np:
            return None
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
        return 0.5 * (self._weighted_sum(self._row_sq) + self.fit_intercept)

    def _weighted_sum(self, terms):
        """``sum_i w_i terms_i`` as a float (in float64 on the numpy path)."""
        if self.xp is np:
            return float(self._w64 @ terms)
        return float(self.xp.sum(self.weights * terms))

    def _take_targets(self, a):
        """Return the entries ``a[y_i, i]`` of class-major logits ``a`` (K, n)."""
        if self.xp is np:
            return np.take(a, self._flat_y)
        return self.xp.take(self.xp.reshape(a, (-1,)), self._flat_y)

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
        if out is None and self.xp is np:
            out = np.empty(self.raw_shape, dtype=self.dtype)
        return self._linear(self.X, coef, out)

    def _coef(self, coef):
        """`coef` as an array of this object's namespace and dtype."""
        return np.asarray(coef, dtype=self.dtype) if self.xp is np else coef

    def _linear(self, X, coef, out):
        """Write ``(X @ W.T + b).T`` into ``out`` (k, len(X)); return it."""
        W, b = self.unpack(self._coef(coef))
        if sp.issparse(X):
            out[...] = (X @ W.T).T
        else:
            out = _inplace(self.xp, "matmul", W, X.T, out=out)
        if b is not None:
            out = _inplace(self.xp, "add", out, b[:, None], out=out)
        return out

    def _logit_bound(self, coef):
        """Upper bound on ``|Z|``: ``max_k ||W_k|| max_i ||x_i|| + max |b|``."""
        xp = self.xp
        W, b = self.unpack(coef)
        bound = float(xp.sqrt(xp.max(xp.sum(W * W, axis=1))))
        bound *= self._max_row_norm
        return bound + (float(xp.max(xp.abs(b))) if b is not None else 0.0)

    def _cross_entropy(self, raw, coef):
        """Weighted cross-entropy; leaves ``exp(Z - shift)`` in the buffer 'P'.

        The shift is the per-sample maximum logit, except when a bound on
        ``|Z|`` from the coefficients shows that no exponential can overflow or
        underflow: then it is 0, which saves two passes over the logits.
        Returns the loss and, for ``K >= 3``, the per-sample normaliser
        ``sum_k exp(Z_k - shift)``.
        """
        xp = self.xp
        if self.binary:
            z = raw[0, :]
            if xp is np:
                terms = np.logaddexp(0, z)
                terms -= self._y1 * z
            else:
                terms = xp.logaddexp(xp.zeros_like(z), z) - self._y1 * z
            return self._weighted_sum(terms), None
        P = self._buffer("P", self.raw_shape)
        norm = self._buffer("norm", self.raw_shape[1:])
        if self.reuse and self._logit_bound(coef) <= _SAFE_EXP[self.dtype.type]:
            z_y = self._take_targets(raw)
            P = _inplace(xp, "exp", raw, out=P)
        else:
            m = self._buffer("max", self.raw_shape[1:])
            m = _inplace(xp, "max", raw, axis=0, out=m)
            P = _inplace(xp, "subtract", raw, m, out=P)
            z_y = self._take_targets(P)
            P = _inplace(xp, "exp", P, out=P)
        norm = _inplace(xp, "sum", P, axis=0, out=norm)
        terms = xp.log(norm) - z_y
        self._P, self._norm = P, norm
        return self._weighted_sum(terms), norm

    def _logit_gradient(self, raw, coef, out):
        """Loss and ``diag(w) P`` (class-major, free classes) in ``out``.

        The gradient's other part, ``-diag(w) Y``, is constant. With `reuse`,
        :meth:`_pack` subtracts its products with ``X`` and ``1``, precomputed
        once; otherwise it is subtracted from ``out`` here, giving
        ``diag(w) (P - Y)``.
        """
        xp = self.xp
        loss, norm = self._cross_entropy(raw, coef)
        if self.binary:
            if xp is np:
                expit(raw[0, :], out=out[0])
                out *= self.weights
                if not self.reuse:
                    out[0] -= self._y1 * self.weights
            else:
                out = xp.reshape(_expit(raw[0, :], xp=xp) * self.weights, (1, -1))
        else:
            scale = _inplace(
                xp, "divide", self.weights, norm, out=self._buffer("scale", norm.shape)
            )
            out = _inplace(xp, "multiply", self._P, scale, out=out)
            if not self.reuse:  # mini-batches: numpy only
                out.reshape(-1)[self._flat_y] -= self.weights
        return loss, out

    def _pack(self, G, W, targets=False, X=None):
        """Flat ``[G @ X + l2 W, sum(G)]`` from class-major ``G`` (k, n).

        With ``targets``, ``G`` holds ``diag(w) P`` and the constant
        ``diag(w) Y`` part is subtracted: the gradient. ``X`` defaults to the
        training data.
        """
        X = self.X if X is None else X
        if self.xp is not np:
            return self._pack_array_api(G, W, targets, X)
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

    def _pack_array_api(self, G, W, targets, X):
        """:meth:`_pack` with array API operations (no views to write into)."""
        xp = self.xp
        gW = G @ X
        if targets:
            gW = gW - self._targets[0]
        if self.penalty.l2:
            gW = gW + self.penalty.l2 * W
        parts = [xp.reshape(gW, (-1,))]
        if self.fit_intercept:
            gb = xp.sum(G, axis=1)
            parts.append(gb - self._targets[1] if targets else gb)
        return xp.concat(parts)

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
        share : float
            The rows' share of this object's total weight.
        """
        weights = self._w64[rows]
        share = float(weights.sum())
        if not share > 0:
            return None, share
        batch = LinearSoftmaxLoss(
            self.X[rows],
            self._y[rows],
            self.n_classes,
            sample_weight=weights,
            fit_intercept=self.fit_intercept,
            penalty=self.penalty,
            reuse=False,
        )
        return batch, share

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
        batch, share = self.subset(rows)
        if batch is None:
            return None
        return (*batch.value_gradient(coef), share)

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
        loss, G = self._logit_gradient(self._raw_or(coef, raw), coef, G)
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
        xp = self.xp
        raw = self._raw_or(coef, raw)
        G = self._buffer("work", self.raw_shape)
        loss, G = self._logit_gradient(raw, coef, G)
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
            p = _expit(raw[0, :] if X_h is self.X else raw[0, rows], xp=xp)
            h = p * (1 - p) * weights
        else:
            # exp(Z - shift) -> probabilities
            P = _inplace(
                xp, "divide", self._P, self._norm, out=self._P if xp is np else None
            )
            if X_h is not self.X:
                P = P[:, rows]

        def hessp(v):
            dZ = self._linear(X_h, v, out=work)
            if self.binary:
                dZ = _inplace(xp, "multiply", dZ, h, out=dZ if xp is np else None)
            elif xp is np:
                inner = np.einsum("kn,kn->n", P, dZ)
                dZ -= inner
                dZ *= P
                dZ *= weights
            else:
                dZ = (dZ - xp.sum(P * dZ, axis=0)) * P * weights
            return self._pack(dZ, self.unpack(self._coef(v))[0], X=X_h)

        return value, grad, hessp


def _numpy_dtype(dtype, xp):
    """Return the numpy floating dtype matching an array API floating `dtype`."""
    return np.dtype(np.float32 if dtype == xp.float32 else np.float64)
