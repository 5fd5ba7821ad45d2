r"""Fine-tune a pretrained KerasHub segmenter with Region Rebalance on a folder of images.

The README's Quick start (docs/getting-started.md), as a script: class statistics -> preset (re-headed to your
classes, its input normalisation inside the model) -> Region Rebalance wrapper -> `fit`
-> sliding-window evaluation -> `argmax` masks -> export.

Data: two folders of files paired by name, `images/abc.jpg` with `labels/abc.png` (8-bit
grayscale or palette PNGs of class ids, 255 = ignore), as
`keras_rr.data.load_segmentation_directory` reads.

  KERAS_BACKEND=jax python examples/finetune_preset.py \
      --preset=deeplab_v3_plus_resnet50_pascalvoc --num_classes=21 \
      --train_images=data/train/images --train_labels=data/train/labels \
      --val_images=data/val/images --val_labels=data/val/labels \
      --batch_size=8 --steps=1000 --output_dir=runs/finetune

`--preset` is any KerasHub `ImageSegmenter` preset: a name such as
`deeplab_v3_plus_resnet50_pascalvoc` or `segformer_b0_ade20k_512`, a `kaggle://` /
`hf://` handle, or (offline) a directory written by `task.save_to_preset(dir)` on a
machine with network access. Without a network a remote handle fails within seconds,
saying so. The output directory receives `class_statistics.json`, `metrics.json` and
`segmenter.keras` (takes 0-255 RGB images of the crop size, returns logits).

`--crop_size` (the training crop and the model's input size) defaults to what the data
allow: the preset's input size, or less when the training images are smaller (their
smallest side, rounded down to a multiple of 32). A crop larger than the images makes
the augmentation upsample them (96 px images at a 512 crop: mIoU 0.06 against 23.1 at
96), so a `--crop_size` larger than every training image is refused and one larger than
some of them is warned about.

Training shows a progress bar with its ETA on a terminal and prints the mean losses of
the last `--log_every` steps, with the time spent and left, as it goes (the first step
also compiles the model).
"""

import json
import os
import sys
import time

from absl import app
from absl import flags

_PRESET = flags.DEFINE_string("preset", None, "KerasHub ImageSegmenter preset: name, handle or directory.")
_NUM_CLASSES = flags.DEFINE_integer("num_classes", None, "Number of classes of your labels.")
_TRAIN_IMAGES = flags.DEFINE_string("train_images", None, "Folder of training images.")
_TRAIN_LABELS = flags.DEFINE_string("train_labels", None, "Folder of training label PNGs.")
_VAL_IMAGES = flags.DEFINE_string("val_images", None, "Folder of validation images (default: the training ones).")
_VAL_LABELS = flags.DEFINE_string("val_labels", None, "Folder of validation label PNGs.")
_CROP_SIZE = flags.DEFINE_integer(
    "crop_size", None, "Training crop = the model's input size. Default: the preset's input size, or the training "
    "images' smallest side (rounded down to a multiple of 32) when that is smaller.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 8, "Training batch size.")
_STEPS = flags.DEFINE_integer("steps", 1000, "Training steps.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 0.01, "SGD learning rate (momentum 0.9).")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where the statistics, metrics and export go.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the weights of the new head, the data order and the augmentation.")
_LOG_EVERY = flags.DEFINE_integer("log_every", 25, "Print the mean losses every this many training steps.")
flags.mark_flags_as_required(["preset", "num_classes", "train_images", "train_labels", "output_dir"])


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")  # what load_segmentation_directory reads


def image_short_sides(image_dir):
    """The shorter side of every image in `image_dir`, read from the file headers only."""
    from PIL import Image

    sides = []
    for name in sorted(os.listdir(image_dir)):
        if name.lower().endswith(IMAGE_SUFFIXES):
            with Image.open(os.path.join(image_dir, name)) as image:
                sides.append(min(image.size))
    if not sides:
        raise app.UsageError(f"No images ({', '.join(IMAGE_SUFFIXES)}) in --train_images={image_dir}.")
    return sides


def check_crop_size(crop_size, sides):
    """Refuses a crop larger than every training image; warns when it exceeds some."""
    smaller = sum(side < crop_size for side in sides)
    advice = (f"pass --crop_size={_data_crop(sides)} (or leave --crop_size unset to take it from the "
              "data), or train on larger images")
    if smaller == len(sides):
        raise app.UsageError(
            f"--crop_size={crop_size} is larger than every training image (the largest is {max(sides)} px on its "
            f"shorter side): the augmentation would upsample each of them, which ruins accuracy; {advice}."
        )
    if smaller:
        print(f"Warning: --crop_size={crop_size} is larger than {smaller} of {len(sides)} training images (the "
              f"smallest is {min(sides)} px): they are upsampled; {advice}.", flush=True)


def _data_crop(sides):
    """The training images' smallest side, rounded down to a multiple of 32 (when >= 32)."""
    side = min(sides)
    return side - side % 32 if side >= 32 else side


def progress_callback(total_steps, log_every, below_a_bar=False):
    """A Keras callback printing the mean losses of every `log_every` steps, with times.

    `below_a_bar`: Keras' progress bar holds the current line; start a new one.
    """
    import keras

    keys = ("loss", "pixel_loss", "region_loss")

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start, self.sums, self.steps = time.time(), {}, 0

        def on_train_batch_end(self, batch, logs=None):
            # Keras logs running means over the epoch: step `batch + 1`'s sums are exact.
            step, logs = batch + 1, logs or {}
            if step % log_every and step != total_steps:
                return
            sums = {key: float(logs[key]) * step for key in keys if key in logs}
            window = step - self.steps
            means = "  ".join(f"{key} {(sums[key] - self.sums.get(key, 0.0)) / window:.4f}" for key in sums)
            elapsed = time.time() - self.start
            left = elapsed / step * (total_steps - step)
            lead = "\n" if below_a_bar else ""
            print(f"{lead}step {step}/{total_steps}  {means}  ({elapsed:.0f} s, about {left:.0f} s left)", flush=True)
            self.sums, self.steps = sums, step

    return Progress()


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    num_classes, crop_size, output_dir = _NUM_CLASSES.value, _CROP_SIZE.value, _OUTPUT_DIR.value
    train_images, train_labels = _TRAIN_IMAGES.value, _TRAIN_LABELS.value
    val_images, val_labels = _VAL_IMAGES.value or train_images, _VAL_LABELS.value or train_labels
    if _LOG_EVERY.value < 1:
        raise app.UsageError(f"--log_every must be >= 1. Received: --log_every={_LOG_EVERY.value}")
    # Before anything slow: a crop the images cannot fill is refused in a second.
    sides = image_short_sides(train_images)
    if crop_size is not None:
        check_crop_size(crop_size, sides)
    import keras

    import keras_rr

    keras.utils.set_random_seed(_SEED.value)
    os.makedirs(output_dir, exist_ok=True)

    # 1. Region frequency F(k) of the training labels, in one pass that also decodes every
    #    image once and lists every bad file in one error.
    labels = keras_rr.data.load_segmentation_directory(
        train_images, train_labels, num_classes=num_classes, labels_only=True
    )
    stats = keras_rr.data.compute_class_statistics(labels, num_classes=num_classes, progress=False)
    stats.save(os.path.join(output_dir, "class_statistics.json"))
    print(f"{stats.num_images} training images: PIF {stats.pixel_imbalance_factor:.1f}, "
          f"RIF {stats.region_imbalance_factor:.1f}")

    # 2. The pretrained segmenter, re-headed to our classes when the preset's count differs.
    #    It takes 0-255 RGB images: the preset's normalisation is its first layer.
    segmenter = keras_rr.models.segmenter_from_preset(_PRESET.value, num_classes=num_classes, image_size=crop_size)
    if crop_size is None:  # the preset's input size, unless the images are smaller
        preset_size = segmenter.inputs[0].shape[1]
        crop_size = min(_data_crop(sides), preset_size or _data_crop(sides))
        if crop_size != preset_size:
            segmenter = keras_rr.models.segmenter_from_preset(
                _PRESET.value, num_classes=num_classes, image_size=crop_size
            )
        print(f"crop {crop_size} px (preset input {preset_size} px, smallest training image {min(sides)} px)")

    # 3. Wrap it and train as usual (pixel CE ignoring 255 + 0.3 x region loss).
    model = keras_rr.models.RegionRebalanceSegmenter(segmenter, num_classes=num_classes, region_frequency=stats)
    model.compile(optimizer=keras.optimizers.SGD(_LEARNING_RATE.value, momentum=0.9))
    train_ds = keras_rr.data.load_segmentation_directory(
        train_images, train_labels, num_classes=num_classes, shuffle=True, seed=_SEED.value,
        augment=keras_rr.data.TrainAugmentation(crop_size), batch_size=_BATCH_SIZE.value,
    )
    print(f"training {_STEPS.value} steps of {_BATCH_SIZE.value} crops of {crop_size} px", flush=True)
    terminal = sys.stdout.isatty()
    model.fit(
        train_ds.repeat(), steps_per_epoch=_STEPS.value, epochs=1,
        verbose=1 if terminal else 0,  # Keras' progress bar, with its ETA, on a terminal
        callbacks=[progress_callback(_STEPS.value, _LOG_EVERY.value, below_a_bar=terminal)],
    )

    # 4. Evaluate the plain segmenter with a sliding window over whole images.
    val_ds = keras_rr.data.load_segmentation_directory(val_images, val_labels, num_classes=num_classes, batch_size=1)
    metrics = keras_rr.inference.evaluate_segmenter(
        model.segmenter, val_ds, num_classes, mode="slide", crop_size=crop_size, stride=crop_size * 2 // 3,
        progress=False,
    )
    print(f"mIoU {100 * metrics.miou:.2f}  mAcc {100 * metrics.macc:.2f}  aAcc {100 * metrics.aacc:.2f}")
    with open(os.path.join(output_dir, "metrics.json"), "w") as f:
        json.dump({"miou": metrics.miou, "macc": metrics.macc, "aacc": metrics.aacc}, f)

    # 5. Inference is the plain segmenter: logits, and their argmax as masks.
    images, _ = next(iter(train_ds))
    scores = model.predict(images, verbose=0)  # == segmenter.predict(images): (B, H, W, K) logits
    masks = scores.argmax(axis=-1)  # (B, H, W) class ids
    print(f"masks {masks.shape}, classes present: {sorted(set(masks.ravel().tolist()))}")

    # 6. Export: the segmenter with its normalisation, without the region branch.
    report = keras_rr.export.export_segmenter(model, os.path.join(output_dir, "segmenter.keras"))
    print(f"exported {report['path']} (max abs diff {report['max_abs_diff']:.2e})")
    return 0


if __name__ == "__main__":
    app.run(main)
