"""
SoftmaxClassifier in a Pipeline with GridSearchCV
=================================================

Tune the penalty ``alpha`` by cross-validation on scikit-learn's embedded
digits data, with ``StandardScaler`` and ``SoftmaxClassifier`` in one
``Pipeline`` so that every fold scales with its own training part. Two scores
are tracked: accuracy, which only looks at the ArgMax, and the log-loss, which
judges the SoftMax probabilities themselves.
"""

# %%
# The search
# ----------
# ``alpha`` on a log grid, 5-fold cross-validation, training scores kept for
# comparison. The model refitted on the whole training part is the one with the
# best log-loss.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

pipeline = make_pipeline(StandardScaler(), SoftmaxClassifier(tol=1e-5))
alphas = np.logspace(-5, 0, 11)
search = GridSearchCV(
    pipeline,
    {"softmaxclassifier__alpha": alphas},
    scoring={"accuracy": "accuracy", "log-loss": "neg_log_loss"},
    refit="log-loss",
    cv=5,
    return_train_score=True,
)
search.fit(X_train, y_train)

# %%
# The scores
# ----------
results = search.cv_results_
for alpha, accuracy, loss in zip(
    results["param_softmaxclassifier__alpha"],
    results["mean_test_accuracy"],
    -results["mean_test_log-loss"],
    strict=True,
):
    print(f"alpha={alpha:<8.1e} mean CV accuracy={accuracy:.4f} log-loss={loss:.4f}")
best_alpha = search.best_params_["softmaxclassifier__alpha"]
print(f"best alpha (by log-loss): {best_alpha:g}")
print(f"held-out accuracy: {search.best_estimator_.score(X_test, y_test):.4f}")
print(f"held-out log-loss: {-search.score(X_test, y_test):.4f}")

# %%
# Training and validation curves against ``alpha``. A weak penalty fits the
# training folds almost perfectly and is over-confident on the validation
# folds, which the log-loss sees long before the accuracy does; a strong one
# underfits both. The shaded bands are one standard deviation over the folds.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True, layout="constrained")
for ax, (score, sign) in zip(axes, [("accuracy", 1), ("log-loss", -1)], strict=True):
    for part, color in [("train", "tab:blue"), ("test", "tab:orange")]:
        mean = sign * results[f"mean_{part}_{score}"]
        std = results[f"std_{part}_{score}"]
        label = "training folds" if part == "train" else "validation folds"
        ax.plot(alphas, mean, marker="o", color=color, label=label)
        ax.fill_between(alphas, mean - std, mean + std, color=color, alpha=0.2)
    ax.axvline(best_alpha, color="k", ls=":", label=f"best alpha = {best_alpha:.1e}")
    ax.set_xscale("log")
    ax.set_xlabel("alpha")
    ax.set_ylabel(score)
    ax.set_title(f"{score}: {'higher' if sign > 0 else 'lower'} is better")
axes[1].set_yscale("log")
axes[0].legend()

plt.show()
