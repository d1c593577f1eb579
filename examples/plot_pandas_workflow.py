"""
A pandas workflow: mixed columns, one Pipeline
==============================================

A table with categorical and numeric columns and string labels goes straight
into a ``Pipeline``: a ``ColumnTransformer`` one-hot encodes the categories and
standardises the numbers, and ``SoftmaxClassifier`` fits the multinomial model
on the result. The data are generated from a known softmax model, so the
fitted coefficients can be checked against the truth.
"""

# %%
# A generated customer table
# --------------------------
# Which plan a customer picks (``basic``, ``standard`` or ``premium``) depends on
# their age, monthly spend, region and device, through logits that are linear
# in these features: exactly the softmax model.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_softmax import SoftmaxClassifier, coef_frame, proba_frame, softmax

rng = np.random.default_rng(0)
n = 3000
regions = ["north", "south", "east", "west"]
devices = ["phone", "tablet", "desktop"]
plans = ["basic", "standard", "premium"]
customers = pd.DataFrame(
    {
        "age": rng.integers(18, 80, n),
        "monthly_spend": rng.lognormal(mean=3.5, sigma=0.6, size=n).round(2),
        "region": pd.Categorical(rng.choice(regions, n), categories=regions),
        "device": pd.Categorical(
            rng.choice(devices, n, p=[0.5, 0.2, 0.3]), categories=devices
        ),
    }
)

# True logits of (basic, standard, premium): older and bigger-spending customers
# lean to premium, phone users to basic, the west to standard.
age = (customers["age"].to_numpy() - 48) / 18
spend = np.log(customers["monthly_spend"].to_numpy()) - 3.5
logits = np.column_stack(
    [
        0.2 - 1.5 * spend + 1.0 * (customers["device"] == "phone"),
        0.4 * age + 1.2 * (customers["region"] == "west"),
        -0.6 + 1.0 * age + 3.0 * spend + 0.8 * (customers["device"] == "desktop"),
    ]
)
probabilities = softmax(logits, axis=1)
plan = np.array([rng.choice(plans, p=p) for p in probabilities])
customers["plan"] = pd.Categorical(plan, categories=plans)
print(customers.head())
print(customers["plan"].value_counts().to_string())

# %%
# The Pipeline
# ------------
# ``set_output(transform="pandas")`` keeps the column names through the
# transformer, so the classifier knows the name of each of its features.
X = customers.drop(columns="plan")
y = customers["plan"]
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

preprocess = ColumnTransformer(
    [
        ("categories", OneHotEncoder(sparse_output=False), ["region", "device"]),
        ("numbers", StandardScaler(), ["age", "monthly_spend"]),
    ],
    verbose_feature_names_out=False,
)
model = Pipeline(
    [("preprocess", preprocess), ("softmax", SoftmaxClassifier(alpha=1e-3))]
).set_output(transform="pandas")
model.fit(X_train, y_train)

classifier = model[-1]
print("classes:", classifier.classes_.tolist())
print("features:", classifier.feature_names_in_.tolist())
print(f"held-out accuracy: {model.score(X_test, y_test):.3f}")
best_possible = (probabilities.argmax(axis=1) == customers["plan"].cat.codes)[
    X_test.index
].mean()
print(f"accuracy of the true model on the same rows: {best_possible:.3f}")

# %%
# The coefficients
# ----------------
# One row per class, one column per encoded feature. Softmax coefficients are
# defined up to a constant per column (adding the same number to every class's
# logit changes no probability), so compare their differences between
# classes: ``premium`` against ``basic`` rises with the spend and the age,
# ``phone`` pushes towards ``basic`` and ``desktop`` towards ``premium``, and
# the west towards ``standard``, as in the generating model.
# :func:`~sk_softmax.coef_frame` labels ``coef_``: a row per feature, a column
# per class; transposed here, a row per class.
coefficients = coef_frame(classifier)[plans].T
print(coefficients.round(2).to_string())

fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
limit = np.abs(coefficients.to_numpy()).max()
image = ax.imshow(coefficients, cmap="RdBu_r", vmin=-limit, vmax=limit)
ax.set_xticks(range(coefficients.shape[1]), coefficients.columns, rotation=30)
ax.set_yticks(range(coefficients.shape[0]), coefficients.index)
for (i, j), value in np.ndenumerate(coefficients.to_numpy()):
    color = "w" if abs(value) > 0.6 * limit else "k"
    ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color=color)
ax.set_title("SoftmaxClassifier coefficients (per class)")
fig.colorbar(image, ax=ax, shrink=0.8)

# %%
# Probabilities for new customers
# -------------------------------
# ``predict_proba`` takes a DataFrame with the same columns; each row is a
# distribution over the plans. :func:`~sk_softmax.proba_frame` returns it as a
# DataFrame with a column per class and the index of the input.
new_customers = pd.DataFrame(
    {
        "age": [22, 35, 50, 68],
        "monthly_spend": [15.0, 30.0, 60.0, 120.0],
        "region": pd.Categorical(["north", "west", "east", "south"], regions),
        "device": pd.Categorical(["phone", "tablet", "desktop", "desktop"], devices),
    }
)
proba = proba_frame(model, new_customers)
proba = proba[plans]  # classes_ are sorted; show the plans in their natural order
print(pd.concat([new_customers, proba.round(3)], axis=1).to_string())

proba.index = [
    f"{row.age} y, {row.monthly_spend:g}/month,\n{row.region}, {row.device}"
    for row in new_customers.itertuples()
]
ax = proba.plot.barh(stacked=True, figsize=(8.5, 3.6), xlim=(0, 1))
ax.invert_yaxis()
ax.set_xlabel("predicted probability")
ax.set_title("Predicted plan of four new customers")
ax.legend(title="plan", loc="upper left", bbox_to_anchor=(1.01, 1))
ax.figure.set_layout_engine("constrained")

plt.show()
