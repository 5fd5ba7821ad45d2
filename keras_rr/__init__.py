"""keras_rr: Region Rebalance for long-tailed semantic segmentation in Keras 3.

Importing the package stays light: it needs only `keras` and `numpy`. TensorFlow
Datasets, KerasHub and KerasCV are imported by the functions that use them. It registers
every class a saved `model.keras` of this package names (wrapper, region head, losses,
`keras_rr.optimizers`, the layers of `keras_rr.models`), so
`keras.saving.load_model` works after `import keras_rr` alone.

Reading order: the faces `keras_rr.models`, `.layers`, `.losses`, `.ops` (re-exports
only); the method in `keras_rr.region_rebalance`; the networks it trains in
`keras_rr.networks` (layers -> backbones -> decode heads -> segmenters); the pixel
losses in `keras_rr.pixel_losses`; `keras_rr.data`, `.metrics`, `.inference`,
`.export`, `.optimizers`.

Not imported here: `keras_rr.training` (configs, the resumable trainer),
`keras_rr.experiments` (paired runs, run comparisons, the demo; built on training) and
the command-line tools `keras_rr.tools.<name>`.

Example:

```python
import keras_rr
model = keras_rr.models.RegionRebalanceSegmenter(
    segmenter, num_classes=150, region_frequency="stats.json")
model.compile(optimizer="sgd")
model.fit(train_ds)
```
"""

# A `python -m keras_rr.tools.<name>` run sets TF / XLA / absl log levels before Keras
# loads them (nothing happens when user code imports keras_rr; see keras_rr/tools/quiet.py).
from keras_rr.tools import quiet as _tool_logs  # noqa: I001 - must run before Keras loads

_tool_logs.quiet_tool_logs()

from keras_rr import data  # noqa: E402
from keras_rr import export  # noqa: E402
from keras_rr import inference  # noqa: E402
from keras_rr import layers  # noqa: E402
from keras_rr import losses  # noqa: E402
from keras_rr import metrics  # noqa: E402
from keras_rr import models  # noqa: E402
from keras_rr import ops  # noqa: E402
from keras_rr import optimizers  # noqa: E402
from keras_rr import validation  # noqa: E402
from keras_rr import version  # noqa: E402

__version__ = version.__version__
