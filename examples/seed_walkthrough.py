"""
ArgMax, SoftMax and the softmax derivative
==========================================

The ideas of the notebook sk_softmax started from, with the package's functions:
SoftMax turns logits into probabilities, ArgMax picks the largest, and the softmax
Jacobian ``diag(p) - p p^T`` is what makes SoftMax trainable.
"""

# %%
# SoftMax and ArgMax of the seed's logits
# ---------------------------------------
import numpy as np

from sk_softmax import argmax, hardmax, softmax, softmax_jacobian, softmax_jvp

logits = np.array([1.43, -0.4, 0.23])
p = softmax(logits)
print("SoftMax:", np.array2string(p, precision=8))
print("ArgMax index:", int(argmax(logits)), "one-hot:", hardmax(logits).astype(int))

# %%
# Temperature: SoftMax tends to the one-hot ArgMax
# ------------------------------------------------
# Dividing the logits by a temperature ``T`` sharpens SoftMax as ``T -> 0``.
for temperature in [10.0, 1.0, 0.1, 0.01]:
    print(f"T={temperature:<5g}", np.round(softmax(logits / temperature), 4))

# %%
# The softmax derivative
# ----------------------
# ``dp_i/dz_i = p_i (1 - p_i)`` on the diagonal and ``-p_i p_j`` elsewhere.
J = softmax_jacobian(p)
print(np.round(J, 4))
print("symmetric:", np.allclose(J, J.T), " rows sum to 0:", np.allclose(J.sum(1), 0))

# %%
# Applying the Jacobian without forming it
# ----------------------------------------
# Training only ever needs ``J @ v = p * (v - <p, v>)``: O(K) instead of O(K^2).
v = np.array([1.0, 0.0, -1.0])
print("J @ v          :", J @ v)
print("softmax_jvp(p, v):", softmax_jvp(p, v))

# %%
# From the Jacobian to the gradient of the cross-entropy
# ------------------------------------------------------
# For the loss ``-log p_y``, the chain rule through ``J`` gives ``p - onehot(y)``.
y = 2
grad_wrt_p = np.zeros(3)
grad_wrt_p[y] = -1.0 / p[y]
print("J.T @ dL/dp:", J.T @ grad_wrt_p)
print("p - onehot :", p - np.eye(3)[y])
