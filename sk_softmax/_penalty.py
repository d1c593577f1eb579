"""The elastic-net penalty on the weight matrix: value, gradient, proximal step.

For weights ``W`` of shape (k, n_features) (the intercept is never penalised)::

    R(W) = alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio * ||W||_1)

It splits into a smooth part, ``l2 / 2 * ||W||_F^2`` with ``l2 = alpha * (1 -
l1_ratio)``, which the loss adds to its value and gradient, and a non-smooth part,
``l1 * ||W||_1`` with ``l1 = alpha * l1_ratio``, which proximal solvers handle
exactly through soft-thresholding. With ``l1_ratio = 0`` the penalty is plain L2
(ridge) and with ``l1_ratio = 1`` plain L1 (lasso).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ElasticNet:
    """Elastic-net penalty ``alpha * ((1 - l1_ratio)/2 ||W||^2 + l1_ratio ||W||_1)``.

    Parameters
    ----------
    alpha : float, default=0.0
        Overall strength, ``alpha >= 0``.
    l1_ratio : float, default=0.0
        Share of the L1 term, in ``[0, 1]``.
    """

    alpha: float = 0.0
    l1_ratio: float = 0.0

    @property
    def l2(self):
        """Strength of the smooth term ``l2 / 2 * ||W||^2``."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l1(self):
        """Strength of the non-smooth term ``l1 * ||W||_1``."""
        return self.alpha * self.l1_ratio

    def smooth_value(self, W):
        """Value of ``l2 / 2 * ||W||_F^2``."""
        if self.l2 == 0:
            return 0.0
        return 0.5 * self.l2 * float(np.vdot(W, W))

    def nonsmooth_value(self, W):
        """Value of ``l1 * ||W||_1``."""
        if self.l1 == 0:
            return 0.0
        return self.l1 * float(np.sum(np.abs(W), dtype=np.float64))

    def value(self, W):
        """Value of the whole penalty ``R(W)``."""
        return self.smooth_value(W) + self.nonsmooth_value(W)

    def prox(self, W, step):
        """Proximal operator of ``step * l1 * ||.||_1`` (soft-thresholding).

        Returns ``sign(W) * max(|W| - step * l1, 0)`` as a new array.
        """
        threshold = step * self.l1
        return np.sign(W) * np.maximum(np.abs(W) - threshold, 0)
