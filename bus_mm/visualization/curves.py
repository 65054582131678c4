"""Training curves and result pictures read from a work dir (PNG, matplotlib).

* :func:`load_scalars` reads every ``<work_dir>/<timestamp>/vis_data/
  scalars.json`` that mmengine's ``LocalVisBackend`` wrote (a resumed run adds
  a timestamp folder; later records win on the same step).
* :func:`plot_training_curves` draws the losses, the validation metrics and,
  for ASSGAN, the distinct unlabeled images whose pseudo-labels each
  generator accepted per epoch (the paper's Fig. 5 quantity).
* :func:`plot_gamma_sweep` draws test IoU/Dice against the trust threshold
  gamma (the paper's Fig. 7).
* :func:`case_grid` puts the best, median and worst test cases (their
  overlays with ground-truth and predicted contours) side by side.
* :func:`curriculum_grid` shows TaiChiNet's easy and hard lesion parts beside
  the ground truth for a few images.

Used by :class:`~bus_mm.engine.hooks.TrainingCurvesHook` (during training)
and ``tools/analysis_tools/analyze.py`` (afterwards).
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

VAL_KEYS = ('IoU', 'Dice', 'Precision', 'Sensitivity', 'Specificity', 'Acc')
# ASSGANHook's per-epoch counts; mmengine's LogProcessor logs the message-hub
# scalar 'train/unlabeled_used_a' as 'unlabeled_used_a'
ACCEPTED_KEYS = {'a': 'unlabeled_used_a', 'b': 'unlabeled_used_b',
                 'union': 'unlabeled_used_union'}


def _plt():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def load_scalars(work_dir: str) -> Tuple[List[dict], List[dict]]:
    """Train and val records of every run in ``work_dir`` (oldest first).

    Returns:
        tuple: ``(train_records, val_records)``, each a list of dicts with a
        ``step``; a val record is one that holds ``IoU``.
    """
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    train: Dict[int, dict] = {}
    val: Dict[int, dict] = {}
    for path in files:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                rec = json.loads(line)
                step = int(rec.get('step', rec.get('iter', 0)))
                target = val if 'IoU' in rec else train
                target.setdefault(step, {}).update(rec, step=step)
    return ([train[k] for k in sorted(train)], [val[k] for k in sorted(val)])


def _series(records: Sequence[dict], key: str):
    pts = [(r['step'], r[key]) for r in records
           if isinstance(r.get(key), (int, float))]
    return [p[0] for p in pts], [p[1] for p in pts]


def loss_keys(records: Sequence[dict]) -> List[str]:
    """Logged loss names (``loss``, ``loss_dice_bce``, ``g_a.loss_adv``...)."""
    keys = []
    for r in records:
        keys += [k for k in r if 'loss' in k and k not in keys]
    return sorted(keys, key=lambda k: (k != 'loss', k))


def plot_training_curves(work_dir: str, out_dir: Optional[str] = None,
                         title: Optional[str] = None) -> List[str]:
    """Write ``losses.png``, ``val_metrics.png`` (and for ASSGAN
    ``accepted_pseudo_labels.png``) from a work dir's logged scalars.

    Args:
        work_dir (str): A training work dir.
        out_dir (str, optional): Where to write (default
            ``<work_dir>/curves``).
        title (str, optional): Figure title (default: the work dir's name).

    Returns:
        list[str]: The PNG paths written (empty if nothing was logged yet).
    """
    plt = _plt()
    train, val = load_scalars(work_dir)
    out_dir = out_dir or osp.join(work_dir, 'curves')
    if title is None:  # 'run' or, for a cross-validation fold, 'run/fold_k'
        parts = osp.normpath(osp.abspath(work_dir)).split(os.sep)
        title = '/'.join(parts[-2:]) if parts[-1].startswith('fold_') \
            else parts[-1]
    written = []
    if not (train or val):
        return written
    os.makedirs(out_dir, exist_ok=True)
    keys = loss_keys(train)
    if keys:
        fig, ax = plt.subplots(figsize=(7, 4))
        for k in keys:
            x, y = _series(train, k)
            ax.plot(x, y, label=k, lw=1.5 if k == 'loss' else 0.8)
        ax.set_xlabel('iteration')
        ax.set_ylabel('loss')
        ax.set_title(f'{title}: training losses')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        written.append(_save(fig, osp.join(out_dir, 'losses.png')))
    if val:
        fig, ax = plt.subplots(figsize=(7, 4))
        for k in VAL_KEYS:
            x, y = _series(val, k)
            if x:
                ax.plot(x, y, marker='o', ms=3, label=k,
                        lw=2 if k in ('IoU', 'Dice') else 0.8)
        ax.set_ylim(0, 1)
        ax.set_xlabel('iteration')
        ax.set_ylabel('validation (per-image mean)')
        ax.set_title(f'{title}: validation')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        written.append(_save(fig, osp.join(out_dir, 'val_metrics.png')))
    accepted = {k: _series(train, key) if _series(train, key)[0] else
                _series(train, 'train/' + key)
                for k, key in ACCEPTED_KEYS.items()}
    if any(x for x, _ in accepted.values()):
        fig, ax = plt.subplots(figsize=(7, 4))
        names = {'a': 'generator A (DeepLabV3+) accepted',
                 'b': 'generator B (PSPNet) accepted', 'union': 'union'}
        for k, (x, y) in accepted.items():
            if x:
                # the count of the last finished epoch, as logged at each
                # logger interval (a step per epoch)
                ax.plot(x, y, drawstyle='steps-post', marker='o', ms=2,
                        label=names[k], ls='--' if k == 'union' else '-')
        ax.set_xlabel('iteration')
        ax.set_ylabel('distinct unlabeled images')
        ax.set_title(f'{title}: pseudo-labels accepted per epoch (Fig. 5)')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        written.append(_save(fig, osp.join(out_dir,
                                           'accepted_pseudo_labels.png')))
    return written


def _save(fig, path: str) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def plot_gamma_sweep(points: Sequence[Tuple[float, Dict[str, float]]],
                     out_file: str, title: str = 'ASSGAN gamma sweep') -> str:
    """Test IoU and Dice against gamma (Fig. 7).

    Args:
        points: ``(gamma, {series name: IoU, ...})`` per run, e.g.
            ``(0.5, {'generator_a IoU': 0.61, 'mean IoU': 0.63})``.
        out_file (str): PNG to write.
    """
    plt = _plt()
    points = sorted(points, key=lambda p: p[0])
    names: List[str] = []
    for _, m in points:
        names += [k for k in m if k not in names]
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        xs = [g for g, m in points if name in m]
        ys = [m[name] for g, m in points if name in m]
        ax.plot(xs, ys, marker='o', label=name)
    ax.set_xlabel('gamma (discriminator trust threshold)')
    ax.set_ylabel('test score')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    return _save(fig, out_file)


def _tile(img: np.ndarray, size: int, caption: str) -> np.ndarray:
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    h, w = img.shape[:2]
    s = size / max(h, w)
    img = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))),
                     interpolation=cv2.INTER_AREA)
    tile = np.zeros((size + 22, size, 3), np.uint8)
    y0, x0 = 22 + (size - img.shape[0]) // 2, (size - img.shape[1]) // 2
    tile[y0:y0 + img.shape[0], x0:x0 + img.shape[1]] = img
    cv2.putText(tile, caption[:48], (3, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def grid_image(rows: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
    """Stack equally sized tiles into rows and rows into one image."""
    width = max(len(r) for r in rows)
    blank = np.zeros_like(rows[0][0])
    return np.vstack([np.hstack(list(r) + [blank] * (width - len(r)))
                      for r in rows])


def pick_cases(scores: Dict[str, float], per_group: int = 3
               ) -> List[Tuple[str, List[Tuple[str, float]]]]:
    """Best, median and worst ``per_group`` cases by score (ties: by name)."""
    order = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    n = len(order)
    k = min(per_group, n)
    mid = max(0, (n - k) // 2)
    return [('best', order[:k]), ('median', order[mid:mid + k]),
            ('worst', order[n - k:][::-1])]


def case_grid(scores: Dict[str, float], overlays: Dict[str, str],
              out_file: str, per_group: int = 3, size: int = 220,
              metric: str = 'Dice') -> str:
    """A grid of the best / median / worst test cases (one row each).

    Args:
        scores: ``{case name: score}`` (per-image Dice from the test CSV).
        overlays: ``{case name: overlay PNG}`` (``tools/test.py --show-dir``:
            ground truth green, prediction red).
        out_file (str): PNG to write.
    """
    missing = [k for k in scores if k not in overlays]
    if missing:
        raise FileNotFoundError(
            f'no overlay PNG for {len(missing)} test cases (e.g. {missing[:3]});'
            ' run tools/test.py with --show-dir')
    rows = []
    for group, cases in pick_cases(scores, per_group):
        rows.append([_tile(cv2.imread(overlays[name]), size,
                           f'{group}: {name} {metric} {score:.3f}')
                     for name, score in cases])
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    cv2.imwrite(out_file, grid_image(rows))
    return out_file


def curriculum_grid(samples: Sequence[Tuple[str, np.ndarray, np.ndarray,
                                            np.ndarray, np.ndarray]],
                    out_file: str, size: int = 200) -> str:
    """Rows of image | GT | easy part E_p | hard part H_p | GT coloured.

    Args:
        samples: ``(name, image BGR, gt 0/1, easy 0/1, hard 0/1)`` per row.
        out_file (str): PNG to write.
    """
    rows = []
    for name, img, gt, easy, hard in samples:
        gt, easy, hard = gt > 0, easy > 0, hard > 0
        colour = img.copy() if img.ndim == 3 else cv2.cvtColor(
            img, cv2.COLOR_GRAY2BGR)
        colour[easy] = (0.5 * colour[easy] + (0, 127, 0)).astype(np.uint8)
        colour[hard] = (0.5 * colour[hard] + (0, 0, 127)).astype(np.uint8)
        missed = gt & ~easy & ~hard
        colour[missed] = (0.5 * colour[missed] + (127, 0, 0)).astype(np.uint8)
        cover = int(gt.sum()) or 1
        rows.append([
            _tile(img, size, name),
            _tile(gt.astype(np.uint8) * 255, size, 'ground truth'),
            _tile(easy.astype(np.uint8) * 255, size,
                  f'easy E_p {(easy & gt).sum() / cover:.0%}'),
            _tile(hard.astype(np.uint8) * 255, size,
                  f'hard H_p {(hard & gt).sum() / cover:.0%}'),
            _tile(colour, size, 'easy green, hard red, missed blue'),
        ])
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    cv2.imwrite(out_file, grid_image(rows))
    return out_file
