"""The coefficients of a softmax model: their packing and intercept-only start.

A model with ``K`` classes has ``k = K`` rows of weights (``k = 1`` for two
classes, whose first class is the reference) over ``d`` features, and an
intercept per row when ``fit_intercept``. Solvers see the flat vector
``[W.ravel(), b]`` of size ``n_dof = k * (d + fit_intercept)``: ``W`` is a
contiguous block, which the matrix products need to run at full speed. Every
objective -- on one array, on a device, or on the chunks of a distributed
array -- and the estimator share this layout.
"""

import numpy as np


class CoefficientLayout:
    """Packing of a softmax model's coefficients into one flat vector.

    Parameters
    ----------
    n_features : int
        Number of features ``d``.
    n_classes : int
        Number of classes ``K >= 2``.
    fit_intercept : bool
        Whether the model has an intercept.
    dtype : dtype
        Floating dtype of the coefficients (numpy's, on the host).
    xp : namespace, default=numpy
        Array namespace of the flat vectors :meth:`unpack` receives.

    Attributes
    ----------
    n_free_classes : int
        ``k``, the number of coefficient rows.
    n_dof : int
        Size of the flat vector.
    binary : bool
        Whether there are two classes.
    """

    def __init__(self, n_features, n_classes, fit_intercept, dtype, xp=np):
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.binary = self.n_classes == 2
        self.fit_intercept = bool(fit_intercept)
        self.dtype = np.dtype(dtype)
        self.xp = xp
        k = 1 if self.binary else self.n_classes
        self.n_free_classes = k
        self.w_shape = (k, self.n_features)
        self.n_dof = k * (self.n_features + int(self.fit_intercept))

    def unpack(self, coef):
        """Split a flat ``coef`` into views ``(W, b)``, ``b`` None if no intercept."""
        return self._split(coef, self.xp.reshape)

    def _split(self, coef, reshape):
        size = self.w_shape[0] * self.w_shape[1]
        W = reshape(coef[:size], self.w_shape)
        return W, (coef[size:] if self.fit_intercept else None)

    def pack(self, W, b=None):
        """Flat numpy coefficients from ``W`` (k, d) and ``b`` (k,) (zeros if None)."""
        coef = np.zeros(self.n_dof, dtype=self.dtype)
        W_view, b_view = self._split(coef, np.reshape)
        W_view[...] = W
        if b_view is not None and b is not None:
            b_view[...] = b
        return coef

    def intercept_only_coef(self, class_totals):
        """Minimiser of the objective over the intercept alone, with ``W = 0``.

        With zero weights the probabilities are ``softmax(b)`` for every sample,
        and the weighted cross-entropy is smallest at ``softmax(b) = pi``, the
        weighted class frequencies: ``b = log(pi)`` up to a constant (centred
        here), or ``log(pi_1 / pi_0)`` for two classes. Classes without weight
        get the log of a tiny frequency instead of ``-inf``. Without an
        intercept this is simply zero.

        Parameters
        ----------
        class_totals : ndarray of shape (n_classes,)
            Share of the total weight of each class (class weights applied),
            summing to one.

        Returns
        -------
        coef : ndarray of shape (n_dof,)
        """
        coef = np.zeros(self.n_dof, dtype=self.dtype)
        b = self._split(coef, np.reshape)[1]
        if b is not None:
            pi = np.maximum(class_totals, 1e-12)
            log_pi = np.log(pi / pi.sum())
            b[...] = log_pi[1:] - log_pi[0] if self.binary else log_pi - log_pi.mean()
        return coef
