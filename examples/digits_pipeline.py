"""
SoftmaxClassifier in a Pipeline with GridSearchCV
=================================================

Tune ``alpha`` by cross-validation on scikit-learn's embedded digits data.
"""

# %%
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

pipeline = make_pipeline(StandardScaler(), SoftmaxClassifier(tol=1e-5))
search = GridSearchCV(
    pipeline, {"softmaxclassifier__alpha": np.logspace(-4, -1, 4)}, cv=3
)
search.fit(X_train, y_train)

# %%
for alpha, score in zip(
    search.cv_results_["param_softmaxclassifier__alpha"],
    search.cv_results_["mean_test_score"],
    strict=True,
):
    print(f"alpha={alpha:<8.0e} mean CV accuracy={score:.4f}")
print("best:", search.best_params_, "held-out accuracy:", search.score(X_test, y_test))
