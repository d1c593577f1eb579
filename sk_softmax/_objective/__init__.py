"""The objective, split by job.

- :mod:`._ops`: the array operations, one class per kind of array library,
  chosen once when the objective is built;
- :mod:`._cross_entropy`: the pointwise softmax cross-entropy in logit space;
- :mod:`._linear`: the cross-entropy of a linear model over one array ``X``;
- :mod:`._penalized`: any data term plus the elastic-net penalty, added in
  one place; :class:`LinearSoftmaxLoss`, the whole objective on one array;
- :mod:`._sampling`: mini-batches and the Hessian row subsample.
"""

from sk_softmax._objective._linear import LinearCrossEntropy
from sk_softmax._objective._penalized import LinearSoftmaxLoss, PenalizedObjective

__all__ = ["LinearCrossEntropy", "LinearSoftmaxLoss", "PenalizedObjective"]
