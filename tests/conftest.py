"""Shared pytest setup: every test runs under the backend named by KERAS_BACKEND."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Keep TF quiet and single-threaded-friendly on the 2-core CI machine.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Most of the JAX suite's time is XLA compiling tiny models once each; XLA's
# optimisation passes do not pay for themselves there (the supported-segmenter tests took
# 129 s with them, 79 s without). Tests that read the optimised program enable them again
# (`tests/harness.py: xla_optimizations`). Subprocesses inherit the setting.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "true")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_and_clean_state():
    keras.utils.set_random_seed(1234)
    np.random.seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
    # free_memory=False skips a full gc.collect() per test (0.5 s each on torch).
    keras.backend.clear_session(free_memory=False)


@pytest.fixture(scope="session")
def resnet_presets(tmp_path_factory):
    """Tiny KerasHub presets saved once per session, loaded back offline by the tests:
    `{"resnet", "deeplab", "encoder_weights", "task_weights"}` (see
    `tests.tiny_models.save_resnet_presets`; the task has `PRESET_CLASSES` classes)."""
    from tests import tiny_models

    return tiny_models.save_resnet_presets(str(tmp_path_factory.mktemp("presets")), tiny_models.PRESET_CLASSES)


# Tests whose code path does not depend on KERAS_BACKEND run on one backend only (CI time:
# `make test` runs the suite once per backend on 2 cores). Key: a test file, or a file and
# test name ("file::test"); value: the backend it runs on, and why the others add nothing.
RUN_ON_ONE_BACKEND = {
    # Reading torch files and renaming checkpoint layouts: NumPy and torch, no Keras variable.
    "tests/checkpoints/test_checkpoint_files_and_layouts.py": (
        "torch", "checkpoint reading and key renaming use no Keras backend"
    ),
    # The trainer's wiring of model.checkpoint / encoder_checkpoint; the loading itself is
    # tested per backend in tests/checkpoints/.
    "tests/training/test_torch_checkpoint_fields.py": ("torch", "config wiring; loading is tested per backend"),
    # keras_rr.data is tf.data and NumPy only: no Keras op, no model.
    "tests/data/": ("tensorflow", "keras_rr.data uses no Keras backend"),
    "tests/tools/test_dataset_stats.py": ("tensorflow", "the statistics CLI reads data only"),
    # These CLIs pin their subprocess's backend themselves (numpy, tensorflow).
    "tests/tools/test_compare.py": ("tensorflow", "the compare CLI runs on the NumPy backend"),
    "tests/tools/test_evaluate.py": ("tensorflow", "the test runs the evaluate CLI on TensorFlow"),
    # The main job's default backend (`make demo`); the trainer it runs is tested per backend.
    "tests/tools/test_demo.py::test_demo_quick_run_writes_report_and_plots": ("jax", "make demo runs on JAX"),
    "tests/benchmarks/test_benchmark_scripts.py::test_train_step_overhead_benchmark_reports_ratio_and_noise_floor": (
        "torch", "the script's table logic is backend-independent; the wrapper's steps are tested per backend"
    ),
    # Builds the wheel and installs it into a fresh JAX-only venv: its own backend, whatever
    # the suite runs under (about 20 s, mostly pip).
    "tests/test_packaging.py": ("jax", "the wheel and its fresh venv do not depend on the suite's backend"),
    "tests/models/test_resnet_v1c.py::test_full_width_channels_and_output_stride_16": (
        "tensorflow", "layer shapes and names of the functional graph are backend-independent"
    ),
    "tests/models/test_resnet_v1c_segmenters.py::test_build_segmenter_builds_the_full_v1c_by_name": (
        "tensorflow", "the config path builds the same graph on every backend (shapes and names only)"
    ),
    "tests/models/test_resnet_v1c_segmenters.py::test_config_field_and_bad_combinations_are_named": (
        "tensorflow", "argument checks before anything is built"
    ),
    "tests/models/test_resnet_v1c_segmenters.py::test_deeplab_v3_plus_on_v1c_exports_verified": (
        "tensorflow", "the V1c encoder is stock Keras layers; one export path verifies it (CI time)"
    ),
    "tests/benchmarks/test_paper_networks.py": ("tensorflow", "the registry's builder calls are backend-independent"),
    "tests/models/test_resnet_v1c_segmenters.py::test_config_variant_selects_v1c_on_resnet_rows_only": (
        "torch", "config files are plain Python and ml_collections"
    ),
    "tests/metrics/test_frequency_groups.py": ("tensorflow", "frequency groups are NumPy only"),
    "tests/training/test_metrics_report_groups.py": ("tensorflow", "the report's group mIoU is NumPy only"),
    "tests/test_package.py::test_import_is_light": ("tensorflow", "what `import keras_rr` loads is backend-independent"),
    "tests/training/test_copy_paste_training.py::test_stream_pastes_the_source_drawn_from_the_global_index": (
        "tensorflow", "the training stream is tf.data only"
    ),
    **{
        f"tests/experiments/test_long_tail_comparison.py::{name}": ("tensorflow", "epoch sampling and rows are NumPy / tf.data")
        for name in (
            "test_rfs_epochs_cut_the_sampled_stream_into_epochs_of_n",
            "test_copy_paste_epochs_paste_uniform_sources_with_the_seeded_draws",
            "test_rows_are_paired_differences_with_intervals",
        )
    },
    "tests/training/test_config_snapshot.py": ("torch", "config files are plain Python and ml_collections"),
    "tests/models/test_ocr_net.py::test_hrnet_w18_and_w48_shapes_and_parameter_counts": (
        "torch", "the layer graph a builder makes does not depend on the backend (numerics: the timm test)"
    ),
    "tests/models/test_ocr_net.py::test_ocr_net_exports_without_training_parts": (
        "torch", "CI time (a .keras save + reload of HRNet's ~300 layers: 25 s on TF); the export of a wrapper is "
        "tested per backend in tests/export, and benchmarks/export_table.py --models=ocr_net_hrnet covers every format"
    ),
    "tests/training/test_run_config.py": ("torch", "config.json comparisons are plain Python"),
    # Whole mmseg segmentors: the V1c PSPNet / UPerNet cases add only their (already per-backend
    # tested, `*_resnet_c` cases) heads to the V1c encoder the DeepLabV3+ case loads on every
    # backend; JAX compiles each network (~4-5 s a case, CI time). `[param]` selects one case.
    "tests/checkpoints/test_mmseg_segmentors.py::test_mmseg_segmentor_state_dict_loads_and_predicts_as_torch"
    "[psp_net_resnet_v1c]": ("torch", "its encoder and heads load on every backend in other cases (CI time)"),
    "tests/checkpoints/test_mmseg_segmentors.py::test_mmseg_segmentor_state_dict_loads_and_predicts_as_torch"
    "[uper_net_resnet_v1c]": ("torch", "its encoder and heads load on every backend in other cases (CI time)"),
    # Signal handling is Python's (`keras_rr.training.interruption`) around any backend's
    # `fit`; torch starts the subprocess fastest. Checkpoint/resume is tested per backend.
    # The docs site: the build reads source only; the pages' examples run public APIs whose
    # backend paths are tested per backend elsewhere.
    "tests/test_docs.py": ("jax", "the site build and the pages' examples do not depend on the backend"),
    "tests/tools/test_train.py::test_the_getting_started_folder_command_runs_as_written": (
        "torch", "the CLI and loaders are tested per backend elsewhere (test_trainer's folder run)"
    ),
    "tests/tools/test_train.py::test_sigterm_saves_the_running_step_and_the_same_command_resumes_there": (
        "torch", "signals are handled by Python around fit, the same on every backend"
    ),
}


def pytest_collection_modifyitems(config, items):
    backend = os.environ["KERAS_BACKEND"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for item in items:
        relative = os.path.relpath(str(item.path), root).replace(os.sep, "/")
        for key, (only, why) in RUN_ON_ONE_BACKEND.items():
            file, _, name = key.partition("::")
            matches = relative.startswith(file) if file.endswith("/") else relative == file
            if matches and (not name or name in (item.originalname, item.name)) and backend != only:
                item.add_marker(pytest.mark.skip(reason=f"runs on {only} only: {why}"))
