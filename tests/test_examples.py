"""Every script in examples/ runs to completion."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


def test_examples_exist():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_main_job_reproduces_the_seed(capsys):
    from sk_softmax.__main__ import main

    main()
    out = capsys.readouterr().out
    assert "SoftMax Outputs: [0.68417808 0.10975145 0.20607048]" in out
    assert "ArgMax Output (Index): 0" in out
    assert "ArgMax one-hot: [1 0 0]" in out
    assert "SoftmaxClassifier" in out and "LogisticRegression" in out
