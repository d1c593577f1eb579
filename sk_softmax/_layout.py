"""The coefficients of a softmax model: their packing, penalty and start point.

A model with ``K`` classes has ``k = K`` rows of weights (``k = 1`` for two
classes, whose first class is the reference) over ``d`` features, and an
intercept per row when ``fit_intercept``. Solvers see the flat vector
``[W.ravel(), b]`` of size ``n_dof = k * (d + fit_intercept)``. Every objective
over such coefficients -- on one array, or on the chunks of a distributed one --
shares this layout, the elastic-net penalty's proximal step and the
intercept-only start.
"""

import numpy as np

from sk_softmax._penalty import ElasticNet


class CoefficientLayout:
    """Packing, penalty and start point of a softmax model's coefficients.

    Subclasses set ``_class_totals`` (the normalised weight of each class) and
    provide ``data_curvature()``.

    Parameters
    ----------
    n_features : int
        Number of features ``d``.
    n_classes : int
        Number of classes ``K >= 2``.
    fit_intercept : bool
        Whether the model has an intercept.
    penalty : ElasticNet or None
        The penalty; ``None`` means none.
    dtype : dtype
        Floating dtype of the coefficients.
    """

    def __init__(self, n_features, n_classes, fit_intercept, penalty, dtype):
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.binary = self.n_classes == 2
        self.fit_intercept = bool(fit_intercept)
        self.penalty = ElasticNet() if penalty is None else penalty
        self.dtype = np.dtype(dtype)
        # The array namespace of the coefficients the methods see: numpy, or
        # an array API namespace on an accelerator (set by subclasses).
        self.xp = np
        k = 1 if self.binary else self.n_classes
        self.n_free_classes = k
        self._w_shape = (k, self.n_features)
        self.n_dof = k * (self.n_features + int(self.fit_intercept))

    def unpack(self, coef):
        """Split a flat ``coef`` into views ``(W, b)``, ``b`` None if no intercept."""
        size = self._w_shape[0] * self._w_shape[1]
        W = self.xp.reshape(coef[:size], self._w_shape)
        return W, (coef[size:] if self.fit_intercept else None)

    def pack(self, W, b=None):
        """Flat coefficients from ``W`` (k, d) and ``b`` (k,) (zeros if None)."""
        coef = np.zeros(self.n_dof, dtype=self.dtype)
        W_view, b_view = self.unpack(coef)
        W_view[...] = W
        if b_view is not None and b is not None:
            b_view[...] = b
        return coef

    def intercept_only_coef(self):
        """Minimiser of the objective over the intercept alone, with ``W = 0``.

        With zero weights the probabilities are ``softmax(b)`` for every sample,
        and the weighted cross-entropy is smallest at ``softmax(b) = pi``, the
        weighted class frequencies: ``b = log(pi)`` up to a constant (centred
        here), or ``log(pi_1 / pi_0)`` for two classes. Classes without weight
        get the log of a tiny frequency instead of ``-inf``. Without an
        intercept this is simply zero.
        """
        coef = np.zeros(self.n_dof, dtype=self.dtype)
        b = self.unpack(coef)[1]
        if b is not None:
            pi = np.maximum(self._class_totals, 1e-12)
            log_pi = np.log(pi / pi.sum())
            b[...] = log_pi[1:] - log_pi[0] if self.binary else log_pi - log_pi.mean()
        return coef

    def initial_step(self):
        """Reciprocal of an upper bound on the smooth part's Lipschitz constant.

        The bound is the data's (:meth:`data_curvature`, which a subclass
        provides) plus the penalty's ``l2``.
        """
        bound = self.data_curvature() + self.penalty.l2
        return 1.0 / bound if bound > 0 else 1.0

    def prox(self, coef, step):
        """Proximal step of the penalty's L1 part on the weights (not the intercept).

        ``step`` is a float, or an array of shape (n_dof,) of per-coefficient
        steps (a diagonal metric, as in Adam).
        """
        out = np.array(coef, copy=True)
        W = self.unpack(out)[0]
        if np.ndim(step):
            step = self.unpack(np.asarray(step))[0]
        W[...] = self.penalty.prox(W, step)
        return out

    def nonsmooth_value(self, coef):
        """Value of the penalty's L1 part, ``l1 * ||W||_1``."""
        return self.penalty.nonsmooth_value(self.unpack(coef)[0])
