"""Benchmark bus_mm side by side on one machine: data, training, inference.

Examples::

    python tools/analysis_tools/bench.py          # every section on the CPU
    python tools/analysis_tools/bench.py --quick  # tiny sizes, seconds (CI)
    python tools/analysis_tools/bench.py --sections assgan taichinet \\
        --device all --amp
    python tools/analysis_tools/bench.py --sections infer --config CONFIG \\
        --checkpoint CKPT

Sections (``--sections``, default all):

* ``phantom``: images/s of :func:`generate_phantom` (in memory) and of
  :func:`make_phantom_dataset` (PNG files written to a temp dir).
* ``pipeline``: images/s of the training dataset of ``--config``
  (``dataset[i]``: file read + transforms, one process) versus images/s
  consumed by the model's ``train_step`` (forward + backward + optimizer) at
  the config's batch size; their ratio and the dataloader workers it implies.
* ``assgan``: one ASSGAN iteration (supervised and semi-supervised phase)
  versus the sum of its two generators' own supervised iterations on the
  labeled half of the same batch (each an mmseg ``EncoderDecoder`` with its
  own Adam ``OptimWrapper``); the overhead ratio ASSGAN / (G_a + G_b).
* ``unimatch``: one UniMatch iteration (``--unimatch-config``) in the
  supervised phase (the student on the labeled half) and in the semi phase
  (plus the weak, feature-perturbed and two strong unlabeled streams), at
  the config's threshold and with every pixel confident (threshold 0: the
  upper cost); the ratio semi / supervised step (target <= 3x). Sizes as
  the ``assgan`` section's.
* ``taichinet``: TaiChiNet training iteration (curriculum stage 2, every loss
  on) and inference forward versus Table I's Model 1 (one sub-U-Net) at the
  same batch and size; parameter counts.
* ``fastpath``: fp32 vs bf16 vs bf16 + channels-last, one training
  iteration and one inference forward of the ASSGAN demo, TaiChiNet cpu128
  and U-Net cpu128, their speed-ups and whether channels-last pays
  (``tools/analysis_tools/bench_fastpath.py``).
* ``taichinet-w32``: s/it of one training iteration (fp32, and bf16 where
  the device has it) and the parameter counts of U-Net (Model 1), Model 7
  and TaiChiNet at the paper's width (32-64-128-256-512) at the input size
  and batch size of their ``*_busi-cpu128-w32*.py`` configs, and the
  training time of one fold's schedule (``bus_mm.apis.bench_paper_width``).
* ``infer``: ms/img of ``tools/infer.py``'s path
  (``bus_mm.apis.init_model`` + ``inference_model``: file read, pipeline,
  model, post-processing) versus the bare network forward of the same model
  at the same input size.

Method: every timing runs ``--warmup`` untimed calls, then ``--iters`` timed
calls with ``time.perf_counter`` (``torch.cuda.synchronize()`` around each on
CUDA); tables show the median and the minimum. Peak memory per section: the
process' peak RSS (``resource.getrusage().ru_maxrss``, the high-water mark is
reset at the start of each section through ``/proc/self/clear_refs``; where
that is not possible the value is the process' peak so far) and, on CUDA,
``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``.

The markdown tables go to stdout (progress to stderr), the numbers to
``--out`` (JSON). An existing file is never overwritten: ``bench.json``
becomes ``bench_1.json``, ``bench_2.json``, ... Inputs of the ``assgan`` and
``taichinet`` sections are random tensors and the weights are random: timings
do not depend on them (except the share of pseudo-labels ASSGAN's random
discriminator accepts in the semi phase, reported in the notes).
"""
import argparse
import contextlib
import copy
import datetime
import itertools
import json
import math
import os
import os.path as osp
import platform
import resource
import statistics
import sys
import tempfile
import time
import traceback

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

SECTIONS = ('phantom', 'pipeline', 'assgan', 'taichinet', 'infer', 'fastpath',
            'unimatch', 'taichinet-w32')
DEFAULT_CONFIG = 'configs/demo/unet_phantom-demo.py'
ASSGAN_CONFIG = 'configs/assgan/assgan_phantom-demo.py'
UNIMATCH_CONFIG = 'configs/unimatch/unimatch_phantom-demo.py'
TAICHINET_CONFIG = 'configs/taichinet/taichinet_busi-224.py'
DEFAULT_OUT = 'work_dirs/bench/bench.json'
AMP_DTYPES = {'fp16': 'float16', 'bf16': 'bfloat16'}
SIZE_DIVISOR = 32
# Sizes of the full and the --quick run (command-line options override them).
FULL = dict(iters=10, warmup=2, phantom_images=16, phantom_size=256,
            pipeline_samples=50, assgan_size=None, assgan_batch=None,
            taichinet_size=224, taichinet_batch=4, taichinet_channels=None,
            infer_size=256, infer_batch=1)
QUICK = dict(iters=2, warmup=1, phantom_images=2, phantom_size=64,
             pipeline_samples=4, pipeline_batch=2, assgan_size=64,
             assgan_batch=4, taichinet_size=64, taichinet_batch=2,
             taichinet_channels=8, infer_size=64, infer_batch=1)
ROW_HEADER = ('item', 'device', 'precision', 'batch', 'size', 'median ms',
              'min ms', 'images/s', 'note')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark bus_mm: phantoms, data pipeline vs. training, '
        'ASSGAN vs. its generators, TaiChiNet vs. one U-Net, inference.')
    parser.add_argument('--sections', nargs='+', default=list(SECTIONS),
                        choices=SECTIONS, metavar='SECTION',
                        help=f'sections to run, any of {", ".join(SECTIONS)} '
                        '(default: all)')
    parser.add_argument('--device', default='cpu',
                        choices=('cpu', 'cuda', 'all'),
                        help="'cpu' (default), 'cuda' or 'all' (cpu and, if "
                        'available, cuda)')
    parser.add_argument('--amp', action='store_true',
                        help='on CUDA also time the assgan and taichinet '
                        'sections under torch.autocast (see --amp-dtypes)')
    parser.add_argument('--amp-dtypes', nargs='+', default=['fp16', 'bf16'],
                        choices=sorted(AMP_DTYPES),
                        help='autocast dtypes of the --amp rows')
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes and few iterations (tests, CI)')
    parser.add_argument('--iters', type=int, help='timed iterations '
                        f'(default {FULL["iters"]}, --quick {QUICK["iters"]})')
    parser.add_argument('--warmup', type=int, help='untimed warm-up '
                        f'iterations (default {FULL["warmup"]}, --quick '
                        f'{QUICK["warmup"]})')
    parser.add_argument('--batch-size', type=int,
                        help='batch size of every training/inference row '
                        '(default: the config\'s; taichinet 4; infer 1)')
    parser.add_argument('--size', type=int,
                        help='square input size of the assgan, taichinet, '
                        'fastpath and taichinet-w32 sections, a multiple of '
                        f'{SIZE_DIVISOR} (default: the configs\' crop size; '
                        'taichinet 224)')
    parser.add_argument('--threads', type=int,
                        help='torch.set_num_threads (default: torch\'s)')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='config of the pipeline and infer sections')
    parser.add_argument('--assgan-config', default=ASSGAN_CONFIG,
                        help='ASSGAN config (model and optim_wrapper)')
    parser.add_argument('--unimatch-config', default=UNIMATCH_CONFIG,
                        help='UniMatch config (model and optim_wrapper)')
    parser.add_argument('--taichinet-config', default=TAICHINET_CONFIG,
                        help='TaiChiNet config (model and optim_wrapper)')
    parser.add_argument('--data-root', default='data/phantom',
                        help='data root of the pipeline section; phantoms '
                        'are generated into a temp dir if it is missing')
    parser.add_argument('--checkpoint',
                        help='checkpoint of --config for the infer section '
                        '(default: a randomly initialised model)')
    parser.add_argument('--phantom-images', type=int,
                        help='images per make_phantom_dataset call')
    parser.add_argument('--out', default=DEFAULT_OUT,
                        help=f'JSON result file (default {DEFAULT_OUT}); an '
                        'existing file gets a numeric suffix instead')
    args = parser.parse_args(argv)
    for name in ('iters', 'batch_size', 'threads', 'phantom_images'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{value}')
    if args.warmup is not None and args.warmup < 0:
        parser.error(f'--warmup must be >= 0, got {args.warmup}')
    if args.size is not None and (args.size < SIZE_DIVISOR
                                  or args.size % SIZE_DIVISOR):
        parser.error(f'--size must be a multiple of {SIZE_DIVISOR} (the data '
                     f'preprocessor pads to it), got {args.size}; use e.g. '
                     f'{max(SIZE_DIVISOR, args.size // SIZE_DIVISOR * 32)}')
    args.sections = [s for s in SECTIONS if s in args.sections]
    return args


def log(msg: str) -> None:
    """Progress line on stderr (stdout holds the markdown tables)."""
    print(f'[bench] {msg}', file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# helpers: timing, memory, machine, output
# ---------------------------------------------------------------------------
def measure(fn, iters: int, warmup: int, device: str = 'cpu'):
    """Time ``fn()``: ``warmup`` untimed calls, then ``iters`` timed ones.

    Returns:
        tuple: ``(timing, last_output)`` with ``timing`` a dict of
        ``median_ms``, ``min_ms``, ``iters``, ``warmup`` and ``times_ms``.
    """
    cuda = str(device).startswith('cuda')
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(iters):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if cuda:
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000.0)
    return dict(median_ms=statistics.median(times), min_ms=min(times),
                iters=iters, warmup=warmup,
                times_ms=[round(t, 4) for t in times]), out


def make_row(item: str, device: str, timing: dict, batch: int = 1,
             size='', precision: str = 'fp32', images: float = None,
             note: str = '') -> dict:
    """One result row; ``images`` per call (default ``batch``) gives
    images/s = images / median."""
    images = batch if images is None else images
    return dict(item=item, device=device, precision=precision, batch=batch,
                size=size, median_ms=timing['median_ms'],
                min_ms=timing['min_ms'],
                images_per_s=images / (timing['median_ms'] / 1000.0),
                iters=timing['iters'], warmup=timing['warmup'],
                times_ms=timing['times_ms'], note=note)


def derived(name: str, device: str, value: float, unit: str = '',
            note: str = '', precision: str = 'fp32') -> dict:
    return dict(name=name, device=device, precision=precision,
                value=float(value), unit=unit, note=note)


def hw(h, w=None) -> str:
    return f'{h}x{h if w is None else w}'


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def current_rss_mb() -> float:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float('nan')


def peak_rss_mb() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # kilobytes on Linux, bytes on macOS
    return ru / 2**20 if sys.platform == 'darwin' else ru / 1024.0


def cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.lower().startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_state(devices) -> dict:
    import mmengine
    import mmseg
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    state = dict(
        date=datetime.datetime.now().astimezone().isoformat(
            timespec='seconds'),
        host=platform.node(),
        platform=platform.platform(),
        cpu=cpu_model(),
        cpu_cores=os.cpu_count(),
        cpu_cores_usable=usable,
        torch_threads=torch.get_num_threads(),
        omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
        python=platform.python_version(),
        torch=torch.__version__,
        mmengine=mmengine.__version__,
        mmseg=mmseg.__version__,
        numpy=np.__version__,
        cuda_available=torch.cuda.is_available(),
        cuda_device=None,
        devices=list(devices))
    if any(d.startswith('cuda') for d in devices):
        state['cuda_device'] = torch.cuda.get_device_name(0)
        state['cuda_version'] = torch.version.cuda
        state['cudnn_benchmark'] = torch.backends.cudnn.benchmark
    return state


def unique_path(path: str) -> str:
    """``path`` if it does not exist, else ``<stem>_<n><ext>`` with the
    smallest free n >= 1."""
    if not osp.exists(path):
        return path
    stem, ext = osp.splitext(path)
    for n in itertools.count(1):
        candidate = f'{stem}_{n}{ext}'
        if not osp.exists(candidate):
            return candidate


def write_json(results: dict, path: str) -> str:
    """Write without ever replacing a file (exclusive create, retry)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    while True:
        target = unique_path(path)
        try:
            with open(target, 'x') as f:
                json.dump(results, f, indent=2, default=str)
                f.write('\n')
            return target
        except FileExistsError:  # created meanwhile by another run
            continue


def fmt(value) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        if math.isnan(value):
            return 'nan'
        if abs(value) >= 1000:
            return f'{value:,.0f}'
        return f'{value:.4g}'
    return str(value)


def md_table(header, rows) -> str:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    for row in rows:
        lines.append('| ' + ' | '.join(
            fmt(v).replace('|', '/') for v in row) + ' |')
    return '\n'.join(lines)


def render_markdown(results: dict) -> str:
    m = results['machine']
    s = results['settings']
    out = ['# bus_mm benchmark', '']
    cuda = m.get('cuda_device') or ('available, not used'
                                    if m['cuda_available'] else 'none')
    out.append(md_table(('machine', ''), [
        ('date', m['date']),
        ('cpu', f"{m['cpu']} ({m['cpu_cores']} cores, "
         f"{m['cpu_cores_usable']} usable)"),
        ('torch', f"{m['torch']}, {m['torch_threads']} threads "
         f"(OMP_NUM_THREADS={m['omp_num_threads']})"),
        ('cuda', cuda),
        ('versions', f"python {m['python']}, mmengine {m['mmengine']}, "
         f"mmseg {m['mmseg']}"),
        ('settings', f"{'quick, ' if s['quick'] else ''}iters "
         f"{s['iters']}, warmup {s['warmup']}, devices "
         f"{', '.join(m['devices'])}"),
    ]))
    memory = []
    for name, sec in results['sections'].items():
        out += ['', f'## {name}', '']
        if sec['rows']:
            out.append(md_table(ROW_HEADER, [
                (r['item'], r['device'], r['precision'], r['batch'],
                 r['size'], r['median_ms'], r['min_ms'], r['images_per_s'],
                 r['note']) for r in sec['rows']]))
        if sec['derived']:
            out += ['', md_table(('derived', 'device', 'precision', 'value',
                                  'unit', 'note'), [
                (d['name'], d['device'], d['precision'], d['value'],
                 d['unit'], d['note']) for d in sec['derived']])]
        if sec['params']:
            out += ['', md_table(('model', 'parameters', 'millions'), [
                (p['model'], f"{p['params']:,}", round(p['params'] / 1e6, 3))
                for p in sec['params']])]
        for err in sec['errors']:
            out += ['', f"**error** ({err['device']}): {err['error']}"]
        for mem in sec['memory']:
            memory.append((name, mem['device'], mem['peak_rss_mb'],
                           mem['rss_scope'], mem['rss_start_mb'],
                           mem.get('cuda_max_allocated_mb'),
                           mem['wall_s']))
    if memory:
        out += ['', '## peak memory', '', md_table(
            ('section', 'device', 'peak RSS MB', 'RSS peak scope',
             'RSS at start MB', 'CUDA max allocated MB', 'section wall s'),
            memory)]
    return '\n'.join(out)


# ---------------------------------------------------------------------------
# shared building blocks
# ---------------------------------------------------------------------------
def load_cfg(path: str):
    from mmengine.config import Config
    return Config.fromfile(repo_path(path, 'config', osp.isfile))


def repo_path(path: str, what: str, exists=osp.exists) -> str:
    """``path`` as given, else relative to the repo root if it is there."""
    if exists(path):
        return path
    in_repo = osp.join(REPO, path)
    if not osp.isabs(path) and exists(in_repo):
        return in_repo
    if what == 'config':
        raise FileNotFoundError(f'config not found: {path} (pass an existing '
                                'file to --config / --assgan-config / '
                                '--taichinet-config)')
    return path


def build_model(model_cfg, device: str):
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    cfg = copy.deepcopy(model_cfg)
    if isinstance(cfg, dict):
        cfg.pop('pretrained', None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg)
    return model.to(device)


def optim_cfg(base: dict, precision: str) -> dict:
    """``base`` optim_wrapper config, as ``AmpOptimWrapper`` for AMP rows."""
    cfg = copy.deepcopy(dict(base))
    if precision != 'fp32':
        cfg['type'] = 'AmpOptimWrapper'
        cfg['dtype'] = AMP_DTYPES[precision]
    return cfg


def build_optim(model, cfg: dict):
    from mmengine.optim import build_optim_wrapper
    return build_optim_wrapper(model, copy.deepcopy(cfg))


def num_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def precisions(ctx, device: str):
    """fp32, plus the --amp dtypes on CUDA."""
    out = ['fp32']
    if ctx.args.amp and device.startswith('cuda'):
        for p in ctx.args.amp_dtypes:
            if p == 'bf16' and not torch.cuda.is_bf16_supported():
                log('bf16 is not supported on this GPU; no bf16 rows')
                continue
            out.append(p)
    return out


def autocast(device: str, precision: str):
    if precision == 'fp32':
        return contextlib.nullcontext()
    dtype = getattr(torch, AMP_DTYPES[precision])
    return torch.autocast(device_type=device.split(':')[0], dtype=dtype)


def random_blob(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A 0/1 (h, w) mask with 1-2 random ellipses (a lesion stand-in)."""
    yy, xx = np.mgrid[:h, :w]
    mask = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        cy, cx = rng.uniform(0.25, 0.75) * h, rng.uniform(0.25, 0.75) * w
        ay, ax = rng.uniform(0.08, 0.25) * h, rng.uniform(0.08, 0.25) * w
        mask |= ((((yy - cy) / ay)**2 + ((xx - cx) / ax)**2) <= 1).astype(
            np.uint8)
    return mask


def synthetic_batch(n: int, size: int, channels: int, num_labeled=None,
                    curriculum: bool = False, seed: int = 0) -> dict:
    """A dataloader-like batch: uint8 (C, H, W) random images and
    SegDataSamples with random 0/1 blob ``gt_sem_seg``; samples from
    ``num_labeled`` on have ``labeled=False`` and no ground truth. With
    ``curriculum`` also ``gt_easy_part`` (eroded blob) / ``gt_hard_part``.
    """
    import cv2
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    rng = np.random.default_rng(seed)
    num_labeled = n if num_labeled is None else num_labeled
    inputs, samples = [], []
    for i in range(n):
        inputs.append(torch.from_numpy(rng.integers(
            0, 256, (channels, size, size), dtype=np.uint8)))
        labeled = i < num_labeled
        sample = SegDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size),
            labeled=labeled, sample_id=f'bench_{i}'))
        if labeled:
            gt = random_blob(rng, size, size)
            sample.gt_sem_seg = PixelData(
                data=torch.from_numpy(gt[None].astype(np.int64)))
            if curriculum:
                easy = cv2.erode(gt, np.ones((5, 5), np.uint8))
                sample.gt_easy_part = PixelData(
                    data=torch.from_numpy(easy[None].astype(np.int64)))
                sample.gt_hard_part = PixelData(data=torch.from_numpy(
                    (gt - easy)[None].astype(np.int64)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


class Context:
    """Effective settings and resources shared by the sections."""

    def __init__(self, args, tmp: str):
        self.args = args
        self.tmp = tmp
        base = dict(FULL)
        if args.quick:
            base.update(QUICK)
        self.s = base
        self.iters = args.iters or base['iters']
        self.warmup = base['warmup'] if args.warmup is None else args.warmup
        self._phantom_root = None
        self._checkpoint = None

    def batch(self, default: int) -> int:
        return self.args.batch_size or default

    def generated_phantom_root(self) -> str:
        """A small phantom set (BUSI layout) in the temp dir, made once."""
        if self._phantom_root is None:
            from bus_mm.datasets.phantom import make_phantom_dataset
            root = osp.join(self.tmp, 'phantom_data')
            size = (64, 64) if self.args.quick else (256, 256)
            counts = (6, 3, 1) if self.args.quick else (24, 12, 4)
            log(f'  data root {self.args.data_root!r} is missing: generating '
                f'{sum(counts)} phantoms ({hw(*size)}) into {root}')
            make_phantom_dataset(root, *counts, size=size, seed=0)
            self._phantom_root = root
        return self._phantom_root


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------
def bench_phantom(ctx: Context, device: str, out: dict) -> None:
    from bus_mm.datasets.phantom import generate_phantom, make_phantom_dataset
    size = ctx.s['phantom_size']
    n_images = ctx.args.phantom_images or ctx.s['phantom_images']
    cats = ['benign'] * 6 + ['malignant'] * 3 + ['normal']
    counter = itertools.count()

    def one():
        k = next(counter)
        return generate_phantom(np.random.default_rng([0, 0, k]),
                                size=(size, size), category=cats[k % 10])

    log(f'phantom [cpu]: generate_phantom {hw(size)} x{ctx.iters}')
    t_gen, _ = measure(one, ctx.iters, ctx.warmup)
    rows = [make_row('generate_phantom (in memory)', 'cpu', t_gen, 1,
                     hw(size), precision='-', note='one image + masks')]

    n_mal = round(0.3 * n_images)
    n_norm = round(0.1 * n_images)
    n_ben = n_images - n_mal - n_norm
    runs = itertools.count()

    def write_set():
        out = osp.join(ctx.tmp, f'phantom_write_{next(runs)}')
        make_phantom_dataset(out, n_ben, n_mal, n_norm, size=(size, size),
                             seed=0)
        return out

    # each call writes a whole set: at most 3 timed calls (+1 warm-up)
    iters_ds, warm_ds = min(ctx.iters, 3), min(ctx.warmup, 1)
    log(f'phantom [cpu]: make_phantom_dataset {n_images} images {hw(size)} '
        f'x{iters_ds}')
    t_set, _ = measure(write_set, iters_ds, warm_ds)
    rows.append(make_row(
        f'make_phantom_dataset ({n_images} PNGs to temp dir)', 'cpu', t_set,
        n_images, hw(size), precision='-', images=n_images,
        note=f'{n_ben}/{n_mal}/{n_norm} benign/malignant/normal, workers=0; '
        'ms per set'))
    der = [derived('write overhead (set per image / in memory)', 'cpu',
                   (t_set['median_ms'] / n_images) / t_gen['median_ms'],
                   'x', 'PNG encoding + writing + meta', precision='-')]
    out['rows'] += rows
    out['derived'] += der
    out['info'].update(size=size, images=n_images)


def set_data_root(ds_cfg, root: str) -> None:
    """Set ``data_root`` in a dataset config and its wrapped datasets."""
    if isinstance(ds_cfg, dict):
        wrapper = 'datasets' in ds_cfg or 'dataset' in ds_cfg
        if 'data_root' in ds_cfg or not wrapper:
            ds_cfg['data_root'] = root
        for key in ('datasets', 'dataset'):
            sub = ds_cfg.get(key)
            for item in (sub if isinstance(sub, (list, tuple)) else [sub]):
                set_data_root(item, root)


def bench_pipeline(ctx: Context, device: str, out: dict) -> None:
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    cfg = load_cfg(ctx.args.config)
    root = repo_path(ctx.args.data_root, 'data root', osp.isdir)
    generated = not osp.isdir(root)
    if generated:
        root = ctx.generated_phantom_root()
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    set_data_root(ds_cfg, root)
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(ds_cfg)
    if len(dataset) == 0:
        raise RuntimeError(f'the training dataset of {ctx.args.config} under '
                           f'{root} is empty; pass --data-root')
    n_samples = ctx.s['pipeline_samples']
    index = itertools.cycle(range(len(dataset)))
    log(f'pipeline [{device}]: dataset[i] x{n_samples} '
        f'({type(dataset).__name__}, {len(dataset)} samples, {root})')
    t_ds, _ = measure(lambda: dataset[next(index)], n_samples,
                      max(1, ctx.warmup))
    first = dataset[0]
    size = hw(*first['inputs'].shape[-2:])
    rows = [make_row('dataset[i] (read + transforms, 1 process)', 'cpu',
                     t_ds, 1, size, precision='-', note='supply')]

    batch_size = ctx.batch(ctx.s.get('pipeline_batch')
                           or cfg.train_dataloader.batch_size)
    batch = pseudo_collate([dataset[i % len(dataset)]
                            for i in range(batch_size)])
    model = build_model(cfg.model, device)
    model.train()
    optim = build_optim(model, cfg.optim_wrapper)
    log(f'pipeline [{device}]: {type(model).__name__}.train_step batch '
        f'{batch_size} x{ctx.iters}')
    t_step, _ = measure(lambda: model.train_step(batch, optim), ctx.iters,
                        ctx.warmup, device)
    rows.append(make_row(f'{type(model).__name__}.train_step', device,
                         t_step, batch_size, size,
                         note='demand (forward+backward+optimizer)'))
    supply = rows[0]['images_per_s']
    demand = rows[1]['images_per_s']
    ratio = supply / demand
    workers = max(1, math.ceil(demand / supply))
    serial = 1.0 / (1.0 / supply + 1.0 / demand)
    der = [
        derived('pipeline supply / training demand', device, ratio, 'x',
                '>= 1: one worker keeps up'),
        derived('dataloader workers needed', device, workers, 'workers',
                f'ceil(demand / supply); config has num_workers='
                f'{cfg.train_dataloader.get("num_workers")}'
                + ('; on CPU the workers share the cores with training'
                   if device == 'cpu' else '')),
        derived('images/s with num_workers=0', device, serial, 'images/s',
                'loading and training in turn in one process'),
    ]
    del model, optim
    out['rows'] += rows
    out['derived'] += der
    out['info'].update(dict(
        config=ctx.args.config, data_root=root, generated_data=generated,
        dataset_len=len(dataset), batch_size=batch_size))


def _timed_train(ctx, model, optim, batch, device):
    model.train()
    return measure(lambda: model.train_step(batch, optim), ctx.iters,
                   ctx.warmup, device)


def bench_assgan(ctx: Context, device: str, out: dict) -> None:
    cfg = load_cfg(ctx.args.assgan_config)
    crop = cfg.get('crop_size', (128, 128))
    size = ctx.args.size or ctx.s['assgan_size'] or int(crop[0])
    if size % SIZE_DIVISOR:
        raise ValueError(f'ASSGAN input size {size} is not a multiple of '
                         f'{SIZE_DIVISOR}; pass --size')
    batch_size = ctx.batch(ctx.s['assgan_batch']
                           or cfg.train_dataloader.batch_size)
    if batch_size < 4:
        # half the batch is labeled; the generators' BatchNorm (e.g. after
        # PSPNet's 1x1 pooling) needs >= 2 labeled samples in training
        log(f'assgan: batch {batch_size} is too small (half labeled, '
            'BatchNorm needs >= 2 labeled samples); using batch 4')
        batch_size = 4
    nl = batch_size // 2
    nu = batch_size - nl
    channels = len(cfg.model.data_preprocessor.get('mean') or [0, 0, 0])
    model_cfg = copy.deepcopy(cfg.model)
    # filled in place: rows of finished precisions survive a later failure
    rows, der, params = out['rows'], out['derived'], out['params']
    out['info'].update(config=ctx.args.assgan_config, size=size,
                       batch_size=batch_size, labeled=nl, unlabeled=nu)
    assgan = build_model(model_cfg, device)
    names = ('generator_a', 'generator_b')
    gens = {}
    for name in names:
        gcfg = copy.deepcopy(model_cfg[name])
        gcfg.setdefault('type', 'EncoderDecoder')
        gcfg['data_preprocessor'] = copy.deepcopy(model_cfg.data_preprocessor)
        if gcfg.get('test_cfg') is None:
            gcfg['test_cfg'] = dict(mode='whole')
        gens[name] = build_model(gcfg, device)
    params += [dict(model=f'ASSGAN {n}', params=num_params(getattr(
        assgan, n))) for n in (*names, 'discriminator')
        if getattr(assgan, n) is not None]
    params.append(dict(model='ASSGAN total', params=num_params(assgan)))
    short = {n: f'G_{n[-1]} ({type(gens[n].decode_head).__name__})'
             for n in names}
    ow = cfg.optim_wrapper
    for prec in precisions(ctx, device):
        optim = build_optim(assgan, optim_cfg(ow, prec))
        mixed = synthetic_batch(batch_size, size, channels, num_labeled=nl)
        ms = {}
        for name in names:
            opt = dict(ow.get('optimizer', {}))
            entry = ow.get(name) or {}
            opt.update(entry.get('optimizer', {}) or {})
            gopt = build_optim(gens[name], optim_cfg(
                dict(type='OptimWrapper', optimizer=opt), prec))
            labeled = synthetic_batch(batch_size, size, channels,
                                      num_labeled=nl)
            labeled = dict(inputs=labeled['inputs'][:nl],
                           data_samples=labeled['data_samples'][:nl])
            log(f'assgan [{device} {prec}]: {short[name]} supervised iter '
                f'batch {nl} x{ctx.iters}')
            t, _ = _timed_train(ctx, gens[name], gopt, labeled, device)
            ms[name] = t['median_ms']
            rows.append(make_row(f'{short[name]} own supervised iter',
                                 device, t, nl, hw(size), prec,
                                 note='labeled half, own Adam'))
        phases = (('supervised', False, None), ('semi', True, None),
                  ('semi_all', True, 0.0))
        gamma = assgan.gate.gamma
        for phase, semi, force_gamma in phases:
            assgan.semi_enabled = semi
            # gamma=0 accepts every pseudo-label: the semi phase's upper cost
            assgan.gate.gamma = gamma if force_gamma is None else \
                force_gamma
            title = dict(supervised='supervised phase', semi='semi phase',
                         semi_all='semi phase, all pseudo-labels accepted')[
                             phase]
            log(f'assgan [{device} {prec}]: ASSGAN iter, {title}, '
                f'batch {batch_size} x{ctx.iters}')
            accepted = []

            def step():
                logs = assgan.train_step(mixed, optim)
                accepted.append((logs.get('accepted_a', 0.),
                                 logs.get('accepted_b', 0.)))
                return logs
            assgan.train()
            t, _ = measure(step, ctx.iters, ctx.warmup, device)
            note = f'{nl} labeled + {nu} unlabeled'
            if semi:
                acc = np.array(accepted[ctx.warmup:], dtype=float)
                note += (f'; pseudo-labels accepted per iter a/b: '
                         f'{acc[:, 0].mean():.1f}/{acc[:, 1].mean():.1f} of '
                         f'{nu}' + (f' ({type(assgan.gate).__name__}, '
                                    'untrained nets)' if force_gamma is None
                                    else ' (gamma=0)'))
            else:
                note += ' (unlabeled unused)'
            rows.append(make_row(f'ASSGAN iter, {title}', device, t,
                                 batch_size, hw(size), prec, note=note))
            ms[phase] = t['median_ms']
        assgan.semi_enabled, assgan.gate.gamma = False, gamma
        base = ms['generator_a'] + ms['generator_b']
        der += [
            derived('G_a + G_b supervised iters', device, base, 'ms/iter',
                    'sum of medians', prec),
            derived('overhead ASSGAN / (G_a + G_b), supervised phase',
                    device, ms['supervised'] / base, 'x',
                    'adds the D step (and L_adv when lambda_adv > 0), '
                    'if the config has a D', prec),
            derived('overhead ASSGAN / (G_a + G_b), semi phase', device,
                    ms['semi'] / base, 'x',
                    'adds unlabeled forwards, the gate, L_semi on the '
                    'accepted pseudo-labels', prec),
            derived('overhead ASSGAN / (G_a + G_b), semi phase, all '
                    'accepted', device, ms['semi_all'] / base, 'x',
                    'upper bound: L_semi on every unlabeled image', prec),
        ]
        del optim


def bench_taichinet(ctx: Context, device: str, out: dict) -> None:
    from bus_mm.models.segmentors.taichinet import (TAICHINET_ABLATIONS,
                                                    TaiChiNet)
    cfg = load_cfg(ctx.args.taichinet_config)
    size = ctx.args.size or ctx.s['taichinet_size']
    batch_size = ctx.batch(ctx.s['taichinet_batch'])
    mcfg = copy.deepcopy(cfg.model)
    if ctx.s['taichinet_channels']:
        mcfg.backbone.base_channels = ctx.s['taichinet_channels']
    width = mcfg.backbone.get('base_channels', 32)
    stages = mcfg.backbone.get('num_stages', 5)
    channels = int(mcfg.backbone.get('in_channels', 3))
    full_cfg = copy.deepcopy(mcfg)
    full_cfg['stage'] = 2
    rest = {k: v for k, v in mcfg.items()
            if k not in ('type', 'ablation', 'stage', *TAICHINET_ABLATIONS[
                'model1'])}
    m1_cfg = TaiChiNet.ablation_cfg('model1', **copy.deepcopy(rest))
    widths = '-'.join(str(width * 2**i) for i in range(stages))
    full, one = (f'TaiChiNet ({full_cfg.get("ablation", "taichinet")}, '
                 'stage 2)', 'Model 1 (one sub-U-Net)')
    # filled in place: rows of finished precisions survive a later failure
    rows, der, params = out['rows'], out['derived'], out['params']
    out['info'].update(config=ctx.args.taichinet_config, size=size,
                       batch_size=batch_size, channels=widths,
                       in_channels=channels)
    models = {full: build_model(full_cfg, device),
              one: build_model(m1_cfg, device)}
    for label, model in models.items():
        params.append(dict(model=label, params=num_params(model)))
    der.append(derived('parameters TaiChiNet / Model 1', device,
                       params[0]['params'] / params[1]['params'], 'x'))
    batch = synthetic_batch(batch_size, size, channels, curriculum=True)
    for prec in precisions(ctx, device):
        ms = {}
        for label, model in models.items():
            optim = build_optim(model, optim_cfg(cfg.optim_wrapper, prec))
            log(f'taichinet [{device} {prec}]: {label} train iter batch '
                f'{batch_size} {hw(size)} x{ctx.iters}')
            t, _ = _timed_train(ctx, model, optim, batch, device)
            rows.append(make_row(f'{label} train iter', device, t,
                                 batch_size, hw(size), prec,
                                 note=f'channels {widths}'))
            ms[(label, 'train')] = t['median_ms']
            del optim
            model.eval()
            with torch.no_grad():
                x = model.data_preprocessor(batch, False)['inputs']

            def forward():
                with torch.no_grad(), autocast(device, prec):
                    return model(x, mode='tensor')
            log(f'taichinet [{device} {prec}]: {label} inference forward '
                f'x{ctx.iters}')
            t, _ = measure(forward, ctx.iters, ctx.warmup, device)
            rows.append(make_row(f'{label} inference (forward, no grad)',
                                 device, t, batch_size, hw(size), prec,
                                 note='eval mode'))
            ms[(label, 'infer')] = t['median_ms']
            model.train()
        der += [
            derived('train iter TaiChiNet / Model 1', device,
                    ms[(full, 'train')] / ms[(one, 'train')], 'x',
                    precision=prec),
            derived('inference TaiChiNet / Model 1', device,
                    ms[(full, 'infer')] / ms[(one, 'infer')], 'x',
                    precision=prec),
        ]


def random_checkpoint(ctx: Context) -> str:
    """Save a randomly initialised model of --config (timing only)."""
    if ctx._checkpoint is None:
        from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu

        from bus_mm.datasets.bus_base_dataset import BUSBaseDataset
        cfg = load_cfg(ctx.args.config)
        model = build_model(cfg.model, 'cpu')
        model.init_weights()
        path = osp.join(ctx.tmp, 'random_init.pth')
        meta = dict(dataset_meta=dict(
            classes=list(BUSBaseDataset.METAINFO['classes']),
            palette=[list(p) for p in BUSBaseDataset.METAINFO['palette']]))
        save_checkpoint(dict(meta=meta,
                             state_dict=weights_to_cpu(model.state_dict())),
                        path)
        ctx._checkpoint = path
    return ctx._checkpoint


def bench_infer(ctx: Context, device: str, out: dict) -> None:
    import cv2
    from mmengine.dataset import pseudo_collate

    from bus_mm.apis import (build_inference_pipeline, inference_model,
                             init_model)
    from bus_mm.datasets.phantom import generate_phantom
    ckpt = ctx.args.checkpoint
    if ckpt is None:
        log('infer: no --checkpoint, saving a randomly initialised model of '
            f'{ctx.args.config}')
        ckpt = random_checkpoint(ctx)
    elif not osp.isfile(ckpt):
        raise FileNotFoundError(f'--checkpoint {ckpt} not found')
    model = init_model(repo_path(ctx.args.config, 'config', osp.isfile),
                       ckpt, device=device)
    pipeline = build_inference_pipeline(model.cfg)
    size = ctx.s['infer_size']
    batch_size = ctx.batch(ctx.s['infer_batch'])
    img_dir = osp.join(ctx.tmp, f'infer_images_{size}')
    if not osp.isdir(img_dir):
        os.makedirs(img_dir)
        for k in range(max(4, batch_size)):
            image, _, _ = generate_phantom(np.random.default_rng([1, k]),
                                           size=(size, size))
            cv2.imwrite(osp.join(img_dir, f'img_{k}.png'), image)
    paths = sorted(osp.join(img_dir, f) for f in os.listdir(img_dir))
    cycle = itertools.cycle(paths)

    def chunk():
        return [next(cycle) for _ in range(batch_size)]

    def segment():
        # what tools/infer.py does per batch: predict, masks to numpy
        return [r.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
                for r in inference_model(model, chunk())]

    log(f'infer [{device}]: inference_model() batch {batch_size} '
        f'x{ctx.iters}')
    t_seg, preds = measure(segment, ctx.iters, ctx.warmup, device)
    data = model.data_preprocessor(
        pseudo_collate([pipeline(dict(img_path=p, labeled=False))
                        for p in chunk()]), False)
    x = data['inputs']
    net_size = hw(*x.shape[-2:])

    def forward():
        with torch.no_grad():
            return model(x, mode='tensor')

    log(f'infer [{device}]: bare forward {net_size} x{ctx.iters}')
    t_fwd, _ = measure(forward, ctx.iters, ctx.warmup, device)
    rows = [
        make_row('inference_model() (tools/infer.py)', device, t_seg,
                 batch_size,
                 f'{hw(size)} file -> {net_size}',
                 note='read + pipeline + model + postprocess'),
        make_row('bare network forward', device, t_fwd, batch_size, net_size,
                 note="model(x, mode='tensor'), no grad"),
    ]
    der = [
        derived('inference_model() ms/img', device,
                t_seg['median_ms'] / batch_size, 'ms/img'),
        derived('bare forward ms/img', device,
                t_fwd['median_ms'] / batch_size, 'ms/img'),
        derived('inference_model() / bare forward', device,
                t_seg['median_ms'] / t_fwd['median_ms'], 'x',
                'overhead of I/O, pipeline and postprocessing'),
    ]
    if not preds or preds[0].shape != (size, size):
        raise RuntimeError('inference_model() returned '
                           f'{[p.shape for p in preds or []]}, expected '
                           f'{batch_size} masks of {(size, size)}')
    out['rows'] += rows
    out['derived'] += der
    out['params'].append(dict(model=type(model).__name__,
                              params=num_params(model)))
    out['info'].update(dict(
            config=ctx.args.config, checkpoint=ctx.args.checkpoint or
            'random init', image_size=size, network_input=net_size,
            batch_size=batch_size))


def bench_unimatch(ctx: Context, device: str, out: dict) -> None:
    cfg = load_cfg(ctx.args.unimatch_config)
    crop = cfg.get('crop_size', (128, 128))
    size = ctx.args.size or ctx.s['assgan_size'] or int(crop[0])
    if size % SIZE_DIVISOR:
        raise ValueError(f'UniMatch input size {size} is not a multiple of '
                         f'{SIZE_DIVISOR}; pass --size')
    batch_size = max(4, ctx.batch(ctx.s['assgan_batch']
                                  or cfg.train_dataloader.batch_size))
    nl = batch_size // 2  # >= 2 labeled and unlabeled samples (BatchNorm)
    nu = batch_size - nl
    channels = len(cfg.model.data_preprocessor.get('mean') or [0, 0, 0])
    rows, der, params = out['rows'], out['derived'], out['params']
    out['info'].update(config=ctx.args.unimatch_config, size=size,
                       batch_size=batch_size, labeled=nl, unlabeled=nu)
    model = build_model(copy.deepcopy(cfg.model), device)
    params.append(dict(model='UniMatch student', params=num_params(model)))
    tau = model.semi_train_cfg.threshold
    for prec in precisions(ctx, device):
        optim = build_optim(model, optim_cfg(cfg.optim_wrapper, prec))
        mixed = synthetic_batch(batch_size, size, channels, num_labeled=nl)
        ms = {}
        for phase, semi, threshold in (('supervised', False, tau),
                                       ('semi', True, tau),
                                       ('semi_all', True, 0.)):
            model.semi_enabled = semi
            model.semi_train_cfg.threshold = threshold
            ratios = []

            def step():
                logs = model.train_step(mixed, optim)
                ratios.append(logs.get('mask_ratio', 0.))
                return logs
            title = dict(supervised='supervised phase', semi='semi phase',
                         semi_all='semi phase, every pixel confident')[phase]
            log(f'unimatch [{device} {prec}]: UniMatch iter, {title}, '
                f'batch {batch_size} x{ctx.iters}')
            model.train()
            t, _ = measure(step, ctx.iters, ctx.warmup, device)
            note = (f'{nl} labeled (unlabeled unused)' if not semi else
                    f'{nl} labeled + {nu} unlabeled, tau {threshold:g}, '
                    f'confident pixels '
                    f'{100 * float(np.mean(ratios[ctx.warmup:])):.0f}%')
            rows.append(make_row(f'UniMatch iter, {title}', device, t,
                                 batch_size if semi else nl, hw(size), prec,
                                 note=note))
            ms[phase] = t['median_ms']
        model.semi_enabled, model.semi_train_cfg.threshold = False, tau
        der += [
            derived('UniMatch semi / supervised step', device,
                    ms['semi'] / ms['supervised'], 'x',
                    f'target <= 3; tau {tau:g} on untrained weights', prec),
            derived('UniMatch semi / supervised step, every pixel '
                    'confident', device, ms['semi_all'] / ms['supervised'],
                    'x', 'upper cost: every stream back-propagates', prec),
        ]
        del optim


def bench_fastpath(ctx: Context, device: str, out: dict) -> None:
    from bus_mm.apis import bench_fastpath as run_fastpath
    run_fastpath(sys.modules[__name__], ctx, device, out)


def bench_taichinet_w32(ctx: Context, device: str, out: dict) -> None:
    from bus_mm.apis import bench_paper_width
    bench_paper_width(sys.modules[__name__], ctx, device, out)


BENCHES = dict(phantom=bench_phantom, pipeline=bench_pipeline,
               assgan=bench_assgan, taichinet=bench_taichinet,
               infer=bench_infer, fastpath=bench_fastpath,
               unimatch=bench_unimatch,
               **{'taichinet-w32': bench_taichinet_w32})


def run_section(ctx: Context, name: str, device: str, result: dict) -> None:
    """Run one section on one device, adding rows/memory/errors to
    ``result`` (a failure is recorded, the other sections still run)."""
    cuda = device.startswith('cuda')
    scoped = reset_peak_rss()
    rss_start = current_rss_mb()
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    out = dict(rows=[], derived=[], params=[], info={})
    try:
        BENCHES[name](ctx, device, out)
    except Exception as exc:  # recorded; the run goes on
        log(f'{name} [{device}] FAILED: {type(exc).__name__}: {exc}')
        traceback.print_exc(file=sys.stderr)
        result['errors'].append(dict(device=device,
                                     error=f'{type(exc).__name__}: {exc}',
                                     traceback=traceback.format_exc()))
    # what a section measured before a failure is kept
    for key in ('rows', 'derived', 'params'):
        result[key] += out[key]
    result['info'][device] = out['info']
    mem = dict(device=device,
               peak_rss_mb=peak_rss_mb(),
               rss_scope='section' if scoped else 'process',
               rss_start_mb=rss_start,
               wall_s=time.perf_counter() - start)
    if cuda:
        mem['cuda_max_allocated_mb'] = \
            torch.cuda.max_memory_allocated() / 2**20
    result['memory'].append(mem)
    log(f'{name} [{device}] done in {mem["wall_s"]:.1f} s, peak RSS '
        f'{mem["peak_rss_mb"]:.0f} MB')


def resolve_devices(choice: str):
    available = torch.cuda.is_available()
    if choice == 'cuda' and not available:
        raise SystemExit('--device cuda: CUDA is not available in this torch '
                         f'({torch.__version__}); use --device cpu')
    if choice == 'all':
        if not available:
            log('--device all: CUDA is not available, running on the CPU only')
        return ['cpu'] + (['cuda'] if available else [])
    return [choice]


def main(argv=None) -> int:
    args = parse_args(argv)
    # Only the markdown goes to stdout: library prints (checkpoint loading)
    # and mmengine's logger (created here, so bound to stderr) go to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        results, out_path = run(args)
    print(render_markdown(results), flush=True)
    written = write_json(results, out_path)
    if written != args.out:
        log(f'{args.out} exists; not overwritten')
    print(f'\nresults written to {written}', flush=True)
    failed = [n for n, s in results['sections'].items() if s['errors']]
    if failed:
        log(f'sections with errors: {", ".join(failed)}')
        return 1
    return 0


def run(args):
    """Run the selected sections; returns ``(results, out_path)``."""
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    import bus_mm  # noqa: F401  registers the bus_mm modules
    # keep mmengine's info messages (checkpoint loading...) off stdout
    MMLogger.get_instance('bus_mm_bench', log_level='WARNING')
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = resolve_devices(args.device)
    if args.amp and 'cuda' not in devices:
        log('--amp: AMP rows are timed on CUDA only; none on this run')
    out_path = unique_path(args.out)
    results = dict(machine=machine_state(devices), settings={}, sections={})
    with tempfile.TemporaryDirectory(prefix='bus_mm_bench_') as tmp:
        ctx = Context(args, tmp)
        results['settings'] = dict(
            vars(args), iters=ctx.iters, warmup=ctx.warmup,
            sizes={k: v for k, v in ctx.s.items()
                   if k not in ('iters', 'warmup')})
        log(f'sections {", ".join(args.sections)} on {", ".join(devices)} '
            f'(iters {ctx.iters}, warmup {ctx.warmup}'
            f'{", quick" if args.quick else ""})')
        total = time.perf_counter()
        for i, name in enumerate(args.sections, 1):
            result = dict(rows=[], derived=[], params=[], memory=[],
                          errors=[], info={})
            # phantom generation is numpy only: once, on the CPU
            for device in (['cpu'] if name == 'phantom' else devices):
                log(f'({i}/{len(args.sections)}) {name} on {device}')
                run_section(ctx, name, device, result)
            results['sections'][name] = result
        results['total_wall_s'] = time.perf_counter() - total
    return results, out_path


if __name__ == '__main__':
    sys.exit(main())
