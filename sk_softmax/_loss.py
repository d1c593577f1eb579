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

The solvers see a flat vector ``coef`` of size ``k * (d + fit_intercept)``
(``k = K`` or 1), the C-order ravel of a (k, d + fit_intercept) matrix whose last
column is the intercept when ``fit_intercept`` is true.

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
class 1 of ``G`` and ``dP`` kept.
"""

import numpy as np
import scipy.sparse as sp

from sk_softmax._penalty import ElasticNet


def _matmul_t(X, A):
    """Compute ``A.T @ X`` for dense or sparse ``X`` as a dense array."""
    if sp.issparse(X):
        return np.asarray((X.T @ A).T)
    return A.T @ X


class LinearSoftmaxLoss:
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

    Attributes
    ----------
    n_dof : int
        Size of the flat coefficient vector.
    coef_shape : tuple of int
        ``(k, n_features + fit_intercept)``, the shape of the unravelled vector.
    """

    def __init__(
        self,
        X,
        y,
        n_classes,
        sample_weight=None,
        fit_intercept=True,
        penalty=None,
    ):
        n_samples, n_features = X.shape
        self.X = X
        self.dtype = X.dtype
        self.y = np.asarray(y, dtype=np.intp)
        self.n_classes = int(n_classes)
        self.binary = self.n_classes == 2
        self.fit_intercept = bool(fit_intercept)
        self.penalty = ElasticNet() if penalty is None else penalty
        if sample_weight is None:
            weights = np.full(n_samples, 1.0 / n_samples)
        else:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            weights = sample_weight / sample_weight.sum()
        self.weights = weights.astype(self.dtype)
        self._weights64 = weights
        k = 1 if self.binary else self.n_classes
        self.coef_shape = (k, n_features + int(self.fit_intercept))
        self.n_dof = k * self.coef_shape[1]
        self._rows = np.arange(n_samples)
        self._proba = np.empty((n_samples, self.n_classes), dtype=self.dtype)

    # ------------------------------------------------------------------ packing
    def unpack(self, coef):
        """Split a flat ``coef`` into views ``(W, b)``, ``b`` None if no intercept."""
        C = coef.reshape(self.coef_shape)
        if self.fit_intercept:
            return C[:, :-1], C[:, -1]
        return C[:, :], None

    def initial_step(self):
        """Reciprocal of an upper bound on the smooth part's Lipschitz constant.

        The softmax Jacobian's eigenvalues are at most 1/2, so the Hessian is
        bounded by ``1/2 * sum_i w_i (||x_i||^2 + fit_intercept) + l2``.
        """
        X = self.X
        if sp.issparse(X):
            sq_norms = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        else:
            sq_norms = np.einsum("ij,ij->i", X, X)
        bound = 0.5 * (float(self._weights64 @ sq_norms) + self.fit_intercept)
        return 1.0 / (bound + self.penalty.l2) if bound + self.penalty.l2 > 0 else 1.0

    def prox(self, coef, step):
        """Proximal step of the penalty's L1 part on the weights (not the intercept)."""
        out = np.array(coef, copy=True)
        W = self.unpack(out)[0]
        W[...] = self.penalty.prox(W, step)
        return out

    def nonsmooth_value(self, coef):
        """Value of the penalty's L1 part, ``l1 * ||W||_1``."""
        return self.penalty.nonsmooth_value(self.unpack(coef)[0])

    # ------------------------------------------------------------------- maths
    def raw(self, coef):
        """Free logits ``X @ W.T + b`` of shape (n_samples, k), linear in ``coef``."""
        W, b = self.unpack(coef)
        z = self.X @ W.T
        z = np.asarray(z)
        if b is not None:
            z += b
        return z

    def _softmax_loss(self, z):
        """Cross-entropy and probabilities (in an internal buffer) from free logits."""
        P = self._proba
        if self.binary:
            P[:, 0] = 0
            P[:, 1] = z[:, 0]
        else:
            np.copyto(P, z)
        P -= P.max(axis=1, keepdims=True)
        z_y = P[self._rows, self.y]
        np.exp(P, out=P)
        norm = P.sum(axis=1)
        P /= norm[:, None]
        np.log(norm, out=norm)
        norm -= z_y
        loss = float(self._weights64 @ norm)
        return loss, P

    def _free(self, M):
        """Columns of an (n, K) matrix that belong to free coefficients."""
        return M[:, 1:] if self.binary else M

    def _pack_gradient(self, G, W):
        """Flat gradient from the per-sample logit gradient ``G`` (n, K)."""
        G = self._free(G)
        grad = np.empty(self.coef_shape, dtype=self.dtype)
        gW = grad[:, :-1] if self.fit_intercept else grad
        gW[...] = _matmul_t(self.X, G)
        if self.penalty.l2:
            gW += self.penalty.l2 * W
        if self.fit_intercept:
            grad[:, -1] = G.sum(axis=0)
        return grad.ravel()

    def value(self, coef, raw=None):
        """Smooth objective: cross-entropy plus ``l2/2 ||W||^2``.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        raw : ndarray of shape (n_samples, k), default=None
            ``self.raw(coef)`` if already known (saves a matrix product).

        Returns
        -------
        value : float
        """
        z = self.raw(coef) if raw is None else raw
        loss, _ = self._softmax_loss(z)
        return loss + self.penalty.smooth_value(self.unpack(coef)[0])

    def value_gradient(self, coef, raw=None):
        """Fused smooth objective and its gradient.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        raw : ndarray of shape (n_samples, k), default=None
            ``self.raw(coef)`` if already known.

        Returns
        -------
        value : float
        gradient : ndarray of shape (n_dof,)
        """
        z = self.raw(coef) if raw is None else raw
        loss, P = self._softmax_loss(z)
        W = self.unpack(coef)[0]
        P[self._rows, self.y] -= 1
        P *= self.weights[:, None]
        grad = self._pack_gradient(P, W)
        return loss + self.penalty.smooth_value(W), grad

    def gradient_hessian_product(self, coef, raw=None):
        """Gradient and a function computing Hessian-vector products at ``coef``.

        The probabilities are computed once and shared by the gradient and every
        product; no (n, K, K) Jacobian is ever formed.

        Parameters
        ----------
        coef : ndarray of shape (n_dof,)
            Packed coefficients.
        raw : ndarray of shape (n_samples, k), default=None
            ``self.raw(coef)`` if already known.

        Returns
        -------
        value : float
        gradient : ndarray of shape (n_dof,)
        hessp : callable
            ``hessp(v)`` returns the Hessian of the smooth objective times the
            flat direction ``v`` of shape (n_dof,).
        """
        z = self.raw(coef) if raw is None else raw
        loss, P = self._softmax_loss(z)
        P = P.copy()
        W = self.unpack(coef)[0]
        G = P.copy()
        G[self._rows, self.y] -= 1
        G *= self.weights[:, None]
        grad = self._pack_gradient(G, W)
        value = loss + self.penalty.smooth_value(W)

        def hessp(v):
            v = np.asarray(v, dtype=self.dtype)
            dz = self.raw(v)
            dZ = np.zeros_like(P)
            if self.binary:
                dZ[:, 1] = dz[:, 0]
            else:
                dZ[...] = dz
            dZ -= np.sum(P * dZ, axis=1, keepdims=True)
            dZ *= P
            dZ *= self.weights[:, None]
            V = self.unpack(v)[0]
            return self._pack_gradient(dZ, V)

        return value, grad, hessp
