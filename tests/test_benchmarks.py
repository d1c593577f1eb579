"""A smoke run of the solver benchmark, so the script cannot rot."""

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench_solvers(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_solvers

    yield bench_solvers
    sys.modules.pop("bench_solvers", None)
    sys.modules.pop("workloads", None)


def test_bench_solvers_smoke(bench_solvers, tmp_path, capsys):
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
