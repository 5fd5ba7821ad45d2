"""The Region Rebalance method, in one folder that reads top to bottom.

1. `region_pooling.py`: `region_mean`, the mean decoder feature of every
   (image, ground-truth class) region, with static shapes for compiled steps.
2. `region_rebalance_loss.py`: the balanced-softmax region loss with the region
   prior `log F(k)`, one pure function (`region_rebalance_loss`) and its Keras `Loss`.
3. `region_rebalance_head.py`: `RegionRebalanceHead`, the training-only layer that pools,
   classifies regions and returns their loss (paper eq. 6-8).
4. `segmenter_tap.py`: finds a segmenter's decoder features and pixel logits.
5. `region_rebalance_segmenter.py`: `RegionRebalanceSegmenter`, the `keras.Model`
   wrapper that adds `loss_weight * region loss` to the pixel loss in `fit`
   (paper eq. 9) and predicts with the plain segmenter.
6. `replica_context.py`: global-batch means under `tf.distribute`.

The public names are re-exported where users look for them: `keras_rr.ops`,
`keras_rr.losses`, `keras_rr.layers` and `keras_rr.models`. The method itself is
specified in `docs/method.md`.
"""
