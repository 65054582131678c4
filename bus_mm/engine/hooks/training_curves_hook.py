"""Write loss / validation (/ ASSGAN pseudo-label) curves while training."""
import os.path as osp
from typing import Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from bus_mm.visualization.curves import plot_training_curves


@HOOKS.register_module()
class TrainingCurvesHook(Hook):
    """Redraw ``<work_dir>/curves/*.png`` after every validation and at the
    end of training, from the scalars ``LocalVisBackend`` logged.

    The pictures are those of ``tools/analysis_tools/analyze.py``:
    ``losses.png``, ``val_metrics.png`` and, for ASSGAN,
    ``accepted_pseudo_labels.png`` (distinct unlabeled images whose
    pseudo-labels each generator accepted per epoch). Needs
    ``LocalVisBackend`` in ``visualizer.vis_backends`` (the bus_mm runtime
    default); without it the hook does nothing.

    Args:
        out_dir (str, optional): Folder for the PNGs, relative to the work
            dir. Defaults to 'curves'.
    """

    priority = 'VERY_LOW'

    def __init__(self, out_dir: Optional[str] = 'curves') -> None:
        self.out_dir = out_dir

    @master_only
    def _draw(self, runner) -> None:
        try:
            paths = plot_training_curves(
                runner.work_dir, osp.join(runner.work_dir, self.out_dir))
        except Exception as e:  # a picture must never stop training
            print_log(f'TrainingCurvesHook: could not draw curves ({e})',
                      logger='current')
            return
        if paths:
            print_log(f'curves written to {osp.dirname(paths[0])}',
                      logger='current')

    def after_val_epoch(self, runner, metrics=None) -> None:
        # LoggerHook (priority BELOW_NORMAL) has logged this validation's
        # scalars before this VERY_LOW hook runs.
        self._draw(runner)

    def after_train(self, runner) -> None:
        self._draw(runner)
