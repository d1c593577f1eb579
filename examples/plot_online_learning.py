"""
Online learning: partial_fit, learning curves and early stopping
================================================================

``SoftmaxClassifier.partial_fit`` trains the true multinomial model one chunk
of data at a time, with mini-batch SGD (momentum) or Adam.
scikit-learn's ``SGDClassifier(loss="log_loss")`` also learns online, but fits
one binary model per class (one-versus-rest) and normalises their outputs
afterwards (scikit-learn's ``MLPClassifier(hidden_layer_sizes=())`` is a
linear softmax model with ``partial_fit``; the package's streaming benchmark
compares all three). This example streams the same chunks into
``SoftmaxClassifier`` and ``SGDClassifier`` and follows their held-out log-loss
epoch by epoch, against the full-batch optimum of the same objective. Then
``fit`` with ``early_stopping=True`` holds out a validation set, and
:class:`~sk_softmax.TrainingCurveDisplay` draws what happened.
"""

# %%
# A stream of chunks
# ------------------
# Five classes, twenty features; 20,000 training rows arriving in chunks of
# 1,000, and 5,000 held-out rows. Stochastic steps need features of similar
# scale, so a ``StandardScaler`` is fitted first (with ``partial_fit`` it could
# be fitted in one pass over the stream too).
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, TrainingCurveDisplay

X, y = make_classification(
    n_samples=25_000,
    n_features=20,
    n_informative=10,
    n_classes=5,
    n_clusters_per_class=1,
    class_sep=1.2,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=5_000, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
classes = np.unique(y)
chunks = np.array_split(np.arange(len(y_train)), 20)

# %%
# Learning curves
# ---------------
# Every model sees the same chunks in the same order, five times over, and is
# scored on the held-out rows after every chunk. The
# penalty is the same for all: ``SGDClassifier``'s ``alpha`` multiplies
# ``||w||^2 / 2`` after the mean loss, exactly as ``SoftmaxClassifier``'s does.
alpha = 1e-4
models = {
    "SoftmaxClassifier sgd": SoftmaxClassifier(
        alpha=alpha, solver="sgd", random_state=0
    ),
    "SoftmaxClassifier adam": SoftmaxClassifier(
        alpha=alpha, solver="adam", random_state=0
    ),
    "SGDClassifier log_loss (OvR)": SGDClassifier(
        loss="log_loss", alpha=alpha, random_state=0
    ),
}
n_epochs = 5
held_out = {name: {"log-loss": [], "accuracy": []} for name in models}
seconds = dict.fromkeys(models, 0.0)
for _ in range(n_epochs):
    for rows in chunks:
        for name, model in models.items():
            start = time.perf_counter()
            model.partial_fit(X_train[rows], y_train[rows], classes=classes)
            seconds[name] += time.perf_counter() - start
            proba = model.predict_proba(X_test)  # after every chunk
            held_out[name]["log-loss"].append(log_loss(y_test, proba, labels=classes))
            held_out[name]["accuracy"].append(
                accuracy_score(y_test, classes[proba.argmax(axis=1)])
            )

optimum = SoftmaxClassifier(alpha=alpha, tol=1e-6).fit(X_train, y_train)
optimum_loss = log_loss(y_test, optimum.predict_proba(X_test))
optimum_accuracy = optimum.score(X_test, y_test)

per_epoch = len(chunks)
print(f"held-out log-loss after epoch 1 and {n_epochs}, and training time")
for name in models:
    losses = held_out[name]["log-loss"]
    print(
        f"  {name:<30} {losses[per_epoch - 1]:.4f} {losses[-1]:.4f} "
        f"{seconds[name]:6.2f} s"
    )
print(f"  {'full-batch optimum':<30} {optimum_loss:.4f}")

# %%
# ``sgd`` comes close to the full-batch optimum's held-out log-loss within the
# first epoch. ``adam`` at its default rate, 0.001 (``MLPClassifier``'s, made
# for long streams, where a larger rate leaves it jittering above the optimum),
# takes small steps and is still on its way after five epochs of this short
# stream of 100 mini-batches each: for a stream this short, pass
# ``learning_rate_init=0.01``. The one-versus-rest model, trained on another
# objective (five binary ones), stays above the optimum. The x-axis counts
# epochs, passes over the stream; both axes of the log-loss are logarithmic.
seen = np.arange(1, n_epochs * per_epoch + 1) / per_epoch
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharex=True, layout="constrained")
for ax, metric, reference in zip(
    axes, ["log-loss", "accuracy"], [optimum_loss, optimum_accuracy], strict=True
):
    for name in models:
        ax.plot(seen, held_out[name][metric], label=name)
    ax.axhline(reference, color="k", ls="--", lw=1, label="full-batch optimum")
    ax.set_xscale("log")
    ax.set_xlabel("epochs (passes over the stream)")
    ax.set_ylabel(f"held-out {metric}")
axes[0].set_yscale("log")
axes[0].set_title("Held-out log-loss: lower is better")
axes[1].set_title("Held-out accuracy: higher is better")
axes[0].legend()

# %%
# Early stopping, and its training curves
# ---------------------------------------
# ``fit`` with ``early_stopping=True`` holds out a stratified 10% of the
# training data, stops once their loss has not improved by ``tol`` for
# ``n_iter_no_change`` epochs, and keeps the coefficients of the best epoch.
# ``loss_curve_`` records the training loss of every epoch and
# ``validation_loss_curve_`` the validation loss; the display draws both,
# per epoch because a stochastic solver trained the model.
early = SoftmaxClassifier(
    alpha=alpha, solver="adam", early_stopping=True, random_state=0
).fit(X_train, y_train)
best_epoch = int(np.argmin(early.validation_loss_curve_)) + 1
print(
    f"early stopping: {early.n_iter_} epochs, best validation loss at epoch "
    f"{best_epoch}; held-out log-loss "
    f"{log_loss(y_test, early.predict_proba(X_test)):.4f}"
)

display = TrainingCurveDisplay.from_estimator(early)
display.ax_.axvline(best_epoch, color="gray", ls=":", label="kept epoch")
display.ax_.legend()
display.ax_.set_title("SoftmaxClassifier(solver='adam', early_stopping=True)")

plt.show()
