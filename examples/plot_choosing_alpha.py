"""
Choosing alpha along regularisation paths
=========================================

``SoftmaxClassifierCV`` chooses the penalty ``alpha`` by cross-validation: each
split fits ``SoftmaxClassifier`` along a decreasing grid of penalties, every
fit warm-started from the previous one, and scores each penalty on its
held-out part. This example does it on scikit-learn's embedded digits data,
compares the best ``alpha`` with the one-standard-error choice, draws both
with ``RegularizationPathDisplay``, and follows an L1 path with
``softmax_path`` to see which pixels enter the model first.
"""

# %%
# Cross-validation along the paths
# --------------------------------
# 20 penalties on the default grid (from the data's ``alpha_max`` down to
# ``1e-3`` of it), 5 stratified splits, the held-out log-loss as the score.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_softmax import RegularizationPathDisplay, SoftmaxClassifierCV, softmax_path

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

best = SoftmaxClassifierCV(alphas=20).fit(X_train, y_train)
one_se = SoftmaxClassifierCV(alphas=20, selection="one_se").fit(X_train, y_train)
for name, model in [("best", best), ("one standard error", one_se)]:
    proba = model.predict_proba(X_test)
    print(
        f"{name:>18}: alpha={model.alpha_:.2e}  CV log-loss={-model.best_score_:.4f}"
        f"  held-out log-loss={log_loss(y_test, proba):.4f}"
        f"  accuracy={accuracy_score(y_test, model.predict(X_test)):.4f}"
    )

# %%
# The one-standard-error rule takes the largest penalty whose mean score is
# within one standard error of the best: a simpler model that the
# cross-validation cannot tell apart from the best one. The left panel shows
# how the coefficients grow as the penalty weakens (the norm of each pixel's
# coefficients across the ten classes, averaged over the splits); the right
# panel the cross-validated log-loss with its standard error.
display = RegularizationPathDisplay.from_estimator(best)
display.figure_.suptitle("Digits: L2 penalty chosen by 5-fold cross-validation")

# %%
# An L1 path: which pixels enter first
# ------------------------------------
# With ``l1_ratio=1`` the path starts at the smallest penalty that keeps every
# coefficient at zero and lets pixels in one by one. Screening fits each
# penalty on the pixels the strong rule keeps, then checks the optimality
# conditions of all the others.
alphas, coefs, _, n_iters = softmax_path(
    X_train, y_train, l1_ratio=1.0, solver="gd", n_alphas=10, eps=0.05
)
active = np.any(coefs != 0, axis=0)  # (pixel, alpha)
for k in range(0, 10, 3):
    print(f"alpha={alphas[k]:.3f}: {active[:, k].sum():2d} active pixels")

fig, axes = plt.subplots(1, 4, figsize=(10, 3), layout="constrained")
for ax, k in zip(axes, [1, 3, 6, 9], strict=True):
    ax.imshow(active[:, k].reshape(8, 8), cmap="Greys")
    ax.set_title(f"alpha={alphas[k]:.3f}\n{active[:, k].sum()} pixels")
    ax.set_axis_off()
fig.suptitle("Pixels with a non-zero coefficient along the L1 path")

plt.show()
