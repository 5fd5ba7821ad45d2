"""The benchmarks run end to end, at toy sizes (the model benchmarks on every backend, the
tf.data input pipeline benchmark once, under TensorFlow).

`benchmarks/gpu.sh` runs the model benchmarks on a lent GPU, where a crash costs minutes
of a 15-minute budget; here they run in CI at sizes that take seconds. Only what the
scripts print is checked (timings at these sizes mean nothing), plus the one exact
result: the exported segmenter's predictions equal the original's.
"""

import re

import pytest

from tests.harness import run_script
from tests.harness import skip_on_backends

_TOY_MODEL = ["--depth=18", "--image_size=32", "--batch_size=2", "--num_classes=5"]


def _table_rows(stdout):
    return [line for line in stdout.splitlines() if line.startswith("|")]


@pytest.mark.slow
@skip_on_backends(
    "jax", reason="CI time on JAX (each subprocess compiles the model op by op); "
    "its export check is tested on JAX in tests/export",
)
def test_inference_benchmark_exported_predictions_equal_the_originals():
    proc = run_script("benchmarks/inference.py", _TOY_MODEL + ["--steps=1", "--repeats=3"])
    (row,) = _table_rows(proc.stdout)
    assert "max abs diff 0.0e+00, labels differing 0" in row, row
    assert re.search(r"\*\*\d+\.\d+x\*\* \| noise floor \(original twin\) \d+\.\d+x", row), row


@pytest.mark.slow
def test_train_step_overhead_benchmark_reports_ratio_and_noise_floor():
    proc = run_script(
        "benchmarks/train_step_overhead.py", _TOY_MODEL + ["--steps=1", "--repeats=2", "--noise_floor"]
    )
    rows = _table_rows(proc.stdout)
    assert any(re.search(r"\*\*\d+\.\d+x\*\* \| noise floor \(plain twin\) \d+\.\d+x", r) for r in rows), rows


def test_region_pooling_benchmark_times_every_method():
    proc = run_script(
        "benchmarks/region_pooling.py", ["--sizes=8", "--channels=4", "--num_classes=5", "--repeats=1"]
    )
    text = "\n".join(_table_rows(proc.stdout))
    for method in ("sum (floor)", "segment_sum", "one_hot", "labels-res segment_sum"):
        assert f"| {method} |" in text, text


@skip_on_backends("jax", "torch", reason="the input pipeline is tf.data: the Keras backend plays no part")
def test_input_pipeline_benchmark_reports_decode_augment_and_cores():
    proc = run_script(
        "benchmarks/input_pipeline.py",
        ["--num_images=3", "--size_scale=0.125", "--crop_size=32", "--repeats=1", "--threads=1"],
    )
    rows = _table_rows(proc.stdout)
    number = r"\d+\.\d+"
    assert any(re.fullmatch(rf"\| 1 \| {number} \| {number} \| {number} \| {number} \| {number}x \| -?{number} "
                            rf"\| -?{number}x \| {number} \|", r)
               for r in rows), rows
    assert re.search(rf"One core augments {number} images/s \(CPU time\): 200 images/s take {number} cores",
                     proc.stdout)


@skip_on_backends(
    "jax", "torch",
    reason="CI time: the table command is the same code on every backend (one subprocess each); "
    "per-backend export routes and refusals are tested in tests/export",
)
def test_export_table_reports_a_verified_difference_per_format(tmp_path):
    from tests.harness import BACKEND

    output = tmp_path / "table.md"
    proc = run_script(
        "benchmarks/export_table.py",
        [f"--backends={BACKEND}", "--models=small_fcn", "--formats=keras,onnx", "--image_size=32",
         "--num_classes=3", f"--output={output}"],
    )
    rows = _table_rows(proc.stdout)
    assert rows[0] == f"| format | model | {BACKEND} |"
    assert rows[2].startswith("| `keras` | functional small FCN | 0.0e+00 / 100.0 % |"), rows
    onnx = rows[3]  # written and verified from TF and torch; JAX names the backends that can
    expected = r"— \(tensorflow and torch backends\)" if BACKEND == "jax" else r"\d\.\de-\d\d / 100\.0 %"
    assert re.search(expected, onnx), onnx
    assert output.read_text().startswith("Each export is loaded by its own runtime")
