r"""Region Rebalance in 40 lines: statistics, wrap, fit, evaluate, export.

Runs on any backend in about a minute on a laptop CPU, on the embedded synthetic data:

  KERAS_BACKEND=jax python examples/quickstart.py
"""

import os
import tempfile

import keras
import numpy as np

import keras_rr
from keras_rr.models import small_fcn

NUM_CLASSES = 12

# Embedded long-tailed data (train and validation differ only in their seed).
train_images, train_labels = keras_rr.data.synthetic_long_tailed(num_images=300, num_classes=NUM_CLASSES, seed=0)
val_images, val_labels = keras_rr.data.synthetic_long_tailed(num_images=100, num_classes=NUM_CLASSES, seed=1)

# F(k): number of training images containing class k.
stats = keras_rr.data.compute_class_statistics(train_labels, NUM_CLASSES, progress=False)
print(f"PIF {stats.pixel_imbalance_factor:.0f}, RIF {stats.region_imbalance_factor:.0f}")

segmenter = small_fcn(NUM_CLASSES, image_size=64)
model = keras_rr.models.RegionRebalanceSegmenter(segmenter, NUM_CLASSES, region_frequency=stats)
print("region features:", model.feature_description)
model.compile(
    optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
    metrics=[keras_rr.metrics.SegmentationConfusionMatrix(NUM_CLASSES, name="miou")],
)
model.fit(train_images, train_labels, batch_size=16, epochs=5, validation_data=(val_images, val_labels))

# Inference is the plain segmenter; its per-class report:
scores = model.predict(val_images, verbose=0)
cm = keras_rr.metrics.confusion_matrix_numpy(val_labels, np.argmax(scores, -1), NUM_CLASSES)
metrics = keras_rr.metrics.metrics_from_confusion_matrix(cm)
print(keras_rr.metrics.per_class_table(metrics, pixel_counts=stats.pixel_counts))

path = os.path.join(tempfile.mkdtemp(), "segmenter.keras")
print(keras_rr.export.export_segmenter(model, path))
