r"""Host time of the region term (forward + backward) on a tiny batch, eager torch.

Keras on torch runs eagerly: each op costs tens of microseconds of Python and dispatch
whatever the tensor size, and a ResNet-50 step at 512 px is host-bound on a fast GPU
(about 190 ms of host time for 96 ms of kernels on an H200). What the region branch adds
to such a step is then its host time, which this script measures on tiny tensors where
the arithmetic is negligible; divide by the GPU step time for the expected ratio.

  KERAS_BACKEND=torch python benchmarks/region_term_host_time.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

_CLASSES = flags.DEFINE_integer("num_classes", 150, "Number of classes (ADE20K: 150).")
_CHANNELS = flags.DEFINE_integer("channels", 256, "Decoder feature channels.")
_CALLS = flags.DEFINE_integer("calls", 200, "Forward + backward passes per timed repeat.")
_REPEATS = flags.DEFINE_integer("repeats", 7, "Timed repeats (median).")


def main(argv):
    del argv
    import keras
    import numpy as np

    import keras_rr
    from benchmarks import timing
    from keras_rr.models import small_fcn

    if keras.backend.backend() != "torch":
        raise SystemExit("The eager host cost is a torch question: run with KERAS_BACKEND=torch.")
    import torch

    k = _CLASSES.value
    model = keras_rr.models.RegionRebalanceSegmenter(
        small_fcn(k, image_size=64, width=_CHANNELS.value), k, region_frequency=np.arange(1, k + 1)
    )
    rng = np.random.default_rng(0)
    # Batch 2, 16x16 features and 64x64 labels (stride 4): tiny, so time is host time.
    features = torch.tensor(rng.normal(size=(2, 16, 16, _CHANNELS.value)).astype("float32"), requires_grad=True)
    labels = keras.ops.convert_to_tensor(rng.integers(0, k, size=(2, 64, 64)).astype("int32"))

    def passes():
        for _ in range(_CALLS.value):
            region_sum, region_count = model.region_head.call(features, labels)  # as the wrapper does
            (region_sum / region_count).backward()

    passes()  # warm-up
    seconds = timing.time_call(passes, _REPEATS.value) / _CALLS.value
    print(f"| torch | {timing.device_name()} | K={k} C={_CHANNELS.value} | region term forward + backward: "
          f"{1e6 * seconds:.0f} us of host time per step |")


if __name__ == "__main__":
    app.run(main)
