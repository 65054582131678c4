"""Parameter counts of config models, against TaiChiNet's Table I."""
from typing import Optional, Union

from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

#: TaiChiNet Table I "Params" column (millions), by ablation preset.
TABLE_I = dict(model1=8.64, model2=17.28, model3=17.28, model4=18.33,
               model5=17.28, model6=18.33, model7=18.33, taichinet=18.33)


def count_params(config: Union[str, Config],
                 cfg_options: Optional[dict] = None) -> dict:
    """Build the model of ``config`` and count its parameters (no data).

    Args:
        config (str | Config): Config file path or a loaded config (a path's
            config is loaded afresh; a Config is changed by
            ``cfg_options``).
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        dict: ``config``, ``model`` (type), ``ablation`` (TaiChiNet preset or
        ''), ``total``, ``trainable``, ``reference_m`` (Table I millions or
        None) and ``diff`` (relative difference to it or None).

    Raises:
        ValueError: The config has no ``model``.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ValueError(f'{cfg.filename}: no `model` in the config')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    import bus_mm  # noqa: F401  registers the bus_mm modules
    from mmseg.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg.pop('pretrained', None)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmseg')):
        model = MODELS.build(model_cfg)
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    ablation = getattr(model, 'ablation', '') or ''
    ref = None
    if type(model).__name__ == 'TaiChiNet':
        net = model.backbone_p
        # only Fig. 3's sub-U-Net (32-64-128-256-512) is Table I's model
        if net.base_channels == 32 and len(net.encoder) == 5:
            ref = TABLE_I.get(ablation)
    return dict(config=cfg.filename if isinstance(config, Config) else config,
                model=type(model).__name__, ablation=ablation, total=total,
                trainable=trainable, reference_m=ref,
                diff=None if ref is None else total / (ref * 1e6) - 1.0)
