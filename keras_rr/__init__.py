"""keras_rr: Region Rebalance for long-tailed semantic segmentation in Keras 3.

Importing the package stays light: it needs only `keras` and `numpy`. TensorFlow
Datasets, KerasHub and KerasCV are imported by the functions that use them. It registers
every class a saved `model.keras` of this package names (wrapper, region head, losses,
`keras_rr.optimizers`, the layers of `keras_rr.models`), so
`keras.saving.load_model` works after `import keras_rr` alone.

Example:

```python
import keras_rr
model = keras_rr.models.RegionRebalanceSegmenter(
    segmenter, num_classes=150, region_frequency="stats.json")
model.compile(optimizer="sgd")
model.fit(train_ds)
```
"""

from keras_rr import data
from keras_rr import export
from keras_rr import inference
from keras_rr import layers
from keras_rr import losses
from keras_rr import metrics
from keras_rr import models
from keras_rr import ops
from keras_rr import optimizers
from keras_rr import validation
from keras_rr import version

__version__ = version.__version__
