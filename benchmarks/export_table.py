r"""The export matrix (docs/results/export-matrix.md): export format x backend x verified difference.

For every backend (one subprocess each: the backend is fixed at import) and model, every
format is exported with `keras_rr.export.export_segmenter` (logits out). Its own runtime
loads the artifact and runs it on random images of the input size; a cell gives the max
abs logit difference relative to the largest logit and the argmax agreement, or why the
export refused (converter failure, over tolerance, or a backend that cannot write the
format: the cell names the one that can).

  python benchmarks/export_table.py                          # all backends, 3 models
  python benchmarks/export_table.py --backends=tensorflow --models=deeplab_v3_plus
  python benchmarks/export_table.py --image_size=128 --num_classes=150 --output=table.md
"""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

MODELS = {
    "small_fcn": "functional small FCN",
    "deeplab_v3_plus": "KerasHub DeepLabV3+ R18",
    "segformer": "KerasHub SegFormer-B0",
    "psp_net": "PSPNet ResNet-18c OS 8 (64-ch head)",
    "uper_net_swin": "UPerNet Swin (2 blocks per stage, 64-ch head)",
    "ocr_net_hrnet": "OCRNet HRNetV2-W18 (1 module, 1 block per stage, 64-ch heads)",
    "deeplab_v3_plus_v1c": "DeepLabV3+ ResNetV1c OS 8 (1 block per stage, 16-wide, 64-ch head)",
    "uper_net_beit": "UPerNet BEiT (tiny: 4 blocks, 32 wide, 64-ch head)",
}
BACKENDS = ("tensorflow", "jax", "torch")
# keras_rr.export.EXPORT_FORMATS, spelled out: the parent process imports no backend.
FORMATS = ("keras", "tf_saved_model", "onnx", "litert")

_BACKENDS = flags.DEFINE_list("backends", list(BACKENDS), "Backends (one subprocess each).")
_MODELS = flags.DEFINE_list("models", list(MODELS), f"Models: {', '.join(MODELS)}.")
_FORMATS = flags.DEFINE_list("formats", None, f"Formats (default: {', '.join(FORMATS)}).")
_IMAGE_SIZE = flags.DEFINE_integer("image_size", 64, "Square image size.")
_NUM_CLASSES = flags.DEFINE_integer("num_classes", 19, "Number of classes.")
_OUTPUT = flags.DEFINE_string("output", None, "Also write the markdown table here.")
_WORKER = flags.DEFINE_string("worker", None, "Internal: run the exports of this backend, print JSON lines.")


def build_model(name, num_classes, image_size):
    from keras_rr import models

    if name == "small_fcn":
        return models.small_fcn(num_classes, image_size=image_size)
    if name == "deeplab_v3_plus":
        return models.deeplab_v3_plus_resnet(num_classes, depth=18, image_size=image_size)
    if name == "segformer":
        return models.segformer_mit(num_classes, "b0", image_size=image_size)
    if name == "psp_net":
        return models.psp_net_resnet_c(num_classes, depth=18, image_size=image_size, channels=64)
    if name == "uper_net_swin":
        import keras_hub

        # Two blocks per stage: the second shifts its windows (tf.roll), as in every real Swin.
        encoder = keras_hub.models.SwinTransformerBackbone(
            image_shape=(image_size, image_size, 3), embed_dim=16, depths=(2, 2, 2, 2), num_heads=(1, 1, 2, 2),
            window_size=2,
        )
        return models.uper_net_swin(num_classes, image_size=image_size, encoder=encoder, channels=64)
    if name == "ocr_net_hrnet":
        return models.ocr_net_hrnet(num_classes, width=18, image_size=image_size, channels=64, ocr_channels=32,
                                    num_modules=(1, 1, 1, 1), num_blocks=(1, 1, 1, 1))
    if name == "deeplab_v3_plus_v1c":
        encoder = models.resnet_v1c_backbone(50, output_stride=8, image_size=image_size, stage_blocks=(1, 1, 1, 1),
                                             stem_channels=16, base_channels=16)
        return models.deeplab_v3_plus_resnet_c(num_classes, image_size=image_size, encoder=encoder, channels=64)
    if name == "uper_net_beit":
        return models.uper_net_beit(num_classes, variant="tiny", image_size=image_size, channels=64)
    raise ValueError(f"Unknown model {name!r}; expected one of {sorted(MODELS)}")


def run_worker(models, formats, num_classes, image_size):
    """Exports every model in every format from this process' backend; one JSON line each."""
    import keras

    from keras_rr.export import export_segmenter
    from keras_rr.export.writers import FORMAT_SUFFIXES
    backend = keras.backend.backend()
    with tempfile.TemporaryDirectory() as directory:
        for name in models:
            keras.utils.set_random_seed(0)
            model = build_model(name, num_classes, image_size)
            for format in formats or FORMATS:
                row = {"backend": backend, "model": name, "format": format}
                start = time.perf_counter()
                try:
                    path = os.path.join(directory, f"{name}{FORMAT_SUFFIXES.get(format, '')}")
                    report = export_segmenter(model, path, format=format)
                    row.update({k: report[k] for k in ("relative_diff", "max_abs_diff", "argmax_agreement", "route")})
                except Exception as error:  # noqa: BLE001 - the table reports every refusal
                    row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
                row["seconds"] = round(time.perf_counter() - start, 1)
                print(json.dumps(row), flush=True)


def cell(row):
    if row is None:
        return "not run"
    if "error" in row:
        message = row["error"]
        if message.startswith("ValueError") and "cannot be written" in message:
            can = message.split("The ")[1].split(" can write")[0] if "The " in message else "another backend"
            return f"— ({can})"
        if "does not reproduce" in message:
            return "refused: wrong outputs"
        return "refused: converter failed"
    return f"{row['relative_diff']:.1e} / {100 * row['argmax_agreement']:.1f} %"


def markdown(rows, backends, models, formats):
    by_key = {(r["backend"], r["model"], r["format"]): r for r in rows}
    lines = [
        "| format | model | " + " | ".join(backends) + " |",
        "|---|---|" + "---|" * len(backends),
    ]
    for format in formats:
        for model in models:
            cells = [cell(by_key.get((b, model, format))) for b in backends]
            lines.append(f"| `{format}` | {MODELS[model]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv):
    del argv
    if _WORKER.value:
        run_worker(_MODELS.value, _FORMATS.value, _NUM_CLASSES.value, _IMAGE_SIZE.value)
        return
    formats = _FORMATS.value or list(FORMATS)
    rows = []
    for backend in _BACKENDS.value:
        argv = [sys.executable, os.path.abspath(__file__), f"--worker={backend}", f"--models={','.join(_MODELS.value)}",
                f"--formats={','.join(formats)}", f"--image_size={_IMAGE_SIZE.value}",
                f"--num_classes={_NUM_CLASSES.value}"]
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                rows.append(json.loads(line))
                print(f"{backend:10s} {rows[-1]['model']:16s} {rows[-1]['format']:15s} "
                      f"{cell(rows[-1])}  ({rows[-1]['seconds']} s)", file=sys.stderr)
        if proc.returncode != 0:
            print(f"{backend}: worker failed\n{proc.stderr[-3000:]}", file=sys.stderr)
    table = markdown(rows, _BACKENDS.value, _MODELS.value, formats)
    header = (
        f"Each export is loaded by its own runtime and run on random {_IMAGE_SIZE.value} px images "
        f"(K={_NUM_CLASSES.value}): max |logit difference| / largest |logit|, then argmax agreement. "
        "— (x): the backend cannot write the format; x can.\n\n"
    )
    print(header + table)
    if _OUTPUT.value:
        with open(_OUTPUT.value, "w") as f:
            f.write(header + table + "\n\n```json\n" + json.dumps(rows, indent=1) + "\n```\n")


if __name__ == "__main__":
    app.run(main)
