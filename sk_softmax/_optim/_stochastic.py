"""Mini-batch optimisers (momentum SGD, Adam) and their learning-rate schedule.

An optimiser is an ``(init, update)`` pair of pure functions over an immutable
state (a tuple of arrays and numbers): ``init(x)`` returns the state before the
first step, ``update(state, x, g, lr, prox)`` the next iterate and the new
state, leaving the old one untouched -- so training can stop and resume
(``partial_fit``) exactly, and a failed call loses nothing. With a proximal
operator for the L1 part of the penalty, each step is a proximal step::

    sgd   v <- mu v - lr g
          x <- prox_{eta h}(x + mu v - lr g)         Nesterov (Sutskever et al. 2013)
          x <- prox_{eta h}(x + v)                   classical momentum
          eta = lr / (1 - mu)
    adam  m <- b1 m + (1 - b1) g,   s <- b2 s + (1 - b2) g^2
          m_hat = m / (1 - b1^t),      s_hat = s / (1 - b2^t)
          eta = lr / (sqrt(s_hat) + eps)             per coefficient
          x <- prox_{eta h}(x - eta m_hat)           (Kingma & Ba 2015, Alg. 1)

The momentum step's threshold is ``eta = lr / (1 - mu)``, the length of its
steps once the velocity has built up: the velocity then carries
``-lr g / (1 - mu)``, so a coefficient stays at zero exactly when its gradient
is below the L1 strength, and a fixed point satisfies the optimality conditions
of the penalised objective. (A threshold of ``lr`` would let the accumulated
velocity push coefficients out of zero that the optimum keeps there.)
Adam's proximal step uses its per-coefficient step sizes ``eta``: the proximal
operator in the diagonal metric Adam scales the gradient by, which for the L1
norm is soft-thresholding at ``eta * l1``. Both produce exact zeros.

The learning rate follows scikit-learn's ``MLPClassifier`` and ``SGDClassifier``
conventions: ``'constant'``; ``'invscaling'``, ``lr = lr0 / (t + 1) ** power_t``
with ``t`` the number of samples seen; ``'adaptive'``, divided by 5 each time the
monitored loss stops improving.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

_ADAPTIVE_FACTOR = 5.0
# 'adaptive' gives up once the rate has fallen below this fraction of its start.
_ADAPTIVE_FLOOR = 1e-6


class Optimizer(NamedTuple):
    """A stochastic optimiser: ``init(x) -> state`` and ``update``.

    ``update(state, x, g, lr, prox=None) -> (x_new, state_new)``, with ``g``
    the mini-batch gradient at ``x``, ``lr`` the learning rate and ``prox``
    the proximal operator ``prox(x, step)`` of the non-smooth term (or None).
    """

    init: Callable
    update: Callable


def momentum_sgd(momentum=0.9, nesterov=True):
    """Stochastic gradient descent with (optionally Nesterov) momentum.

    Parameters
    ----------
    momentum : float, default=0.9
        Momentum ``mu`` in ``[0, 1)``; 0 gives plain SGD.
    nesterov : bool, default=True
        Whether to use Nesterov's momentum.

    Returns
    -------
    optimizer : Optimizer
        Its state is ``(velocity,)``.
    """
    mu = float(momentum)

    def init(x):
        return (np.zeros_like(x),)

    def update(state, x, g, lr, prox=None):
        v = state[0] * mu
        v -= lr * g
        if nesterov:
            x_new = x + mu * v
            x_new -= lr * g
        else:
            x_new = x + v
        if prox is not None:
            # In steady state the velocity carries lr * g / (1 - mu): the step
            # the threshold must match for the fixed points to be the optimum's.
            x_new = prox(x_new, lr / (1 - mu))
        return x_new, (v,)

    return Optimizer(init, update)


def adam(beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Adam: steps scaled per coefficient by running moments of the gradient.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Added to the root of the second moment, for numerical stability.

    Returns
    -------
    optimizer : Optimizer
        Its state is ``(t, m, s)``: the step count and the two moments.
    """
    beta_1, beta_2, epsilon = float(beta_1), float(beta_2), float(epsilon)

    def init(x):
        return (0, np.zeros_like(x), np.zeros_like(x))

    def update(state, x, g, lr, prox=None):
        t, m, s = state
        t += 1
        m = m * beta_1
        m += (1 - beta_1) * g
        s = s * beta_2
        s += (1 - beta_2) * (g * g)
        # eta = lr / (sqrt(s_hat) + eps), the step each coordinate takes along
        # the bias-corrected gradient estimate m_hat.
        eta = s / (1 - beta_2**t)
        np.sqrt(eta, out=eta)
        eta += epsilon
        np.divide(lr, eta, out=eta)
        x_new = x - eta * (m / (1 - beta_1**t))
        return (x_new if prox is None else prox(x_new, eta)), (t, m, s)

    return Optimizer(init, update)


class LearningRate(NamedTuple):
    """The learning-rate schedule of the stochastic solvers, and where it stands.

    Immutable: :meth:`advance` and :meth:`reduce` return new records.

    Attributes
    ----------
    schedule : {'constant', 'invscaling', 'adaptive'}
        How the rate evolves (see the module docstring).
    initial : float
        The starting rate ``lr0 > 0``.
    power_t : float
        Exponent of ``'invscaling'``.
    current : float
        The rate of ``'constant'`` and ``'adaptive'`` now.
    samples_seen : int
        Number of samples the updates have used so far.
    """

    schedule: str
    initial: float
    power_t: float = 0.5
    current: float = math.nan
    samples_seen: int = 0

    @classmethod
    def start(cls, schedule, initial, power_t=0.5):
        """Return the schedule at its start."""
        return cls(schedule, float(initial), float(power_t), float(initial), 0)

    def rate(self):
        """Return the rate for the next update."""
        if self.schedule == "invscaling":
            return self.initial / (self.samples_seen + 1) ** self.power_t
        return self.current

    def advance(self, n_samples):
        """Return the schedule after an update that used ``n_samples`` samples."""
        return self._replace(samples_seen=self.samples_seen + int(n_samples))

    def reduce(self):
        """Divide an ``'adaptive'`` rate by 5; return ``(schedule, not exhausted)``.

        Exhausted means the rate fell below ``1e-6`` times its start, or the
        schedule is not ``'adaptive'``: there is nothing left to try.
        """
        if self.schedule != "adaptive":
            return self, False
        reduced = self._replace(current=self.current / _ADAPTIVE_FACTOR)
        return reduced, reduced.current >= _ADAPTIVE_FLOOR * self.initial
