"""
Reading the coefficients: a table with standard errors and intervals
====================================================================

:func:`~sk_softmax.inference` turns a fitted
:class:`~sk_softmax.SoftmaxClassifier` into a coefficient table with standard
errors, z statistics, p-values and confidence intervals, and the likelihood
statistics of the fit (as statsmodels' ``MNLogit`` reports them). The data
here are generated from a known softmax model, so the intervals can be
checked against the truth.
"""

# %%
# Commuters choosing how to travel
# --------------------------------
# 200 households report ten trips each: by bike, bus or car. The log-odds of
# bus and car against the bike are linear in the distance (km), the
# traveller's age (decades), the household's income (thousands per month)
# and whether it rained: the softmax model, with ``bike`` as the reference
# class (the first label, sorted).
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sk_softmax import SoftmaxClassifier, inference, softmax

rng = np.random.default_rng(0)
n = 2000
household = np.repeat(np.arange(200), 10)
X = pd.DataFrame(
    {
        "distance": rng.gamma(2.0, 4.0, n).round(1),
        "age": rng.uniform(2.0, 6.5, n).round(1),
        "income": rng.lognormal(1.2, 0.4, 200).round(2)[household],
        "rain": rng.integers(0, 2, n).astype(float),
    }
)
modes = np.array(["bike", "bus", "car"])
# True contrasts against the bike: one row per class, the intercept last.
truth = pd.DataFrame(
    [[0.25, 0.1, -0.2, 0.8, -1.5], [0.35, 0.3, 0.5, 1.0, -5.0]],
    index=pd.Index(["bus", "car"], name="class"),
    columns=[*X.columns, "intercept"],
)
logits = np.column_stack(
    [np.zeros(n), X.to_numpy() @ truth.iloc[:, :4].T + truth["intercept"].to_numpy()]
)
y = pd.Series([modes[rng.choice(3, p=p)] for p in softmax(logits, axis=1)], name="mode")
print(y.value_counts().to_string())

# %%
# The coefficient table
# ---------------------
# An unpenalised fit (``alpha=0``) at a tight tolerance is the
# maximum-likelihood estimate; ``inference`` needs the data it was fitted
# on. Each row is a contrast against the reference class ``bike``: the change
# in the log-odds of that class against the bike per unit of the feature.
clf = SoftmaxClassifier(alpha=0, tol=1e-8, solver="newton-cg").fit(X, y)
result = inference(clf, X, y)
table = result.summary_frame()
print(table.round(3).to_string())

# %%
# Odds ratios are the exponentials of the coefficients and of their interval
# bounds: rain multiplies the odds of the car against the bike by about
# ``exp(1.0)``.
odds = np.exp(table[["coef", "ci_lower", "ci_upper"]]).round(2)
print(odds[odds.index.isin(["distance", "rain"], level="feature")].to_string())

# %%
# The likelihood statistics: McFadden's pseudo-R², the likelihood-ratio test
# against the intercept-only model, AIC and BIC.
print(
    f"llf={result.llf:.1f}  llnull={result.llnull:.1f}  "
    f"pseudo-R2={result.prsquared:.3f}  LR p-value={result.llr_pvalue:.2g}\n"
    f"AIC={result.aic:.1f}  BIC={result.bic:.1f}  nobs={result.nobs:g}  "
    f"covariance={result.covariance!r}  reference={result.reference!r}"
)

# %%
# How many of the ten true coefficients do the 95% intervals cover?
covered = (table["ci_lower"] <= truth.stack()) & (truth.stack() <= table["ci_upper"])
print(f"{covered.sum()} of {len(covered)} intervals cover the true value")

# %%
# Penalised fits: posterior intervals
# -----------------------------------
# With an L2 penalty the estimate is shrunk towards zero and is no longer the
# maximum-likelihood one, so frequentist intervals do not apply. What
# ``inference`` gives instead (``covariance='laplace'``) is the Laplace
# approximation of the posterior under the Gaussian prior that the penalty
# is: posterior intervals. Asked for with ``reference="bike"``, the table
# shows the same contrasts as above.
penalised = SoftmaxClassifier(alpha=0.02, tol=1e-8, solver="newton-cg").fit(X, y)
posterior = inference(penalised, X, y, covariance="laplace", reference="bike")
compare = pd.DataFrame(
    {
        "MLE": table["coef"],
        "MLE std_err": table["std_err"],
        "penalised": posterior.summary_frame()["coef"],
        "posterior sd": posterior.summary_frame()["std_err"],
    }
)
print(compare.round(3).to_string())

# %%
# The coefficients with their intervals
# -------------------------------------
# The maximum-likelihood estimates with their 95% confidence intervals, the
# penalised estimates with their 95% posterior intervals, and the true values.
fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
features = list(X.columns)
positions = np.arange(len(features))
for ax, mode in zip(axes, ["bus", "car"], strict=True):
    for shift, frame, label in [
        (-0.12, table, "MLE, 95% CI"),
        (0.12, posterior.summary_frame(), "penalised, 95% posterior interval"),
    ]:
        rows = frame.loc[mode].loc[features]
        ax.errorbar(
            rows["coef"],
            positions + shift,
            xerr=[rows["coef"] - rows["ci_lower"], rows["ci_upper"] - rows["coef"]],
            fmt="o",
            capsize=3,
            label=label,
        )
    ax.scatter(truth.loc[mode, features], positions, marker="x", c="k", label="truth")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_title(f"{mode} against bike")
    ax.set_xlabel("change in log-odds per unit")
axes[0].set_yticks(positions, features)
axes[0].invert_yaxis()
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3)
fig.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()

# %%
# Grouped observations: cluster-robust standard errors
# ----------------------------------------------------
# When rows come in groups that share unobserved traits, they are not
# independent, and the default standard errors are too small. Here each
# household also has its own taste for the car; the cluster-robust covariance
# sums the scores within each household. The standard error of the
# household-level feature, income, grows most.
taste = rng.normal(0, 1.5, 200)[household]
logits_h = logits + np.column_stack([np.zeros(n), np.zeros(n), taste])
y_h = pd.Series([modes[rng.choice(3, p=p)] for p in softmax(logits_h, axis=1)])
fitted = SoftmaxClassifier(alpha=0, tol=1e-8, solver="newton-cg").fit(X, y_h)
naive = inference(fitted, X, y_h).summary_frame()
robust = inference(fitted, X, y_h, covariance="cluster", groups=household)
ratio = robust.summary_frame()["std_err"] / naive["std_err"]
print(ratio.loc["car"].round(2).to_string())
