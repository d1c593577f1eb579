"""Mini-batch optimisers (momentum SGD, Adam) and their learning-rate schedule.

An optimiser turns a mini-batch gradient ``g`` at ``x`` into the next iterate;
it holds its own state (velocity, moments) between calls, so training can stop
and resume (``partial_fit``) exactly. With a proximal operator for the L1 part
of the penalty, each step is a proximal step::

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

import numpy as np

_ADAPTIVE_FACTOR = 5.0
# 'adaptive' gives up once the rate has fallen below this fraction of its start.
_ADAPTIVE_FLOOR = 1e-6


class MomentumSGD:
    """Stochastic gradient descent with (optionally Nesterov) momentum.

    Parameters
    ----------
    momentum : float, default=0.9
        Momentum ``mu`` in ``[0, 1)``; 0 gives plain SGD.
    nesterov : bool, default=True
        Whether to use Nesterov's momentum.
    """

    def __init__(self, momentum=0.9, nesterov=True):
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = None

    def step(self, x, g, lr, prox=None):
        """Return the next iterate from ``x`` and the mini-batch gradient ``g``."""
        if self.velocity is None:
            self.velocity = np.zeros_like(x)
        v = self.velocity
        v *= self.momentum
        v -= lr * g
        if self.nesterov:
            x_new = x + self.momentum * v
            x_new -= lr * g
        else:
            x_new = x + v
        if prox is None:
            return x_new
        # In steady state the velocity carries lr * g / (1 - mu): the step the
        # threshold must match for the fixed points to be the L1 optimum's.
        return prox(x_new, lr / (1 - self.momentum))


class Adam:
    """Adam: steps scaled per coefficient by running moments of the gradient.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Added to the root of the second moment, for numerical stability.
    """

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m = self.s = None

    def step(self, x, g, lr, prox=None):
        """Return the next iterate from ``x`` and the mini-batch gradient ``g``."""
        if self.m is None:
            self.m, self.s = np.zeros_like(x), np.zeros_like(x)
        self.t += 1
        self.m *= self.beta_1
        self.m += (1 - self.beta_1) * g
        self.s *= self.beta_2
        self.s += (1 - self.beta_2) * (g * g)
        # eta = lr / (sqrt(s_hat) + eps), the step each coordinate takes along
        # the bias-corrected gradient estimate m_hat.
        eta = self.s / (1 - self.beta_2**self.t)
        np.sqrt(eta, out=eta)
        eta += self.epsilon
        np.divide(lr, eta, out=eta)
        x_new = x - eta * (self.m / (1 - self.beta_1**self.t))
        return x_new if prox is None else prox(x_new, eta)


class LearningRate:
    """The learning-rate schedule of the stochastic solvers.

    Parameters
    ----------
    schedule : {'constant', 'invscaling', 'adaptive'}
        How the rate evolves (see the module docstring).
    initial : float
        The starting rate ``lr0 > 0``.
    power_t : float, default=0.5
        Exponent of ``'invscaling'``.
    """

    def __init__(self, schedule, initial, power_t=0.5):
        self.schedule = schedule
        self.initial = float(initial)
        self.power_t = float(power_t)
        self.current = self.initial
        self.samples_seen = 0

    def rate(self):
        """Return the rate for the next update."""
        if self.schedule == "invscaling":
            return self.initial / (self.samples_seen + 1) ** self.power_t
        return self.current

    def advance(self, n_samples):
        """Record that an update has used ``n_samples`` samples."""
        self.samples_seen += int(n_samples)

    def reduce(self):
        """Divide an ``'adaptive'`` rate by 5; return False once it is exhausted.

        Exhausted means the rate fell below ``1e-6`` times its start, or the
        schedule is not ``'adaptive'``: there is nothing left to try.
        """
        if self.schedule != "adaptive":
            return False
        self.current /= _ADAPTIVE_FACTOR
        return self.current >= _ADAPTIVE_FLOOR * self.initial
