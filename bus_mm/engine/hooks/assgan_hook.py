"""ASSGAN phase switch and trusted-mask statistics.

The paper trains 200 epochs on labeled images only (Algorithm 1) and then
500 epochs with the unlabeled images too (Algorithm 2); it reports how many
distinct unlabeled images passed the discriminator (Table 2, Fig. 5). This
hook

* sets ``model.semi_enabled = runner.iter >= semi_start`` before every
  training iteration (so the phase follows from the iteration and survives
  ``--resume``), logging each phase change once;
* collects the ids of the unlabeled images whose prediction was accepted
  (``model.last_accepted_ids``) and, every ``epoch_length`` iterations and
  at the end of training, writes ``train/unlabeled_used_a``,
  ``train/unlabeled_used_b`` and ``train/unlabeled_used_union`` (distinct
  images over that window, all ranks) to the message hub, then resets.

* when the unlabeled images carry audit masks (dataset option
  ``audit_masks=True``, ``tools/train.py --audit-gate``), collects
  ``model.last_audit`` and per window and generator writes the gate audit:
  ``train/audit_{accepted_share,iou_accepted,iou_rejected,spearman,auroc}_k``
  (see :func:`bus_mm.evaluation.gate_audit.audit_summary`), one log line,
  and every record (iteration, generator, score, true IoU, accepted) to
  ``<work_dir>/gate_audit.jsonl`` for the plots of
  ``tools/analysis_tools/analyze.py``.

Resuming: the window boundaries are multiples of ``epoch_length`` counted
from iteration 0, so they follow from ``runner.iter``; the ids collected so
far in the current window are kept in the message hub's runtime info
(``assgan_hook_window``), which mmengine saves in every checkpoint and
restores on ``--resume`` (not on ``load_from``). With several processes
that checkpoint holds rank 0's ids only, so after a resume the first,
partial window may undercount the ids the other ranks had seen.
"""
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Set

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop

from mmseg.registry import HOOKS
from bus_mm.evaluation.gate_audit import audit_summary

AUDIT_FILE = 'gate_audit.jsonl'
AUDIT_KEYS = ('accepted_share', 'iou_accepted', 'iou_rejected', 'spearman',
              'auroc')

_INFO_KEY = 'assgan_hook_window'


def _plain(value):
    """Sample ids as checkpoint-safe builtins (str/int)."""
    if hasattr(value, 'item'):
        value = value.item()
    return value if isinstance(value, (str, int)) else str(value)


@HOOKS.register_module()
class ASSGANHook(Hook):
    """Switch ASSGAN to its semi-supervised phase and count trusted masks.

    Args:
        semi_start (int, optional): Iteration (0-based) from which the
            unlabeled images are used. Defaults to None.
        semi_start_epoch (int, optional): The same in "epochs" of
            ``epoch_length`` iterations (the paper: 200). Give either this or
            ``semi_start``; with neither the hook leaves
            ``model.semi_enabled`` alone and only counts. Defaults to None.
        epoch_length (int, optional): Iterations per epoch = number of
            labeled training images / labeled samples per batch. It sets the
            statistics window and converts ``semi_start_epoch``. None: the
            length of the train dataloader under an ``EpochBasedTrainLoop``;
            under an iteration-based loop the statistics are then written at
            the end of training only, and ``semi_start_epoch`` is an error.
            Defaults to None.
    """

    priority = 'NORMAL'
    method = 'ASSGAN'  # names the method in the log lines

    def __init__(self,
                 semi_start: Optional[int] = None,
                 semi_start_epoch: Optional[int] = None,
                 epoch_length: Optional[int] = None):
        if semi_start is not None and semi_start_epoch is not None:
            raise ValueError('ASSGANHook: give semi_start (iterations) or '
                             'semi_start_epoch (epochs), not both.')
        for name, value in (('semi_start', semi_start),
                            ('semi_start_epoch', semi_start_epoch)):
            if value is not None and int(value) < 0:
                raise ValueError(f'ASSGANHook: {name} must be >= 0, got '
                                 f'{value}.')
        if epoch_length is not None and int(epoch_length) < 1:
            raise ValueError('ASSGANHook: epoch_length must be >= 1 (labeled '
                             'train images / labeled samples per batch), '
                             f'got {epoch_length}.')
        self.semi_start = None if semi_start is None else int(semi_start)
        self.semi_start_epoch = None if semi_start_epoch is None else int(
            semi_start_epoch)
        self.epoch_length = None if epoch_length is None else int(
            epoch_length)
        self._start: Optional[int] = self.semi_start
        self._window: Optional[int] = self.epoch_length
        self._phase: Optional[bool] = None
        self._used: Dict[str, Set] = {'a': set(), 'b': set()}
        self._audit: Dict[str, List] = {'a': [], 'b': []}
        self._pending = False

    # -- helpers --------------------------------------------------------
    @staticmethod
    def _model(runner):
        model = runner.model
        while is_model_wrapper(model):
            model = model.module
        if not hasattr(model, 'semi_enabled'):
            raise TypeError(
                'ASSGANHook needs a model with a `semi_enabled` attribute '
                f'(ASSGAN); got {type(model).__name__}. Remove the hook from '
                'custom_hooks or use model=dict(type=\'ASSGAN\', ...).')
        return model

    @property
    def resolved_semi_start(self) -> Optional[int]:
        """int | None: First semi-supervised iteration (after
        ``before_train``)."""
        return self._start

    def _save_window(self, runner) -> None:
        runner.message_hub.update_info(
            _INFO_KEY, {k: list(v)
                        for k, v in self._used.items()})

    def _flush(self, runner) -> None:
        gathered = all_gather_object(self._used)
        used = {'a': set(), 'b': set()}
        for part in gathered:
            for k in used:
                used[k].update(part.get(k, ()))
        counts = {
            'a': len(used['a']),
            'b': len(used['b']),
            'union': len(used['a'] | used['b']),
        }
        for k, n in counts.items():
            runner.message_hub.update_scalar(f'train/unlabeled_used_{k}', n)
        runner.logger.info(
            f'{self.method}: distinct unlabeled images used up to iter '
            f'{runner.iter}'
            f' (window of {self._window or "the whole run"} iters): '
            f'A {counts["a"]}, B {counts["b"]}, union {counts["union"]}.')
        self._used = {'a': set(), 'b': set()}
        self._pending = False
        self._save_window(runner)
        self._flush_audit(runner)

    def _flush_audit(self, runner) -> None:
        """Write the gate audit of the window (rank 0 gathers all ranks)."""
        gathered = all_gather_object(self._audit)
        self._audit = {'a': [], 'b': []}
        records = {k: [r for part in gathered for r in part.get(k, ())]
                   for k in ('a', 'b')}
        if not any(records.values()):
            return
        parts = []
        for k, recs in records.items():
            if not recs:
                continue
            stats = audit_summary([r[1] for r in recs],
                                  [r[2] for r in recs], [r[3] for r in recs])
            for key in AUDIT_KEYS:
                if not math.isnan(stats[key]):
                    runner.message_hub.update_scalar(
                        f'train/audit_{key}_{k}', stats[key])
            parts.append(
                f'{k.upper()}: {int(stats["count"])} pseudo-labels, accepted '
                f'{100 * stats["accepted_share"]:.0f}%, IoU accepted '
                f'{stats["iou_accepted"]:.3f} / rejected '
                f'{stats["iou_rejected"]:.3f}, Spearman '
                f'{stats["spearman"]:.2f}, AUROC {stats["auroc"]:.2f}')
        runner.logger.info(f'ASSGAN gate audit up to iter {runner.iter}: '
                           + '; '.join(parts))
        if runner.rank == 0:
            with open(osp.join(runner.work_dir, AUDIT_FILE), 'a') as f:
                for k, recs in records.items():
                    for it, score, iou, acc in recs:
                        f.write(json.dumps(dict(
                            iter=it, generator=k, iou=round(iou, 5),
                            score=None if math.isnan(score) else round(
                                score, 5), accepted=acc)) + '\n')

    # -- hook points ----------------------------------------------------
    def before_train(self, runner) -> None:
        """Resolve the window and ``semi_start``; restore a resumed window."""
        model = self._model(runner)
        if self._window is None and isinstance(runner.train_loop,
                                               EpochBasedTrainLoop):
            self._window = len(runner.train_dataloader)
        if self.semi_start_epoch is not None:
            if self._window is None:
                raise ValueError(
                    'ASSGANHook: semi_start_epoch needs epoch_length (labeled'
                    ' train images / labeled samples per batch) with an '
                    'iteration-based train loop; set epoch_length or give '
                    'semi_start in iterations.')
            self._start = self.semi_start_epoch * self._window
        saved = runner.message_hub.get_info(_INFO_KEY)
        if saved and runner.iter > 0:
            self._used = {k: set(saved.get(k, ())) for k in ('a', 'b')}
            self._pending = True
        if self._start is not None:
            model.semi_enabled = runner.iter >= self._start
            runner.logger.info(
                f'{self.method}: semi-supervised phase from iteration '
                f'{self._start};'
                f' statistics window {self._window} iterations.')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        """Set the phase from ``runner.iter``."""
        if self._start is None:
            return
        model = self._model(runner)
        phase = runner.iter >= self._start
        model.semi_enabled = phase
        if phase != self._phase:
            runner.logger.info(
                f'{self.method}: iteration {runner.iter}: '
                + ('semi-supervised phase (labeled + unlabeled images)'
                   if phase else 'supervised phase (labeled images only)'))
            self._phase = phase

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Collect accepted ids; write the window statistics when due."""
        model = self._model(runner)
        accepted = getattr(model, 'last_accepted_ids', None) or {}
        for k in ('a', 'b'):
            self._used[k].update(
                _plain(i) for i in accepted.get(k, ()) if i is not None)
        audit = getattr(model, 'last_audit', None) or {}
        for k in ('a', 'b'):
            self._audit[k].extend(
                (runner.iter, float(s), float(i), bool(a))
                for s, i, a in audit.get(k, ()))
        self._pending = True
        if self._window is not None and (runner.iter + 1) % self._window == 0:
            self._flush(runner)
        else:
            self._save_window(runner)

    def after_train(self, runner) -> None:
        """Write the statistics of a last, partial window."""
        if self._pending:
            self._flush(runner)
