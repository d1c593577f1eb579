"""Fitting on array API inputs: the data stay in their namespace and on their device.

With ``sklearn.set_config(array_api_dispatch=True)``, ``X`` from torch, CuPy or
array-api-strict is fitted where it lives: the single
:class:`~sk_softmax._loss.LinearSoftmaxLoss` computes its logits, values,
gradients and Hessian-vector products with the input's namespace on the input's
device. :class:`DeviceObjective` hands the solvers, which run on the host, the
coefficients' side of it only: coefficients go to the device, values,
gradients and products (all of the size of the coefficients) come back. It has
the interface of a chunk of :class:`~sk_softmax._dask.DistributedLoss`, which
adds the penalty and carries the coefficients instead of the logits, so every
full-batch solver runs unchanged.
"""

import numpy as np

from sk_softmax.utils._sklearn_compat import (
    _is_numpy_namespace,
    get_namespace,
    move_to,
)


def uses_array_api(X):
    """Return whether `X` is an array of a non-numpy namespace, dispatch on."""
    xp, is_array_api = get_namespace(X)
    return is_array_api and not _is_numpy_namespace(xp)


def to_host(a, dtype=None):
    """Return `a` as a numpy array on the host."""
    a = np.asarray(move_to(a, xp=np, device="cpu"))
    return a if dtype is None else a.astype(dtype, copy=False)


class DeviceObjective:
    """A device-resident loss seen from the host, as one chunk of an objective.

    Parameters
    ----------
    loss : LinearSoftmaxLoss
        The loss on the device's data, without penalty.
    """

    def __init__(self, loss):
        self.loss = loss
        self._hessp = None

    def _to_device(self, coef):
        xp = self.loss.xp
        return xp.asarray(
            np.asarray(coef, dtype=self.loss.dtype),
            dtype=self.loss.X.dtype,
            device=self.loss.device,
        )

    def _to_host(self, a):
        return to_host(a, self.loss.dtype)

    def data_curvature(self):
        """Return the loss's curvature bound."""
        return self.loss.data_curvature()

    def value(self, coef):
        """Return the loss at host coefficients `coef`."""
        return self.loss.value(self._to_device(coef))

    def value_gradient(self, coef):
        """Return the loss and its gradient (on the host) at `coef`."""
        value, grad = self.loss.value_gradient(self._to_device(coef))
        return value, self._to_host(grad)

    def gradient_hessian(self, coef):
        """Return value and gradient; keep the Hessian at `coef` for :meth:`hessp`."""
        value, grad, self._hessp = self.loss.gradient_hessian_product(
            self._to_device(coef)
        )
        return value, self._to_host(grad)

    def hessp(self, v):
        """Return the product of the kept Hessian with the host vector `v`."""
        return self._to_host(self._hessp(self._to_device(v)))

    def sample_hessian_rows(self, rate, min_rate, seed):
        """Keep the full Hessian: on an accelerator a full product is cheap."""
