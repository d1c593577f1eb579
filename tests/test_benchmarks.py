"""Smoke runs of the benchmark scripts, so they cannot rot."""

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

# Each benchmark script end to end at a small scale: long.
pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def load(monkeypatch):
    """Import a benchmark script as a module; forget it and its helpers after."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield importlib.import_module
    for name in [
        "bench_solvers",
        "bench_streaming",
        "bench_dask",
        "bench_dask_scale",
        "bench_gpu",
        "bench_inference",
        "bench_cv",
        "bench_l1",
        "workloads",
        "_report",
    ]:
        sys.modules.pop(name, None)


def test_bench_solvers_smoke(load, tmp_path, capsys):
    bench_solvers = load("bench_solvers")
    output = tmp_path / "solvers.json"
    results = bench_solvers.main(
        [
            "--workloads",
            "W1",
            "--repeats",
            "1",
            "--solvers",
            "auto (default)",
            "LR newton-cg",
            "--output",
            str(output),
        ]
    )
    (result,) = results
    assert result["workload"] == "W1"
    assert [row["solver"] for row in result["rows"]] == [
        "auto (default)",
        "LR newton-cg",
    ]
    for row in result["rows"]:
        # Both reach the tight gap; the budget search found a finite time.
        assert row["iter_1e-06"] >= 1
        assert row["time_1e-06"] > 0
        assert row["final_gap"] <= 1e-6
        assert 0.9 < row["accuracy"] <= 1.0
    assert result["gradient"]["gradient_ms"] > 0
    saved = json.loads(output.read_text())
    assert saved[0]["F_star"] == result["F_star"]
    assert "fastest LogisticRegression to 1e-6" in capsys.readouterr().out


def test_bench_streaming_smoke(load, tmp_path, capsys):
    bench_streaming = load("bench_streaming")
    output = tmp_path / "streaming.json"
    argv = ["--scale", "0.01", "--epochs", "2", "--repeats", "1"]
    argv += ["--river-samples", "500", "--output", str(output)]
    result = bench_streaming.main(argv)
    saved = json.loads(output.read_text())
    assert saved["rows"] == result["rows"]
    expected = ["ours sgd", "ours adam", "SGDClassifier log_loss"]
    expected.append("MLPClassifier hidden_layer_sizes=()")
    if bench_streaming.river is not None:
        expected.append("river SoftmaxRegression")
    assert [row["contender"] for row in saved["rows"]] == expected
    for row in saved["rows"]:
        assert np.isfinite(row["epoch1_sps"]) and row["epoch1_sps"] > 0
        assert np.isfinite(row["after"]["1"]["log_loss"])
        if not row["contender"].startswith("river"):
            assert np.isfinite(row["all_sps"]) and row["all_sps"] > 0
            assert np.isfinite(row["after"]["2"]["log_loss"])
            assert row["all_sps_best"] >= row["all_sps"]
    assert np.isfinite(saved["reference"]["log_loss"])
    out = capsys.readouterr().out
    assert "same alpha" in out and "| MLPClassifier hidden_layer_sizes=() |" in out


def test_bench_dask_smoke(load, tmp_path, capsys):
    pytest.importorskip("distributed")
    bench_dask = load("bench_dask")
    output = tmp_path / "dask.json"
    result = bench_dask.main(
        ["--scale", "0.02", "--repeats", "1", "--output", str(output)]
    )
    assert [row["solver"] for row in result["rows"]] == [
        "auto",
        "gd",
        "lbfgs",
        "newton-cg",
    ]
    for row in result["rows"]:
        # Same iterations to the same gap on numpy and on the cluster.
        assert row["numpy_iter"] == row["dask_iter"] >= 1
        assert row["dask_s"] > 0 and row["ratio"] > 0
    assert result["gradient"]["dask_ms"] > 0
    assert result["gradient"]["streamed_ms"] > 0 and result["gradient"]["xtx_ms"] > 0
    assert json.loads(output.read_text())["chunks"] == 8
    assert "dask / numpy" in capsys.readouterr().out


def test_bench_dask_scale_smoke(load, tmp_path, capsys):
    pytest.importorskip("distributed")
    bench = load("bench_dask_scale")
    args = ["--millions", "0.004", "--block-rows", "1000", "--dir", str(tmp_path)]
    result = bench.main([*args, "--repeats", "1", "--max-iter", "50"])
    (row,) = result["rows"]
    assert row["blocks"] == 4 and row["memory_mode_auto"] == "pinned"
    assert row["lbfgs_iter"] >= 1 and row["lbfgs_s"] > 0
    # One peak per worker and phase, in MiB: a worker process with numpy and
    # distributed loaded holds more than 50 MiB, and none here 64 GiB.
    for phase in ("baseline_mib", "peak_fit_mib", "peak_streamed_mib"):
        assert len(row[phase]) == 2
        assert all(50 < peak < 65536 for peak in row[phase])
    assert "streamed pass" in capsys.readouterr().out


def test_bench_gpu_smoke_on_cpu_tensors(load, tmp_path, capsys):
    """The GPU script, run on torch CPU tensors (no GPU here)."""
    pytest.importorskip("torch")
    bench_gpu = load("bench_gpu")
    out = bench_gpu.main(
        ["--device", "cpu", "--workloads", "W2", "--scale", "0.01", "--repeats", "1"]
    )
    (result,) = out["results"]
    rows = {row["contender"]: row for row in result["rows"]}
    assert {"auto (torch, cpu)", "auto (numpy, CPU)", "LR lbfgs (torch, cpu)"} <= set(
        rows
    )
    for solver in ["auto", "lbfgs", "newton-cg"]:
        # The same solver takes the same iterations on the device as on numpy.
        on_device = rows[f"{solver} (torch, cpu)"]
        assert on_device["iterations"] == rows[f"{solver} (numpy, CPU)"]["iterations"]
        assert on_device["seconds"] > 0
    assert "LR lbfgs on the device" in capsys.readouterr().out


def test_bench_inference_smoke(load, tmp_path, capsys):
    bench_inference = load("bench_inference")
    output = tmp_path / "inference.json"
    argv = ["--scale", "0.005", "--repeats", "1", "--workloads", "I1"]
    out = bench_inference.main([*argv, "--output", str(output)])
    (result,) = out["results"]
    assert result["shape"] == [500, 30] and result["n_params"] == 155
    for covariance in ["nonrobust", "HC0", "cluster"]:
        assert result["times"][f"ours {covariance}"][0] > 0
        assert result["peak_mb"][f"ours {covariance}"] > 0
        if bench_inference.sm is not None:
            # The same standard errors as statsmodels.
            assert result["max_rel_diff_bse"][covariance] < 1e-5
    if bench_inference.dask is not None:
        assert result["times"]["dask nonrobust"][0] > 0
    assert json.loads(output.read_text())["results"][0]["shape"] == [500, 30]
    assert "ours: inference s" in capsys.readouterr().out


def test_bench_cv_smoke(load, tmp_path, capsys):
    bench_cv = load("bench_cv")
    output = tmp_path / "cv.json"
    argv = ["--workloads", "W1", "--repeats", "1", "--folds", "3", "--n-cs", "3"]
    argv += ["--scale", "0.25", "--max-iter", "50", "--l1", "--no-install"]
    argv += ["--contenders", "LogisticRegressionCV", "--output", str(output)]
    report = bench_cv.main(argv)
    saved = json.loads(output.read_text())
    assert [r["workload"] for r in saved["results"]] == ["W1", "W1 L1"]
    l2, l1 = report["results"]
    assert [row["contender"] for row in l2["rows"]] == [
        "LogisticRegressionCV",
        "SoftmaxClassifierCV",
    ]
    names = [row["contender"] for row in l1["rows"]]
    assert names[:2] == ["LogisticRegressionCV(saga, L1)", "SoftmaxClassifierCV(L1)"]
    for row in l2["rows"] + l1["rows"][:2]:
        assert row["median_s"] > 0 and 0 <= row["choice"] < 3
        assert np.isfinite(row["test_log_loss"]) and 0 < row["test_accuracy"] <= 1
    ours = l2["rows"][1]
    assert ours["ours_over_median"] == 1.0
    assert "SoftmaxClassifierCV" in capsys.readouterr().out


def test_bench_l1_smoke(load, tmp_path, capsys):
    bench_l1 = load("bench_l1")
    output = tmp_path / "l1.json"
    argv = ["--workloads", "digits", "--scale", "0.15", "--repeats", "1"]
    argv += ["--fractions", "0.05"]
    argv += ["--l1-ratios", "1.0", "--budget", "2", "--no-record"]
    argv += ["--solvers", "prox-newton", "gd"]
    (row,) = bench_l1.main([*argv, "--output", str(output)])
    assert row["workload"] == "digits" and row["alpha"] > 0
    for name in ["prox-newton", "gd"]:
        (seconds,) = row["times"][name]["1e-06"]
        assert seconds is not None and seconds > 0
    assert row["l2_default"][0] == "lbfgs"
    assert json.loads(output.read_text())["results"][0]["times"] == row["times"]
    assert "| digits | 1.0 | 0.05 | prox-newton |" in capsys.readouterr().out
    # The gap traces end below 1e-6; merged runs give the table and the figure.
    for points in row["gaps"].values():
        assert points[-1][1] <= 1e-6
    figure = tmp_path / "gaps.png"
    merge = ["--merge", str(output), str(output), "--no-record"]
    assert len(bench_l1.main([*merge, "--figure", str(figure)])) == 2
    assert figure.stat().st_size > 0
    assert capsys.readouterr().out.count("| digits | 1.0 | 0.05 | gd |") == 2
