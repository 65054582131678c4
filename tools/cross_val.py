"""K-fold cross-validation of any bus_mm config: train and test every fold.

For a config whose datasets take a ``split`` (every bus_mm dataset), this tool

1. makes the ``k`` fold splits (stratified by class where the dataset has
   classes, deterministic in ``--seed``) and writes them to
   ``<work_dir>/splits/fold_<k>.json``. Fold ``k``'s test part is the k-th
   fold; a val part (the config's ``split.val``, or ``--val``) is carved from
   the rest; semi-supervised configs take their labeled fraction (the
   config's ``split.labeled``, or ``--labeled``) inside each fold's
   training part;
2. trains each fold with ``tools/train.py`` into ``<work_dir>/fold_<k>``
   (the split JSON replaces the config's ``split`` in every loader), and for
   TaiChiNet first mines that fold's curriculum masks with
   ``--curriculum-teacher`` (``tools/misc/prepare_curriculum.py``);
3. tests each fold with ``tools/test.py`` (every generator and their mean
   for ASSGAN), writing per-image CSVs, predicted masks and overlays
   (``tools/analysis_tools/analyze.py`` draws the best/median/worst cases
   from them);
4. writes ``<work_dir>/cv_summary.{json,csv,md}``: every BUSMetric figure
   per fold and as mean +- std.

A fold whose test finished is skipped, and a fold killed during training
(or during its U-Net++ teacher's) resumes from its last checkpoint, so
rerunning the same command continues a killed run. Examples::

    python tools/cross_val.py configs/assgan/assgan_busi-cpu128_15pct.py \\
        --num-folds 3 --data-root data/BUSI
    python tools/cross_val.py configs/taichinet/taichinet_busi-224.py \\
        --curriculum-teacher configs/taichinet/unetpp_busi-224.py --amp
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config, DictAction

from bus_mm.apis import load_config
from bus_mm.datasets.splits import load_split, make_kfold_split, save_split
from bus_mm.engine.atomic_checkpoint import has_resumable_checkpoint
from bus_mm.engine.config_walk import (curriculum_keys, loader_datasets,
                                      split_datasets)
from bus_mm.engine.fast_path import add_fast_path_args, fast_path_argv
from bus_mm.engine.run_guard import config_fingerprint, find_checkpoint
from bus_mm.evaluation.cv_summary import write_cv_summary
from bus_mm.evaluation.normal_test import (has_normal_figures,
                                           merge_normal_figures, normal_ids,
                                           normal_split, normal_test_options)

TOOLS = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(TOOLS)
STAMP = 'cv_config.json'
FOLD_DONE = 'cv_fold_metrics.json'
TRAIN_DONE = 'cv_train_done.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='K-fold cross-validation of a bus_mm config')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--num-folds', type=int, default=5,
                        help='number of folds k (default: 5)')
    parser.add_argument('--folds', type=int, nargs='+', default=None,
                        help='run only these folds (default: all k); the '
                        'summary covers every finished fold')
    parser.add_argument('--seed', type=int, default=None,
                        help="fold seed (default: the config's split seed, "
                        'else 0)')
    parser.add_argument('--val', type=float, default=None,
                        help='val ratio of each fold\'s non-test part '
                        "(default: the config's split.val, else 0)")
    parser.add_argument('--labeled', type=float, default=None,
                        help='labeled ratio of each fold\'s training part; '
                        "1.0 = all (default: the config's split.labeled)")
    parser.add_argument('--no-stratify', action='store_true',
                        help='do not stratify the folds by class')
    parser.add_argument('--work-dir', help='cross-validation work dir '
                        '(default: ./work_dirs/cv/<config name>)')
    parser.add_argument('--checkpoint', choices=['auto', 'best', 'last'],
                        default='auto',
                        help="checkpoint to test: 'best' (by val IoU), "
                        "'last', or 'auto' = best when the fold has its own "
                        'val part, else last (never select on the test fold)')
    parser.add_argument('--curriculum-teacher', metavar='CONFIG',
                        help='TaiChiNet: U-Net++ teacher config; each fold '
                        "first mines its curriculum masks into "
                        '<fold>/curriculum with '
                        'tools/misc/prepare_curriculum.py')
    parser.add_argument('--teacher-cfg-options', nargs='+', action=DictAction,
                        help='--cfg-options for the teacher config')
    parser.add_argument('--test-normal', action='store_true',
                        help="BUSI without normal images: also test each "
                        "fold's checkpoint on every normal image of the data "
                        'root (all unseen) and add the false-positive figures '
                        '(normal_*) to its metrics; finished folds get only '
                        'this test')
    parser.add_argument('--audit-gate', action='store_true',
                        help='ASSGAN: audit the trust gate (tools/train.py '
                        '--audit-gate)')
    add_fast_path_args(parser)
    parser.add_argument('--data-root',
                        help='dataset folder for every loader (and the '
                        "teacher's); default: the config's data_root")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy format')
    parser.add_argument('--dry-run', action='store_true',
                        help='write the fold splits and print the commands '
                        'without running them')
    return parser.parse_args(argv)


# --------------------------------------------------------------- config walk
def fold_options(cfg: Config, split_path: str) -> List[str]:
    """``--cfg-options`` items that point every split at ``split_path``."""
    return [f'{key}.split={split_path}' for key, _ in split_datasets(cfg)]


def root_options(cfg: Config, data_root: Optional[str]) -> List[str]:
    """``--cfg-options`` items that set every loader's ``data_root``."""
    if not data_root:
        return []
    return [f'{key}.data_root={data_root}'
            for key, ds in loader_datasets(cfg) if 'data_root' in ds]


def options_to_argv(options: Optional[dict]) -> List[str]:
    """A DictAction dict back to ``key=value`` strings for a subprocess."""
    argv = []
    for k, v in (options or {}).items():
        if isinstance(v, (list, tuple)):
            v = '[' + ','.join(repr(x) if isinstance(x, str) else str(x)
                               for x in v) + ']'
        argv.append(f'{k}={v}')
    return argv


def dataset_ids(cfg: Config) -> Tuple[List[str], List[str]]:
    """Sample ids and categories of the config's whole dataset (no split)."""
    import bus_mm  # noqa: F401  (registers the datasets)
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    ds_cfg = dict(split_datasets(cfg)[-1][1])
    ds_cfg.update(split=None, split_part='all', pipeline=[])
    dataset = DATASETS.build(ds_cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    ids = [d['sample_id'] for d in infos]
    cats = [d.get('category') or '' for d in infos]
    return ids, cats


def split_spec(cfg: Config) -> dict:
    """The split spec of the config's datasets (a dict; from a JSON's spec)."""
    spec = split_datasets(cfg)[0][1]['split']
    if isinstance(spec, str):
        return dict(load_split(spec).get('spec', {}))
    return dict(spec or {})


def split_parts_used(cfg: Config) -> Dict[str, str]:
    """``{dotted key: split_part}`` of every split-taking loader dataset."""
    return {key: ds.get('split_part', 'all')
            for key, ds in split_datasets(cfg)}


# ----------------------------------------------------------------- fold plan
def make_fold_splits(ids, cats, num_folds: int, seed: int, val: float,
                     labeled: Optional[float], stratify: bool) -> List[dict]:
    """All k fold splits, or SystemExit saying which option to change."""
    if num_folds < 2:
        raise SystemExit(f'--num-folds must be >= 2 (got {num_folds}): one '
                         'fold leaves nothing to train on')
    if len(ids) < num_folds:
        raise SystemExit(
            f'the dataset has {len(ids)} images, fewer than --num-folds '
            f'{num_folds}; lower --num-folds or check the data root')
    splits = []
    for fold in range(num_folds):
        try:
            splits.append(make_kfold_split(
                ids, num_folds=num_folds, fold=fold, val=val,
                labeled=labeled, seed=seed,
                strata=cats if stratify else None))
        except ValueError as e:
            raise SystemExit(f'fold {fold} of {num_folds}: {e}') from None
    return splits


def check_stamp(work_dir: str, stamp: dict) -> None:
    """Refuse a work dir holding a cross-validation of something else."""
    path = osp.join(work_dir, STAMP)
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        diff = sorted(k for k in set(old) | set(stamp)
                      if old.get(k) != stamp.get(k))
        if diff:
            raise SystemExit(
                f'work dir {work_dir!r} holds a cross-validation of a '
                f'different setup (differs in: {", ".join(diff)}; it ran '
                f'{old.get("config")!r}). Pass another --work-dir; nothing '
                'there was changed.')
    os.makedirs(work_dir, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(stamp, f, indent=1)


def run(cmd: List[str], dry_run: bool, log: str) -> None:
    print('$ ' + ' '.join(cmd), flush=True)
    if dry_run:
        return
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(log, 'a') as f:
        f.write(f'\n$ {" ".join(cmd)}\n')
        f.flush()
        proc = subprocess.Popen(cmd, cwd=os.getcwd(), env=env,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            f.write(line)
            sys.stdout.write(line)
        rc = proc.wait()
    if rc != 0:
        raise SystemExit(f'command failed with exit code {rc}: '
                         f'{" ".join(cmd)}\n(log: {log})')


# ---------------------------------------------------------------------- main
def test_normal_images(cmd: List[str], fold_dir: str, done: str,
                       dry_run: bool, log: str) -> None:
    """Run ``cmd`` (tools/test.py on the normal images into
    ``<fold>/normal_test``) and add its ``normal_*`` figures to ``done``."""
    out = osp.join(fold_dir, 'normal_test')
    if osp.isdir(out):  # a test killed midway: its CSVs are ours
        for stale in os.listdir(out):
            if stale.startswith('per_image') and stale.endswith('.csv'):
                os.remove(osp.join(out, stale))
    run(cmd, dry_run, log)
    if dry_run:
        return
    with open(osp.join(out, 'test_metrics.json')) as f:
        normal = json.load(f)['metrics']
    with open(done) as f:
        rec = json.load(f)
    rec['metrics'] = merge_normal_figures(rec['metrics'], normal)
    with open(done + '.tmp', 'w') as f:
        json.dump(rec, f, indent=1)
    os.replace(done + '.tmp', done)


def main(argv=None):
    args = parse_args(argv)
    # the config as tools/train.py loads it (--cfg-options, --data-root)
    cfg = load_config(args.config, args.cfg_options, data_root=args.data_root)
    user_opts = options_to_argv(args.cfg_options) + root_options(
        cfg, args.data_root)
    name = osp.splitext(osp.basename(args.config))[0]
    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', 'cv', name))
    if any(c in work_dir for c in ',[]()=\'"'):
        raise SystemExit(f'--work-dir {work_dir!r}: the split paths are passed '
                         "as --cfg-options, which cannot hold , [ ] ( ) = or "
                         'quotes; choose a plainer path')
    if not split_datasets(cfg):
        raise SystemExit(
            f'{args.config}: no loader dataset takes a `split`, so there is '
            'nothing to cross-validate; use a bus_mm dataset (BUSIDataset, '
            'UDIATDataset, BUSFolderDataset).')
    spec = split_spec(cfg)
    seed = args.seed if args.seed is not None else int(spec.get('seed', 0))
    val = args.val if args.val is not None else spec.get('val', 0.0) or 0.0
    labeled = args.labeled if args.labeled is not None else spec.get('labeled')
    if labeled is not None and float(labeled) >= 1.0:
        labeled = None
    stratify = not args.no_stratify and spec.get('stratify', True)
    parts = set(split_parts_used(cfg).values())
    if 'val' in parts and not val:
        raise SystemExit(
            "the config's val loader reads split_part='val' but the folds "
            'would have no val part; pass --val (e.g. --val 0.1)')
    if 'unlabeled' in parts and labeled is None:
        raise SystemExit(
            "the config trains on split_part='unlabeled' images but every "
            'training image would be labeled; pass --labeled (e.g. 0.15) or '
            'use a supervised config for 100% labels')
    if args.curriculum_teacher and not curriculum_keys(cfg):
        raise SystemExit(f'--curriculum-teacher given but {args.config} has no '
                         'LoadCurriculumMasks in its pipelines')
    if curriculum_keys(cfg) and not args.curriculum_teacher:
        raise SystemExit(f'{args.config} trains with curriculum masks: pass '
                         '--curriculum-teacher <U-Net++ config> so each fold '
                         'mines its own (configs/taichinet/unetpp_*.py)')

    ids, cats = dataset_ids(cfg)
    if args.test_normal:  # checked before anything is written
        try:
            ids_n = normal_ids(cfg)
        except ValueError as e:
            raise SystemExit(f'--test-normal: {e}') from None
        if not ids_n:
            raise SystemExit(
                '--test-normal: no normal/ images under the data root '
                f"({args.data_root or 'of the config'}); drop --test-normal")
    folds = args.folds if args.folds is not None else list(
        range(args.num_folds))
    bad = [f for f in folds if not 0 <= f < args.num_folds]
    if bad:
        raise SystemExit(f'--folds {bad} outside 0..{args.num_folds - 1}')
    splits = make_fold_splits(ids, cats, args.num_folds, seed, val, labeled,
                              stratify)
    stamp = dict(config=osp.relpath(osp.abspath(args.config), REPO)
                 if osp.abspath(args.config).startswith(REPO) else args.config,
                 fingerprint=config_fingerprint(cfg), num_folds=args.num_folds,
                 seed=seed, val=val, labeled=labeled, stratify=bool(stratify),
                 curriculum_teacher=args.curriculum_teacher,
                 num_images=len(ids), fast_path=fast_path_argv(args))
    check_stamp(work_dir, stamp)
    split_paths = []
    for fold, split in enumerate(splits):
        try:
            split_paths.append(save_split(
                split, osp.join(work_dir, 'splits', f'fold_{fold}.json')))
        except FileExistsError as e:
            raise SystemExit(str(e)) from None
    normal_opts = []
    if args.test_normal:
        try:
            normal_opts = normal_test_options(cfg, save_split(
                normal_split(ids_n),
                osp.join(work_dir, 'splits', 'normal.json')))
        except FileExistsError as e:
            raise SystemExit(f'--test-normal: {e}') from None
    print(f'{args.num_folds}-fold cross-validation of {args.config} on '
          f'{len(ids)} images (seed {seed}, val {val}, labeled '
          f'{labeled if labeled is not None else "all"}); folds {folds}; '
          f'work dir {work_dir}', flush=True)

    py = sys.executable
    is_assgan = cfg.model.get('type') == 'ASSGAN'
    variants = []
    if is_assgan:
        variants = [g for g in ('generator_a', 'generator_b')
                    if cfg.model.get(g)]
        variants += ['mean'] if len(variants) == 2 else []
    for fold in folds:
        t0 = time.time()
        fold_dir = osp.join(work_dir, f'fold_{fold}')
        done = osp.join(fold_dir, FOLD_DONE)
        log = osp.join(fold_dir, 'cv_commands.log')
        opts = user_opts + fold_options(cfg, split_paths[fold])
        test_cmd = [py, osp.join(TOOLS, 'test.py'), args.config]
        normal_args = ['--work-dir', osp.join(fold_dir, 'normal_test'),
                       '--csv', osp.join(fold_dir, 'normal_test',
                                         'per_image.csv'),
                       '--show-dir', osp.join(fold_dir, 'normal_test', 'vis')]
        normal_args += ['--predict-with'] + variants if variants else []
        normal_args += fast_path_argv(args) + ['--cfg-options'] + opts + \
            normal_opts
        if osp.isfile(done):
            with open(done) as f:
                rec = json.load(f)
            if normal_opts and not has_normal_figures(rec['metrics']):
                print(f'fold {fold}: finished earlier; testing its checkpoint '
                      'on the normal images', flush=True)
                test_normal_images(test_cmd + [rec['checkpoint']] +
                                   normal_args, fold_dir, done, args.dry_run,
                                   log)
                continue
            print(f'fold {fold}: finished earlier, skipped ({done})',
                  flush=True)
            continue
        os.makedirs(fold_dir, exist_ok=True)
        if args.curriculum_teacher:
            cur_dir = osp.join(fold_dir, 'curriculum')
            if not osp.isfile(osp.join(cur_dir, 'curriculum_meta.json')):
                tcfg = Config.fromfile(args.curriculum_teacher)
                topts = (options_to_argv(args.teacher_cfg_options) +
                         root_options(tcfg, args.data_root) +
                         fold_options(tcfg, split_paths[fold]))
                cmd = [py, osp.join(TOOLS, 'misc', 'prepare_curriculum.py'),
                       args.curriculum_teacher, '--out', cur_dir]
                if has_resumable_checkpoint(osp.join(cur_dir, 'unetpp')):
                    cmd.append('--resume')  # a teacher killed midway
                elif osp.isdir(cur_dir):
                    cmd.append('--overwrite')  # an unfinished earlier attempt
                cmd += fast_path_argv(args)  # the teacher trains alike
                run(cmd + ['--cfg-options'] + topts, args.dry_run, log)
            opts += [f'{k}={cur_dir}' for k in curriculum_keys(cfg)]
        if not osp.isfile(osp.join(fold_dir, TRAIN_DONE)):
            cmd = [py, osp.join(TOOLS, 'train.py'), args.config,
                   '--work-dir', fold_dir]
            if has_resumable_checkpoint(fold_dir):  # a fold killed midway
                cmd.append('--resume')
            cmd += fast_path_argv(args)
            if args.audit_gate:
                cmd.append('--audit-gate')
            run(cmd + ['--cfg-options'] + opts, args.dry_run, log)
            if not args.dry_run:
                with open(osp.join(fold_dir, TRAIN_DONE), 'w') as f:
                    json.dump(dict(time=time.strftime('%Y-%m-%d %H:%M:%S'),
                                   seconds=round(time.time() - t0, 1)), f)
        which = args.checkpoint
        if which == 'auto':
            which = 'best' if splits[fold]['val'] else 'last'
        if args.dry_run:
            continue
        try:
            ckpt = find_checkpoint(fold_dir, which)
        except FileNotFoundError:
            raise SystemExit(f'no checkpoint found in {fold_dir}; training did '
                             'not finish (rerun the same command to resume '
                             'it)') from None
        for stale in os.listdir(fold_dir):  # from a test killed midway
            if stale.startswith('per_image') and stale.endswith('.csv'):
                os.remove(osp.join(fold_dir, stale))
        cmd = test_cmd + [ckpt, '--work-dir', fold_dir, '--csv',
               osp.join(fold_dir, 'per_image.csv'),
               '--out', osp.join(fold_dir, 'pred_masks'),
               '--show-dir', osp.join(fold_dir, 'test_vis')]
        if variants:
            cmd += ['--predict-with'] + variants
        cmd += fast_path_argv(args)
        run(cmd + ['--cfg-options'] + opts, args.dry_run, log)
        with open(osp.join(fold_dir, 'test_metrics.json')) as f:
            metrics = json.load(f)['metrics']
        with open(done, 'w') as f:
            json.dump(dict(fold=fold, checkpoint=ckpt, checkpoint_rule=which,
                           seconds=round(time.time() - t0, 1),
                           metrics=metrics), f, indent=1)
        if normal_opts:
            test_normal_images(test_cmd + [ckpt] + normal_args, fold_dir,
                               done, args.dry_run, log)
        print(f'fold {fold}: done in {time.time() - t0:.0f} s', flush=True)

    per_fold = {}
    for fold in range(args.num_folds):
        done = osp.join(work_dir, f'fold_{fold}', FOLD_DONE)
        if osp.isfile(done):
            with open(done) as f:
                per_fold[fold] = json.load(f)['metrics']
    if not per_fold:
        print('no finished fold yet; nothing to summarize')
        return
    paths = write_cv_summary(per_fold, work_dir, meta=dict(
        stamp, folds_finished=sorted(per_fold)))
    with open(paths['md']) as f:
        print(f.read())
    print('summary written to ' + ', '.join(paths.values()))


if __name__ == '__main__':
    main()
