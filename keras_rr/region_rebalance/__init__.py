"""The Region Rebalance method, in one folder that reads top to bottom.

1. `region_pooling.py`: `region_mean`, the mean decoder feature of every
   (image, ground-truth class) region, with static shapes for compiled steps.
2. `region_rebalance_loss.py`: the balanced-softmax region loss with the region
   prior `log F(k)` (`keras_rr.pixel_losses.balanced_softmax_cross_entropy.log_class_prior`),
   one pure function (`region_rebalance_loss`) and its Keras `Loss`.
3. `region_feature_reducer.py`: the authors' 1x1 conv + BN before pooling.
4. `region_rebalance_head.py`: `RegionRebalanceHead`, the training-only layer that pools,
   classifies regions and returns their loss (paper eq. 6-8); its options, defined once
   by its signature (`region_head_options`), and its two presets ("paper", "authors").
5. `segmenter_tap.py`: finds a segmenter's decoder features and pixel logits.
6. `region_rebalance_segmenter.py`: `RegionRebalanceSegmenter`, the `keras.Model`
   wrapper that composes the training-only heads (region, auxiliary) and adds their
   weighted losses to the pixel loss in `fit` (paper eq. 9), and predicts with the plain
   segmenter.

It builds on `keras_rr.networks` (the segmenters, the auxiliary head) and
`keras_rr.pixel_losses`; nothing below it imports it. The public names are re-exported
where users look for them: `keras_rr.ops`, `keras_rr.losses`, `keras_rr.layers` and
`keras_rr.models`. The method itself is specified in `docs/method.md`.
"""
