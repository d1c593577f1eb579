"""The main job: ``python -m sk_softmax``.

Reproduces the worked example the package started from (SoftMax and ArgMax of
the logits ``[1.43, -0.4, 0.23]``), then fits :class:`SoftmaxClassifier` in a
Pipeline on scikit-learn's embedded digits data and reports held-out accuracy,
log-loss and fit time next to ``LogisticRegression`` on the same split. No
downloads.
"""

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, argmax, hardmax, softmax


def worked_example():
    """Print SoftMax, ArgMax and one-hot ArgMax of the worked example's logits."""
    logits = np.array([1.43, -0.4, 0.23])
    print("Worked example: logits", logits)
    print("  SoftMax Outputs:", np.array2string(softmax(logits), precision=8))
    print("  ArgMax Output (Index):", int(argmax(logits)))
    print("  ArgMax one-hot:", hardmax(logits).astype(int))


def _fit_and_score(name, model, X_train, X_test, y_train, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    accuracy = accuracy_score(y_test, model.predict(X_test))
    loss = log_loss(y_test, model.predict_proba(X_test))
    print(f"  {name:<22} {accuracy:>9.4f} {loss:>9.4f} {seconds:>10.3f}")


def digits_comparison(C=1.0, random_state=0):
    """Fit SoftmaxClassifier and LogisticRegression on one digits split.

    Both minimise the same objective: ``alpha = 1 / (C * n_train)``.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    alpha = 1.0 / (C * len(y_train))
    print(
        f"\nDigits: {len(y_train)} training and {len(y_test)} test samples, "
        f"{X.shape[1]} features, 10 classes; C={C:g}, alpha=1/(C*n)={alpha:.3g}"
    )
    print(f"  {'model':<22} {'accuracy':>9} {'log-loss':>9} {'fit time s':>10}")
    models = {
        "SoftmaxClassifier": SoftmaxClassifier(alpha=alpha, tol=1e-6),
        "LogisticRegression": LogisticRegression(C=C, tol=1e-6, max_iter=1000),
    }
    for name, estimator in models.items():
        pipeline = make_pipeline(StandardScaler(), estimator)
        _fit_and_score(name, pipeline, X_train, X_test, y_train, y_test)


def main():
    """Run the worked example and the digits comparison."""
    worked_example()
    digits_comparison()


if __name__ == "__main__":
    main()
