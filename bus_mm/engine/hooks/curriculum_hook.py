"""Easy-to-hard curriculum stage switch of TaiChiNet (Sec. IV-C)."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop

from mmseg.registry import HOOKS


@HOOKS.register_module()
class CurriculumHook(Hook):
    """Set ``model.stage`` to 1 (easy parts) or 2 (hard parts + L_C).

    Before every training iteration the stage is recomputed from the
    runner's current epoch (``switch_epoch``) or iteration (``switch_iter``):
    stage 1 while ``epoch < switch_epoch`` (resp. ``iter < switch_iter``),
    stage 2 afterwards. Because it depends only on the progress counter, a
    resumed run lands in the right stage. The switch is logged once.

    Epochs and iterations are 0-based as in mmengine: ``switch_epoch=20``
    trains epochs 0-19 (the first 20) in stage 1.

    Args:
        switch_epoch (int, optional): First epoch of stage 2.
        switch_iter (int, optional): First iteration of stage 2.
            If neither is given, the switch is at half of the training:
            ``max_epochs // 2`` for epoch-based loops, ``max_iters // 2`` for
            iteration-based ones (the paper trains 40 epochs; the split is
            not stated, half is our default).
    """

    priority = 'NORMAL'

    def __init__(self,
                 switch_epoch: Optional[int] = None,
                 switch_iter: Optional[int] = None) -> None:
        if switch_epoch is not None and switch_iter is not None:
            raise ValueError('CurriculumHook: give switch_epoch or '
                             'switch_iter, not both')
        for name, value in (('switch_epoch', switch_epoch),
                            ('switch_iter', switch_iter)):
            if value is not None and value < 0:
                raise ValueError(f'CurriculumHook: {name} must be >= 0, got '
                                 f'{value}')
        self.switch_epoch = switch_epoch
        self.switch_iter = switch_iter
        self._last_stage = None

    @staticmethod
    def _model(runner):
        model = runner.model
        if is_model_wrapper(model) or (not hasattr(model, 'stage')
                                       and hasattr(model, 'module')):
            model = model.module
        if not hasattr(model, 'stage'):
            raise AttributeError(
                f'CurriculumHook: the model ({type(model).__name__}) has no '
                '`stage` attribute; use it with TaiChiNet(use_curriculum='
                'True) or remove the hook from custom_hooks')
        return model

    def _resolve_default(self, runner) -> None:
        loop = runner.train_loop
        if self.switch_epoch is not None and isinstance(
                loop, IterBasedTrainLoop):
            raise ValueError(
                'CurriculumHook: switch_epoch never triggers with an '
                'IterBasedTrainLoop (the epoch stays 0); use switch_iter')
        if self.switch_epoch is not None or self.switch_iter is not None:
            return
        if isinstance(loop, IterBasedTrainLoop) or not hasattr(
                loop, 'max_epochs'):
            self.switch_iter = loop.max_iters // 2
        else:
            self.switch_epoch = loop.max_epochs // 2

    def stage_of(self, epoch: int, iteration: int) -> int:
        """Stage for a 0-based epoch and iteration."""
        if self.switch_epoch is not None:
            return 1 if epoch < self.switch_epoch else 2
        return 1 if iteration < self.switch_iter else 2

    def _apply(self, runner) -> None:
        self._resolve_default(runner)
        stage = self.stage_of(runner.epoch, runner.iter)
        model = self._model(runner)
        model.stage = stage
        if stage != self._last_stage:
            where = (f'epoch {runner.epoch} (switch_epoch='
                     f'{self.switch_epoch})' if self.switch_epoch is not None
                     else f'iter {runner.iter} (switch_iter='
                     f'{self.switch_iter})')
            what = 'easy parts E_p' if stage == 1 else 'hard parts H_p + L_C'
            runner.logger.info(
                f'CurriculumHook: stage {stage} ({what}) from {where}')
            self._last_stage = stage

    def before_train(self, runner) -> None:
        """Set the stage for the (possibly resumed) start of training."""
        self._apply(runner)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Set the stage from the current epoch/iteration."""
        self._apply(runner)
