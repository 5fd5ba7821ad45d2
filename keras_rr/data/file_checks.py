"""One pass over a file loader's files: decode every image and label once, list every bad file.

`keras_rr.data.compute_class_statistics(dataset, validate=True)` counts its statistics
from this pass, so checking costs the image decodes and nothing else. A file is bad
when:

- it cannot be decoded (damaged, truncated, not an image / not a PNG label);
- its image and label sizes differ;
- its label cannot be read as class ids (coloured without `color_map`, a colour the
  `color_map` does not list, 16-bit channels; see `keras_rr.data.label_png`);
- its label holds values the dataset does not define (with `validate_labels`).

All bad files are reported together in one `ValueError`, each with its path, instead
of the first one stopping training hours in. The pass is a parallel `tf.data` map; a
file TensorFlow fails to decode is skipped there (`ignore_errors`) and decoded again
alone to get its message.
"""

import re

import numpy as np

from keras_rr.data.augmentation import resize_nearest
from keras_rr.data.file_datasets import decode_image
from keras_rr.data.file_datasets import file_damage
from keras_rr.data.label_png import decode_label_values

# How many invalid label values one problem line lists.
_MAX_VALUES = 10


def _op_message(error):
    """TensorFlow's error text without its graph-node and op decorations."""
    text = re.sub(r"\{\{[^}]*\}\}", "", error.message.splitlines()[0])
    return re.sub(r"\s*\[Op:.*$", "", text).strip()


class FileCheck:
    """Checks the files of a `keras_rr.data.file_datasets.DatasetFiles` and yields its labels.

    Args:
        files: `DatasetFiles`.
        max_images: int or None. Check only the first pairs (sorted by name).
            Defaults to `None` (all).

    Example:

    ```python
    check = FileCheck(dataset_files(dataset))
    for path, label in check.labels():
        ...
    check.raise_if_bad()
    ```
    """

    def __init__(self, files, max_images=None):
        self.files = files
        count = len(files.label_paths) if max_images is None else min(max_images, len(files.label_paths))
        self.image_paths = files.image_paths[:count]
        self.label_paths = files.label_paths[:count]
        self.problems = {}

    def __len__(self):
        return len(self.label_paths)

    def add(self, path, message):
        """Records what is wrong with `path` (one line per file and problem)."""
        self.problems.setdefault(path, []).append(message)

    def _dataset(self):
        import tensorflow as tf

        table, options = self.files.table, self.files.options
        color_map = options.color_map

        def check(index, image_path, label_path):
            label_bytes = tf.io.read_file(label_path)
            damage = file_damage(label_bytes, "label")
            raw, label_problem = tf.cond(
                tf.equal(damage, ""),
                lambda: decode_label_values(label_bytes, color_map),
                lambda: (tf.zeros([0, 0], tf.int32), damage),
            )
            bad_values = tf.zeros([0], tf.int32)
            if options.validate_labels:
                is_valid = tf.gather(tf.constant(table.valid), raw)
                bad_values = tf.unique(tf.boolean_mask(raw, tf.logical_not(is_valid)))[0]
            image_bytes = tf.io.read_file(image_path)
            image_problem = file_damage(image_bytes, "image")
            image_size = tf.cond(
                tf.equal(image_problem, ""),
                lambda: tf.shape(decode_image(image_bytes))[:2],
                lambda: tf.constant([-1, -1]),
            )
            label = tf.gather(tf.constant(table.lut), raw)
            if options.image_size is not None:
                label = tf.cond(
                    tf.equal(tf.size(label), 0),
                    lambda: tf.zeros(options.image_size, tf.int32),
                    lambda: resize_nearest(label[..., None], options.image_size)[..., 0],
                )
            return index, label, tf.shape(raw), label_problem, bad_values, image_size, image_problem

        indices = np.arange(len(self), dtype=np.int64)
        sources = tf.data.Dataset.from_tensor_slices((indices, list(self.image_paths), list(self.label_paths)))
        return sources.map(check, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors().prefetch(tf.data.AUTOTUNE)

    def labels(self):
        """Yields `(label_path, label int32 (H, W))` of every good pair, recording bad ones."""
        seen = np.zeros(len(self), dtype=bool)
        hint = self.files.table.hint
        for element in self._dataset().as_numpy_iterator():
            index, label, label_size, label_problem, bad_values, image_size, image_problem = element
            seen[index] = True
            image_path, label_path = self.image_paths[index], self.label_paths[index]
            good = True
            if label_problem:
                self.add(label_path, label_problem.decode())
                good = False
            elif bad_values.size:
                values = sorted(int(v) for v in bad_values)
                more = " ..." if len(values) > _MAX_VALUES else ""
                self.add(label_path, f"holds values outside the expected ids{hint}: {values[:_MAX_VALUES]}{more}")
                good = False
            if image_problem:
                self.add(image_path, image_problem.decode())
                good = False
            elif not label_problem and tuple(image_size) != tuple(label_size):
                self.add(
                    image_path,
                    f"has size {tuple(int(v) for v in image_size)} but its label {label_path} has size "
                    f"{tuple(int(v) for v in label_size)}",
                )
                good = False
            if good:
                yield label_path, label
        for index in np.flatnonzero(~seen):
            self._explain_decode_failure(self.image_paths[index], self.label_paths[index])

    def _explain_decode_failure(self, image_path, label_path):
        """Decodes a pair that failed in the parallel pass, one file at a time, for the message."""
        import tensorflow as tf

        found = False
        for path, decode in ((label_path, lambda b: decode_label_values(b, self.files.options.color_map)),
                             (image_path, decode_image)):
            try:
                decode(tf.io.read_file(path))
            except tf.errors.OpError as error:
                self.add(path, f"cannot be decoded ({_op_message(error)})")
                found = True
        if not found:
            self.add(label_path, "could not be read with its image " + image_path)

    def raise_if_bad(self):
        """Raises one `ValueError` listing every bad file with its problems."""
        if not self.problems:
            return
        lines = [f"  {path}: {'; '.join(messages)}" for path, messages in sorted(self.problems.items())]
        raise ValueError(
            f"{len(self.problems)} file(s) of the {len(self)} image/label pairs checked cannot be used "
            f"({self.files.table.dataset_name}). Fix or remove them and run again:\n" + "\n".join(lines)
        )
