"""Load a config as the tools do: overrides, data root, default work dir."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from ..engine.config_walk import set_data_root


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                data_root: Optional[str] = None) -> Config:
    """Load a config with command-line overrides, mmseg-style.

    Args:
        config (str): Path of the config file.
        cfg_options (dict, optional): ``--cfg-options`` overrides (an mmengine
            ``DictAction`` dict), merged into the config.
        work_dir (str, optional): ``--work-dir``. Without it the config's
            ``work_dir`` is kept, else ``./work_dirs/<config name>`` is used.
        data_root (str, optional): ``--data-root``: replaces the data root of
            every train/val/test dataset, ConcatDataset parts included.

    Returns:
        Config: The loaded config, ``work_dir`` set.

    Raises:
        SystemExit: The config file is missing, ``data_root`` is not a
            folder, or the config has a dataset whose root cannot be set (the
            message names the file and what to change).
    """
    if not osp.isfile(config):
        raise SystemExit(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root is not None:
        if not osp.isdir(data_root):
            raise SystemExit(f'--data-root {data_root!r} is not a folder; give '
                             'the dataset folder (e.g. the BUSI root holding '
                             'benign/ and malignant/)')
        try:
            set_data_root(cfg, data_root)
        except ValueError as e:
            raise SystemExit(f'{config}: {e}') from None
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg
