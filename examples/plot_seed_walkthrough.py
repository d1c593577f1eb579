"""
ArgMax, SoftMax and the softmax derivative
==========================================

The ideas sk_softmax started from, with the package's functions:
SoftMax turns logits into probabilities, ArgMax picks the largest, a temperature
moves SoftMax between the uniform distribution and ArgMax, and the softmax
Jacobian ``diag(p) - p p^T`` is what makes SoftMax trainable.
"""

# %%
# SoftMax and ArgMax of three logits
# -----------------------------------
# The worked example the package started from: three logits, their SoftMax
# probabilities and the ArgMax, as an index and as a one-hot vector.
import matplotlib.pyplot as plt
import numpy as np

from sk_softmax import argmax, hardmax, softmax, softmax_jacobian, softmax_jvp

logits = np.array([1.43, -0.4, 0.23])
p = softmax(logits)
print("SoftMax:", np.array2string(p, precision=8))
print("ArgMax index:", int(argmax(logits)), "one-hot:", hardmax(logits).astype(int))

# %%
# SoftMax keeps every class in play: each gets a share of the probability,
# ordered as the logits are. ArgMax keeps only the winner. Both pick class 0,
# but only SoftMax says how sure it is, and only SoftMax has a useful gradient.
classes = np.arange(len(logits))
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), layout="constrained")
panels = [
    ("Logits z", logits, "tab:gray"),
    ("SoftMax(z)", p, "tab:blue"),
    ("ArgMax(z), one-hot", hardmax(logits), "tab:orange"),
]
for ax, (title, values, color) in zip(axes, panels, strict=True):
    bars = ax.bar(classes, values, color=color)
    ax.bar_label(bars, fmt="%.3g")
    ax.set_title(title)
    ax.set_xticks(classes, [f"class {k}" for k in classes])
    ax.axhline(0, color="k", lw=0.8)
    ax.margins(y=0.15)
for ax in axes[1:]:
    ax.set_ylim(0, 1.15)
axes[1].set_ylabel("probability")

# %%
# Temperature: SoftMax tends to the one-hot ArgMax
# ------------------------------------------------
# Dividing the logits by a temperature ``T`` sharpens SoftMax as ``T -> 0``
# (towards ArgMax) and flattens it as ``T -> inf`` (towards ``1/K`` each).
for temperature in [10.0, 1.0, 0.1, 0.01]:
    print(f"T={temperature:<5g}", np.round(softmax(logits / temperature), 4))

# %%
# The same, continuously: the probability of each class against the
# temperature, on a log scale.
temperatures = np.logspace(-2, 2, 200)
probabilities = softmax(logits / temperatures[:, None], axis=1)

fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
for k in classes:
    ax.plot(temperatures, probabilities[:, k], label=f"class {k} (z={logits[k]:g})")
ax.axhline(1 / len(logits), color="k", ls=":", lw=1, label="uniform, 1/K")
ax.axvline(1.0, color="gray", ls="--", lw=1)
ax.set_xscale("log")
ax.set_xlabel("temperature T")
ax.set_ylabel("SoftMax(z / T)")
ax.set_title("Low T: ArgMax; high T: uniform")
ax.legend()

# %%
# The softmax derivative
# ----------------------
# ``dp_i/dz_i = p_i (1 - p_i)`` on the diagonal and ``-p_i p_j`` elsewhere.
J = softmax_jacobian(p)
print(np.round(J, 4))
print("symmetric:", np.allclose(J, J.T), " rows sum to 0:", np.allclose(J.sum(1), 0))

fig, ax = plt.subplots(figsize=(4, 3.4), layout="constrained")
limit = np.abs(J).max()
image = ax.imshow(J, cmap="RdBu_r", vmin=-limit, vmax=limit)
for (i, j), value in np.ndenumerate(J):
    color = "w" if abs(value) > 0.6 * limit else "k"
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color=color)
ax.set_xticks(classes, [f"z{k}" for k in classes])
ax.set_yticks(classes, [f"p{k}" for k in classes])
ax.set_title("Jacobian dp/dz = diag(p) - p pᵀ")
fig.colorbar(image, ax=ax)

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

plt.show()
