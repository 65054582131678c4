"""Code the command-line tools share, in the spirit of ``mmseg.apis``.

Loading configs as the tools do, building a trained segmentor and segmenting
images with it (every bus_mm model), CPU-distributed runs, parameter counts,
training-log readers and the fast-path and paper-width benchmark sections.
"""
from .bench_fastpath import CL_MARGIN, FASTPATH_MODELS, bench_fastpath
from .bench_paper_width import PAPER_WIDTH_MODELS, bench_paper_width
from .config import load_config
from .distributed import destroy_distributed, init_cpu_distributed
from .inference import (ANNOTATION_LOADERS, build_inference_pipeline,
                        inference_model, init_model)
from .params import TABLE_I, count_params
from .run_logs import best_val_iou, val_ious

__all__ = [
    'ANNOTATION_LOADERS', 'CL_MARGIN', 'FASTPATH_MODELS',
    'PAPER_WIDTH_MODELS', 'TABLE_I', 'bench_fastpath', 'bench_paper_width',
    'best_val_iou', 'val_ious', 'build_inference_pipeline',
    'count_params', 'destroy_distributed', 'inference_model', 'init_model',
    'init_cpu_distributed', 'load_config'
]
