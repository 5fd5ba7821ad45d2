"""Losses: the Region Rebalance loss and the pixel losses of the paper's ablations.

The region loss (`RegionRebalanceLoss`, `region_rebalance_loss`, `region_cross_entropy`,
`log_class_prior`) is defined with the rest of the method in `keras_rr.region_rebalance`;
the pixel losses (balanced softmax, re-weighting, Dice) live here.
"""

from keras_rr.losses.balanced_softmax_cross_entropy import BalancedSoftmaxCrossEntropy
from keras_rr.losses.balanced_softmax_cross_entropy import balanced_softmax_cross_entropy
from keras_rr.region_rebalance.region_rebalance_loss import RegionRebalanceLoss
from keras_rr.region_rebalance.region_rebalance_loss import log_class_prior
from keras_rr.region_rebalance.region_rebalance_loss import region_cross_entropy
from keras_rr.region_rebalance.region_rebalance_loss import region_rebalance_loss
from keras_rr.losses.class_weighted_cross_entropy import ClassWeightedCrossEntropy
from keras_rr.losses.class_weighted_cross_entropy import inverse_frequency_weights
from keras_rr.losses.dice_loss import DiceCrossEntropy
from keras_rr.losses.dice_loss import DiceLoss
from keras_rr.losses.dice_loss import dice_loss
from keras_rr.losses.dice_loss import masked_cross_entropy
from keras_rr.losses.pixel_losses import PIXEL_LOSSES
from keras_rr.losses.pixel_losses import make_pixel_loss
