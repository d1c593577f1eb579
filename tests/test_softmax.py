"""Tests of the SoftMax maths: softmax, log_softmax, the Jacobian, ArgMax."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from numpy.testing import assert_allclose, assert_array_equal

from sk_softmax import (
    argmax,
    hardmax,
    log_softmax,
    softmax,
    softmax_jacobian,
    softmax_jvp,
)

SEED_LOGITS = [1.43, -0.4, 0.23]
SEED_PROBA = [0.68417808, 0.10975145, 0.20607048]
MAX = np.finfo(np.float64).max

PROPERTY = settings(max_examples=50, deadline=None)


# --------------------------------------------------------------------------- seed
def test_seed_softmax():
    p = softmax(np.array(SEED_LOGITS))
    assert_allclose(p, SEED_PROBA, rtol=0, atol=1e-8)
    assert p.dtype == np.float64


def test_seed_log_softmax():
    assert_allclose(
        log_softmax(np.array(SEED_LOGITS)), np.log(SEED_PROBA), rtol=0, atol=1e-7
    )


def test_seed_argmax_and_hardmax():
    assert argmax(np.array(SEED_LOGITS)) == 0
    assert int(argmax(SEED_LOGITS)) == 0
    one_hot = hardmax(np.array(SEED_LOGITS))
    assert_array_equal(one_hot, [1, 0, 0])
    assert_array_equal(one_hot.astype(int), [1, 0, 0])


def test_seed_jacobian():
    # The seed notebook: dS_i/dz_i = S_i (1 - S_i), dS_i/dz_j = -S_i S_j.
    p = softmax(np.array(SEED_LOGITS))
    J = softmax_jacobian(p)
    assert J.shape == (3, 3)
    for i in range(3):
        for j in range(3):
            expected = p[i] * (1 - p[i]) if i == j else -p[i] * p[j]
            assert J[i, j] == pytest.approx(expected, rel=1e-14, abs=1e-17)


def test_softmax_accepts_lists():
    assert_allclose(softmax(SEED_LOGITS), SEED_PROBA, rtol=0, atol=1e-8)


def test_hardmax_is_zero_temperature_limit():
    z = np.array(SEED_LOGITS)
    assert_array_equal(softmax(z / 1e-3), hardmax(z))


# -------------------------------------------------------------------------- axes
def _softmax_ref(z, axis):
    """Softmax along ``axis`` by moving it last and using the seed's formula."""
    z = np.moveaxis(np.asarray(z, dtype=np.float64), axis, -1)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.moveaxis(e / e.sum(axis=-1, keepdims=True), -1, axis)


@pytest.mark.parametrize(
    "shape, axis",
    [
        ((4, 3), 0),
        ((4, 3), 1),
        ((4, 3), -1),
        ((4, 3), -2),
        ((2, 3, 5), 0),
        ((2, 3, 5), 1),
        ((2, 3, 5), 2),
        ((2, 3, 5), -1),
        ((2, 3, 5), -2),
    ],
)
def test_any_axis(shape, axis):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3, size=shape)
    p = softmax(z, axis=axis)
    assert p.shape == z.shape
    assert_allclose(p, _softmax_ref(z, axis), rtol=1e-13)
    assert_allclose(p.sum(axis=axis), 1, rtol=1e-14)
    assert_allclose(log_softmax(z, axis=axis), np.log(p), rtol=1e-13, atol=1e-14)

    idx = argmax(z, axis=axis)
    assert_array_equal(idx, np.argmax(z, axis=axis))
    one_hot = hardmax(z, axis=axis)
    assert one_hot.shape == z.shape
    assert_array_equal(one_hot.sum(axis=axis), 1)
    assert_array_equal(
        np.take_along_axis(one_hot, np.expand_dims(idx, axis), axis=axis), 1
    )

    # The Jacobian's leading dimensions are those of p without `axis`, in order.
    J = softmax_jacobian(p, axis=axis)
    p_last = np.moveaxis(p, axis, -1)
    assert J.shape == (*p_last.shape, p_last.shape[-1])
    expected = np.einsum("...k,kj->...kj", p_last, np.eye(p_last.shape[-1]))
    expected -= p_last[..., :, None] * p_last[..., None, :]
    assert_allclose(J, expected, rtol=1e-14, atol=1e-17)

    v = rng.normal(size=shape)
    jv = softmax_jvp(p, v, axis=axis)
    v_last = np.moveaxis(v, axis, -1)
    expected_jv = np.moveaxis(np.einsum("...kj,...j->...k", J, v_last), -1, axis)
    assert jv.shape == z.shape
    assert_allclose(jv, expected_jv, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------ dtypes
def test_float32_in_float32_out():
    z = np.array([[1.43, -0.4, 0.23], [3.0, 2.0, -1.0]], dtype=np.float32)
    p = softmax(z)
    assert p.dtype == np.float32
    assert log_softmax(z).dtype == np.float32
    assert softmax_jacobian(p).dtype == np.float32
    assert softmax_jvp(p, np.ones_like(p)).dtype == np.float32
    assert hardmax(z).dtype == np.float32
    assert_allclose(p, _softmax_ref(z, -1), rtol=1e-6)
    assert_allclose(p.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8])
def test_integer_input_gives_float64(dtype):
    z = np.array([[3, 1, 2], [0, 0, 5]], dtype=dtype)
    p = softmax(z)
    assert p.dtype == np.float64
    assert_allclose(p, _softmax_ref(z.astype(np.float64), -1), rtol=1e-15)
    log_p = log_softmax(z)
    assert log_p.dtype == np.float64
    assert_allclose(log_p, np.log(p), rtol=1e-14)
    assert hardmax(z).dtype == np.float64
    assert_array_equal(hardmax(z), [[1, 0, 0], [0, 0, 1]])
    assert softmax_jacobian(p).dtype == np.float64
    # Integer probabilities (one-hot) are computed in float64 too.
    assert softmax_jacobian(np.array([0, 1])).dtype == np.float64
    assert softmax_jvp(np.array([0, 1]), np.array([1, 2])).dtype == np.float64


# --------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_logits_1e4(dtype):
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4 + 1], [1e4, 1e4, 1e4]], dtype)
    p = softmax(z)
    assert p.dtype == dtype
    assert np.all(np.isfinite(p))
    e = np.exp(-1.0)
    expected = [[1, 0, 0], [e / (2 * e + 1), e / (2 * e + 1), 1 / (2 * e + 1)]]
    expected.append([1 / 3, 1 / 3, 1 / 3])
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    assert_allclose(p, expected, rtol=rtol, atol=0)

    log_p = log_softmax(z)
    assert log_p.dtype == dtype
    assert np.all(np.isfinite(log_p))
    lse = np.log(2 * e + 1)
    expected_log = [
        [0, -1e4, -2e4],
        [-1 - lse, -1 - lse, -lse],
        [-np.log(3)] * 3,
    ]
    assert_allclose(log_p, expected_log, rtol=rtol, atol=0)


def test_extreme_logits_softmax():
    z = np.array(
        [
            [1e308, -1e308, 0.0],
            [MAX, -MAX, 0.0],
            [1e308, 1e308, -1e308],
            [-1e308, -1e308, -1e308],
            [-MAX, -MAX, 0.0],
            [MAX, MAX, MAX],
        ]
    )
    p = softmax(z)
    assert np.all(np.isfinite(p))
    assert_allclose(p.sum(axis=1), 1, rtol=1e-15)
    assert_allclose(
        p,
        [
            [1, 0, 0],
            [1, 0, 0],
            [0.5, 0.5, 0],
            [1 / 3, 1 / 3, 1 / 3],
            [0, 0, 1],
            [1 / 3, 1 / 3, 1 / 3],
        ],
        rtol=1e-15,
        atol=0,
    )


def test_extreme_logits_log_softmax():
    z = np.array(
        [
            [1e308, 9e307, 0.0],
            [1e308, 1e308, 0.0],
            [-1e308, -1e308, -1e308],
            [MAX, 0.0, 1.0],
        ]
    )
    log_p = log_softmax(z)
    # Every exact value here lies within [-MAX, 0], so the result is finite.
    assert np.all(np.isfinite(log_p))
    log2 = np.log(2.0)
    expected = [
        [0.0, -1e307, -1e308],
        [-log2, -log2, -1e308],
        [-np.log(3.0)] * 3,
        [0.0, -MAX, -MAX],
    ]
    assert_allclose(log_p, expected, rtol=1e-15, atol=0)


def test_log_softmax_below_most_negative_float_is_minus_inf():
    # log_softmax([1e308, -1e308]) = [0, -2e308]: the exact value of the second
    # entry is below -MAX (about -1.8e308), so -inf is the correctly rounded
    # result there. What must not happen is NaN, or the finite entry being lost.
    log_p = log_softmax(np.array([1e308, -1e308]))
    assert_array_equal(log_p, [0.0, -np.inf])
    assert_array_equal(softmax(np.array([1e308, -1e308])), [1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_positive_infinity_gives_the_limit(dtype):
    inf = np.inf
    z = np.array(
        [
            [inf, 0.0, inf],
            [inf, -inf, 1.0],
            [inf, inf, inf],
            [1.0, 2.0, 3.0],  # an ordinary row next to infinite ones
            [-inf, 0.0, 0.0],
        ],
        dtype=dtype,
    )
    p = softmax(z)
    assert p.dtype == dtype
    assert not np.any(np.isnan(p))
    expected = [
        [0.5, 0, 0.5],
        [1, 0, 0],
        [1 / 3, 1 / 3, 1 / 3],
        _softmax_ref([1.0, 2.0, 3.0], -1),
        [0, 0.5, 0.5],
    ]
    rtol = 1e-6 if dtype == np.float32 else 1e-15
    assert_allclose(p, expected, rtol=rtol, atol=0)

    log_p = log_softmax(z)
    assert log_p.dtype == dtype
    assert not np.any(np.isnan(log_p))
    with np.errstate(divide="ignore"):
        assert_allclose(log_p, np.log(np.asarray(expected)), rtol=rtol, atol=0)

    assert_array_equal(hardmax(z)[:3], [[1, 0, 0], [1, 0, 0], [1, 0, 0]])
    assert_array_equal(argmax(z), [0, 0, 0, 2, 1])


def test_positive_infinity_along_axis_0():
    z = np.array([[np.inf, 0.0], [np.inf, 1.0], [0.0, 1.0]])
    p = softmax(z, axis=0)
    assert_allclose(p[:, 0], [0.5, 0.5, 0.0], rtol=1e-15, atol=0)
    assert_allclose(p[:, 1], _softmax_ref([0.0, 1.0, 1.0], -1), rtol=1e-15, atol=0)
    log_p = log_softmax(z, axis=0)
    assert_array_equal(log_p[:, 0], [-np.log(2.0), -np.log(2.0), -np.inf])


def test_input_not_modified():
    z = np.array([[1.0, np.inf, 3.0], [1.0, 2.0, 3.0]])
    z_copy = z.copy()
    softmax(z)
    log_softmax(z)
    hardmax(z)
    p = softmax(z[1])
    p_copy = p.copy()
    softmax_jacobian(p)
    softmax_jvp(p, np.ones(3))
    assert_array_equal(z, z_copy)
    assert_array_equal(p, p_copy)


# ---------------------------------------------------------------------- property
@st.composite
def logits_and_axis(draw, bound=1e3, dtype=np.float64, max_dims=3):
    """Finite logits of any shape with K >= 1 and an axis (negative or not)."""
    shape = draw(array_shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=5))
    elements = st.floats(
        -bound,
        bound,
        allow_nan=False,
        allow_infinity=False,
        width=32 if dtype == np.float32 else 64,
    )
    z = draw(arrays(dtype, shape, elements=elements))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return z, axis


@PROPERTY
@given(logits_and_axis(bound=MAX))
def test_property_rows_sum_to_one_any_magnitude(z_axis):
    z, axis = z_axis
    p = softmax(z, axis=axis)
    assert p.shape == z.shape
    assert np.all(np.isfinite(p))
    assert np.all((p >= 0) & (p <= 1))
    assert_allclose(p.sum(axis=axis), 1, rtol=1e-14)
    # The largest logit gets the largest, and a positive, probability.
    idx = np.expand_dims(np.argmax(z, axis=axis), axis)
    top = np.take_along_axis(p, idx, axis=axis)
    assert np.all(top > 0)
    assert_array_equal(top, np.max(p, axis=axis, keepdims=True))


@PROPERTY
@given(logits_and_axis(bound=MAX))
def test_property_log_softmax_finite_any_magnitude(z_axis):
    z, axis = z_axis
    log_p = log_softmax(z, axis=axis)
    assert not np.any(np.isnan(log_p))
    assert np.all(log_p <= 0)
    # z_k - logsumexp(z) >= (z_k - max z) - log K: finite whenever z_k is within
    # 1e308 of the maximum, whatever the magnitude of the logits.
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(over="ignore"):
        near = z - m >= -1e308  # an overflow to -inf is simply not "near"
    assert np.all(np.isfinite(log_p[near]))
    # The maximal entry is within log K of 0.
    K = z.shape[axis]
    top = np.take_along_axis(log_p, np.expand_dims(np.argmax(z, axis), axis), axis)
    assert np.all(top >= -np.log(K) - 1e-12)


@PROPERTY
@given(logits_and_axis(), st.data())
def test_property_shift_invariance(z_axis, data):
    z, axis = z_axis
    reduced = list(z.shape)
    reduced[axis] = 1
    c = data.draw(
        arrays(np.float64, tuple(reduced), elements=st.floats(-1e3, 1e3)),
        label="c",
    )
    assert_allclose(
        softmax(z + c, axis=axis), softmax(z, axis=axis), rtol=1e-10, atol=1e-15
    )
    assert_allclose(
        log_softmax(z + c, axis=axis), log_softmax(z, axis=axis), rtol=0, atol=1e-9
    )


@PROPERTY
@given(logits_and_axis(bound=MAX, max_dims=2))
def test_property_ranking_preserved(z_axis):
    z, axis = z_axis
    z_last = np.moveaxis(z, axis, -1).reshape(-1, z.shape[axis])
    p_last = np.moveaxis(softmax(z, axis=axis), axis, -1).reshape(z_last.shape)
    for zr, pr in zip(z_last, p_last, strict=True):
        larger = zr[:, None] > zr[None, :]
        i, j = np.nonzero(larger)
        assert np.all(pr[i] >= pr[j])
        equal = zr[:, None] == zr[None, :]
        i, j = np.nonzero(equal)
        assert np.all(pr[i] == pr[j])


@PROPERTY
@given(logits_and_axis())
def test_property_log_softmax_is_log_of_softmax(z_axis):
    z, axis = z_axis
    p = softmax(z, axis=axis)
    log_p = log_softmax(z, axis=axis)
    mask = p > np.finfo(np.float64).tiny
    assert np.all(mask.any(axis=axis))
    assert_allclose(log_p[mask], np.log(p[mask]), rtol=1e-12, atol=1e-12)
    # Where softmax underflows, log_softmax still gives the finite exact value.
    assert np.all(np.isfinite(log_p))


@PROPERTY
@given(logits_and_axis(bound=1e2))
def test_property_jacobian(z_axis):
    z, axis = z_axis
    p = softmax(z, axis=axis)
    J = softmax_jacobian(p, axis=axis)
    p_last = np.moveaxis(p, axis, -1)
    K = p_last.shape[-1]
    assert J.shape == (*p_last.shape, K)
    expected = np.zeros_like(J)
    idx = np.arange(K)
    expected[..., idx, idx] = p_last
    expected -= p_last[..., :, None] * p_last[..., None, :]
    assert_allclose(J, expected, rtol=1e-15, atol=1e-300)
    assert_array_equal(J, np.swapaxes(J, -1, -2))
    assert_allclose(J @ np.ones(K), 0, atol=1e-15)
    # Positive semi-definite, with eigenvalues in [0, 1/2].
    eig = np.linalg.eigvalsh(J)
    assert np.all(eig >= -1e-15)
    assert np.all(eig <= 0.5 + 1e-15)


@PROPERTY
@given(logits_and_axis(bound=1e2), st.data())
def test_property_jvp_is_jacobian_times_vector(z_axis, data):
    z, axis = z_axis
    p = softmax(z, axis=axis)
    v = data.draw(arrays(np.float64, z.shape, elements=st.floats(-1e3, 1e3)))
    jv = softmax_jvp(p, v, axis=axis)
    J = softmax_jacobian(p, axis=axis)
    v_last = np.moveaxis(v, axis, -1)
    expected = np.moveaxis(np.einsum("...kj,...j->...k", J, v_last), -1, axis)
    assert jv.shape == z.shape
    # Rounding error relative to the direction's size; subnormals round at 5e-324.
    atol = 1e-13 * np.abs(v).max() + 1e-300
    assert_allclose(jv, expected, rtol=1e-12, atol=atol)


@PROPERTY
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
)
def test_property_jvp_batched(n, K, seed):
    rng = np.random.default_rng(seed)
    p = softmax(rng.normal(scale=4, size=(n, K)))
    v = rng.normal(size=(n, K))
    J = softmax_jacobian(p)
    assert J.shape == (n, K, K)
    expected = (J @ v[:, :, None])[:, :, 0]
    assert_allclose(softmax_jvp(p, v), expected, rtol=1e-12, atol=1e-15)
    # One direction broadcast against every row.
    assert_allclose(softmax_jvp(p, v[0]), J @ v[0], rtol=1e-12, atol=1e-15)
    # J is symmetric, so the JVP is also the vector-Jacobian product.
    vjp = (v[:, None, :] @ J)[:, 0, :]
    assert_allclose(softmax_jvp(p, v), vjp, rtol=1e-12, atol=1e-15)


@PROPERTY
@given(logits_and_axis(bound=20.0, max_dims=2))
def test_property_jacobian_matches_finite_differences(z_axis):
    z, axis = z_axis
    z_last = np.moveaxis(z, axis, -1)
    K = z_last.shape[-1]
    J = softmax_jacobian(softmax(z, axis=axis), axis=axis)
    h = 1e-5
    for j in range(K):
        plus, minus = z_last.copy(), z_last.copy()
        plus[..., j] += h
        minus[..., j] -= h
        step = plus[..., j] - minus[..., j]  # the step actually taken
        column = softmax(plus) - softmax(minus)
        fd = column / step[..., None]
        # Central differences: O(h^2) truncation plus O(eps / h) rounding.
        assert_allclose(J[..., :, j], fd, rtol=0, atol=1e-9)


@PROPERTY
@given(logits_and_axis(bound=MAX))
def test_property_hardmax_one_hot_at_argmax(z_axis):
    z, axis = z_axis
    one_hot = hardmax(z, axis=axis)
    assert one_hot.shape == z.shape
    assert one_hot.dtype == z.dtype
    assert np.all((one_hot == 0) | (one_hot == 1))
    assert_array_equal(one_hot.sum(axis=axis), 1)
    idx = argmax(z, axis=axis)
    assert_array_equal(idx, np.argmax(z, axis=axis))  # ties: first index
    hot = np.take_along_axis(one_hot, np.expand_dims(idx, axis), axis=axis)
    assert_array_equal(hot, 1)
    # The one sits on a maximal logit.
    picked = np.max(np.where(one_hot == 1, z, -np.inf), axis=axis)
    assert_array_equal(picked, np.max(z, axis=axis))


@PROPERTY
@given(logits_and_axis(bound=1e4, dtype=np.float32))
def test_property_float32(z_axis):
    z, axis = z_axis
    p = softmax(z, axis=axis)
    log_p = log_softmax(z, axis=axis)
    assert p.dtype == np.float32
    assert log_p.dtype == np.float32
    assert np.all(np.isfinite(p))
    assert np.all(np.isfinite(log_p))
    z64 = z.astype(np.float64)
    assert_allclose(p, softmax(z64, axis=axis), rtol=1e-5, atol=1e-7)
    assert_allclose(log_p, log_softmax(z64, axis=axis), rtol=1e-6, atol=1e-5)
    assert_allclose(p.sum(axis=axis), 1, rtol=1e-6)
    J = softmax_jacobian(p, axis=axis)
    assert J.dtype == np.float32
    assert softmax_jvp(p, np.ones_like(p), axis=axis).dtype == np.float32
