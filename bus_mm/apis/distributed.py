"""``--launcher pytorch`` on CPU-only machines (gloo): training and testing."""
from mmengine.config import Config
from mmengine.logging import print_log


def init_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Make ``--launcher pytorch`` work on CPU-only machines (gloo).

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its model
    wrappers pass ``device_ids=[LOCAL_RANK]``, neither of which a CPU model
    allows. So the gloo group is started here (the runner then skips its own
    init) and the DDP wrapper(s) are built with ``device_ids=None``. Does
    nothing for other launchers or when CUDA is available.

    Args:
        cfg (Config): The run's config; its ``model_wrapper_cfg`` is set (or
            updated) in place.
        launcher (str): ``--launcher``: 'none', 'pytorch', 'slurm' or 'mpi'.
    """
    import torch
    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    print_log(f'CPU distributed run: gloo, rank {dist.get_rank()} of '
              f'{dist.get_world_size()}', logger='current')


def destroy_distributed() -> None:
    """Wait for every rank, then tear the process group down (if any).

    A gloo group left to process exit can abort a rank ("terminate called
    without an active exception") after the work has finished, so the tools
    call this at their end.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
