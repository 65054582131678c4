"""Keep a model's 4-D weights in channels-last (NHWC) memory layout."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert the model to ``torch.channels_last`` before a run.

    A convolution whose input or weight is channels-last computes (and
    returns) channels-last, so converting the weights once makes the whole
    network run in NHWC: faster for oneDNN bf16 convolutions on some models
    (``tools/analysis_tools/bench.py`` measures which). Parameters keep
    their identity, so optimizers built before or after still hold them.
    Add it through the config key ``channels_last = True`` or
    ``--channels-last`` of the tools; ``channels_last = 'auto'`` adds it
    where :data:`bus_mm.engine.fast_path.LAYOUT` says NHWC pays for the
    run's phase and precision. It converts once, for the whole run: in a
    training run validation keeps the training layout.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        model.to(memory_format=torch.channels_last)
