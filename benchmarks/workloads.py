"""The benchmark workloads W1-W4, generated on the fly (no downloads).

Each returns ``(X_train, X_test, y_train, y_test)``. Dense workloads are
standardised with statistics of the training part.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def _split_standardise(X, y, dtype=np.float64):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train = np.ascontiguousarray(scaler.transform(X_train), dtype=dtype)
    X_test = np.ascontiguousarray(scaler.transform(X_test), dtype=dtype)
    return X_train, X_test, y_train, y_test


def w1(scale=1.0):
    """Digits, standardised: 1797 x 64, 10 classes."""
    X, y = load_digits(return_X_y=True)
    return _split_standardise(X, y)


def w2(scale=1.0, dtype=np.float64):
    """make_classification, 200k x 100, 10 classes (``scale`` shrinks n)."""
    X, y = make_classification(
        n_samples=int(200_000 * scale),
        n_features=100,
        n_informative=60,
        n_classes=10,
        n_clusters_per_class=1,
        random_state=0,
    )
    return _split_standardise(X, y, dtype)


def w2f(scale=1.0):
    """W2 in float32."""
    return w2(scale, dtype=np.float32)


def w3(scale=1.0, n_features=50_000):
    """Sparse CSR, 100k x 50k, ~50 non-zeros per row, 20 classes.

    Labels are drawn from a hidden multinomial model, so the problem is
    learnable: ``y ~ softmax(X @ W_true.T)``.
    """
    rng = np.random.default_rng(0)
    n_samples, n_classes = int(100_000 * scale), 20
    nnz_per_row = 50
    indices = rng.integers(0, n_features, size=(n_samples, nnz_per_row))
    indices.sort(axis=1)
    data = rng.exponential(1.0, size=(n_samples, nnz_per_row))
    indptr = np.arange(0, n_samples * nnz_per_row + 1, nnz_per_row)
    X = sp.csr_matrix(
        (data.ravel(), indices.ravel(), indptr), shape=(n_samples, n_features)
    )
    X.sum_duplicates()
    # Normalise rows to unit length, as for tf-idf features.
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1.0 / norms) @ X)
    W_true = rng.normal(0.0, 8.0, size=(n_classes, n_features))
    logits = np.asarray(X @ W_true.T)
    logits -= logits.max(axis=1, keepdims=True)
    P = np.exp(logits)
    P /= P.sum(axis=1, keepdims=True)
    u = rng.random(n_samples)[:, None]
    y = (P.cumsum(axis=1) < u).sum(axis=1)
    y = np.minimum(y, n_classes - 1)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    return X_train.tocsr(), X_test.tocsr(), y_train, y_test


def w4(scale=1.0):
    """make_classification, 50k x 256, 100 classes."""
    X, y = make_classification(
        n_samples=int(50_000 * scale),
        n_features=256,
        n_informative=200,
        n_classes=100,
        n_clusters_per_class=1,
        random_state=0,
    )
    return _split_standardise(X, y)


WORKLOADS = {"W1": w1, "W2": w2, "W2f": w2f, "W3": w3, "W4": w4}
