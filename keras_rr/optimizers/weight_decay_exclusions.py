"""`exclude_from_weight_decay` for this package's optimizers: which variables skip the decay.

Keras' own `Optimizer.exclude_from_weight_decay` feeds only Keras' decoupled decay; the
SGD's coupled decay and the layer-decay AdamW's per-layer decay read the same call's
exclusions through this mixin when they build.
"""

from keras_rr import validation


class WeightDecayExclusions:
    """Mixin recording `exclude_from_weight_decay(var_list, var_names)` for the build.

    The optimizer asks `excluded_from_weight_decay(variable)` once per variable in its
    `build` and fixes the answers there (Python bools, no per-step work).
    """

    # (ids of `var_list`, `var_names`) of the last `exclude_from_weight_decay` call.
    _excluded = (frozenset(), ())

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempts variables from the weight decay (Keras' `Optimizer` method).

        Must be called before the optimizer is built (by `fit` or `build`); each call
        replaces the previous exclusions.

        Args:
            var_list: list of variables, or None. These get no decay.
            var_names: list of str, or None. Variables whose `name` contains one of these
                get no decay.
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is built. "
                f"Received: var_list={var_list}, var_names={var_names}"
            )
        names = validation.check_strings(list(var_names or ()), "var_names")
        self._excluded = (frozenset(id(v) for v in var_list or ()), names)

    def excluded_from_weight_decay(self, variable):
        """Whether `exclude_from_weight_decay` exempted `variable` (by identity or name)."""
        excluded_ids, excluded_names = self._excluded
        return id(variable) in excluded_ids or any(n in variable.name for n in excluded_names)
