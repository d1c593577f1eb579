"""
Decision regions and probability contours
=========================================

A softmax classifier on two features and three classes. ArgMax of the logits
cuts the plane into three regions whose borders are straight lines (the model is
linear in the features); SoftMax of the same logits gives each point a
probability per class, which falls smoothly across the borders. The penalty
``alpha`` sets how fast: a weak penalty gives steep, confident transitions, a
strong one wide bands of doubt.
"""

# %%
# Three overlapping classes in the plane
# --------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split

from sk_softmax import SoftmaxClassifier

X, y = make_blobs(
    n_samples=450,
    centers=[[-2.0, -1.0], [2.0, -1.0], [0.0, 2.2]],
    cluster_std=[1.1, 1.0, 1.3],
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

models = {
    "alpha = 1e-4 (weak penalty)": SoftmaxClassifier(alpha=1e-4),
    "alpha = 1 (strong penalty)": SoftmaxClassifier(alpha=1.0),
}
for title, model in models.items():
    model.fit(X_train, y_train)
    print(
        f"{title}: test accuracy {model.score(X_test, y_test):.3f}, "
        f"largest |coef| {np.abs(model.coef_).max():.2f}"
    )

# %%
# Regions, borders and confidence
# -------------------------------
# The background colour is the predicted class (ArgMax); the contour lines are
# levels of the largest class probability, ``max_k p_k``, the model's
# confidence. It is 1/3 where the three regions meet and rises towards 1 away
# from every border.
colors = np.array(["tab:blue", "tab:orange", "tab:green"])
cmap = ListedColormap(colors)
grid_x, grid_y = np.meshgrid(np.linspace(-6, 6, 300), np.linspace(-5, 7, 300))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])

fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True, layout="constrained")
for ax, (title, model) in zip(axes, models.items(), strict=True):
    regions = model.predict(grid).reshape(grid_x.shape)
    ax.contourf(
        grid_x, grid_y, regions, levels=[-0.5, 0.5, 1.5, 2.5], cmap=cmap, alpha=0.25
    )
    confidence = model.predict_proba(grid).max(axis=1).reshape(grid_x.shape)
    contours = ax.contour(
        grid_x,
        grid_y,
        confidence,
        levels=[0.4, 0.5, 0.7, 0.9, 0.99],
        colors="k",
        linewidths=0.8,
    )
    ax.clabel(contours, fmt="%.2f", fontsize=8)
    ax.scatter(*X_test.T, c=colors[y_test], edgecolor="k", s=22)
    ax.set_xlim(-6, 6)
    ax.set_ylim(-5, 7)
    ax.set_title(title)
    ax.set_xlabel("feature 0")
axes[0].set_ylabel("feature 1")

# %%
# The probability of each class
# -----------------------------
# One panel per class: ``p_k(x)``, with its 0.5 level in black. Each
# probability is a smooth function of the logits, and the three always sum to
# one.
model = models["alpha = 1e-4 (weak penalty)"]
proba = model.predict_proba(grid)
print("probabilities sum to one:", np.allclose(proba.sum(axis=1), 1.0))

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True, layout="constrained")
for k, (ax, class_cmap) in enumerate(
    zip(axes, ["Blues", "Oranges", "Greens"], strict=True)
):
    p_k = proba[:, k].reshape(grid_x.shape)
    levels = np.linspace(0, 1, 11)
    image = ax.contourf(grid_x, grid_y, p_k, levels=levels, cmap=class_cmap)
    ax.contour(grid_x, grid_y, p_k, levels=[0.5], colors="k", linewidths=1.5)
    own = y_train == k
    ax.scatter(*X_train[own].T, c=colors[k], edgecolor="k", s=16)
    ax.set_title(f"P(class {k} | x)")
    ax.set_xlabel("feature 0")
    fig.colorbar(image, ax=ax, ticks=[0, 0.5, 1])
axes[0].set_ylabel("feature 1")

plt.show()
