"""One optimizer wrapper per named sub-network (GANs such as ASSGAN).

mmengine's ``DefaultOptimWrapperConstructor`` builds one optimizer for the
whole model. A GAN trains its networks with separate optimizers, so its
``train_step`` receives an ``OptimWrapperDict``; this constructor builds it
from a config with one entry per direct sub-network of the model::

    optim_wrapper = dict(
        constructor='MultiOptimWrapperConstructor',
        generator_a=dict(type='OptimWrapper',
                         optimizer=dict(type='Adam', lr=1e-4,
                                        betas=(0.9, 0.999))),
        generator_b=dict(type='OptimWrapper',
                         optimizer=dict(type='Adam', lr=1e-4,
                                        betas=(0.9, 0.999))),
        discriminator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', lr=1e-4,
                                          betas=(0.9, 0.999))))

Top-level keys that are not sub-network entries (``type``, ``optimizer``,
``clip_grad``, ``accumulative_counts``, ``loss_scale``, ``dtype``,
``paramwise_cfg``, ...) are defaults shared by every entry (an entry's own
value wins; an entry's ``optimizer`` is merged into the shared one unless
it names another ``type``). So the short form works too, and so does
``--amp`` when a tool sets ``optim_wrapper.type='AmpOptimWrapper'``::

    optim_wrapper = dict(
        constructor='MultiOptimWrapperConstructor',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)),
        generator_a=dict(type='OptimWrapper'),
        generator_b=dict(type='OptimWrapper'),
        discriminator=dict(type='OptimWrapper',
                           optimizer=dict(lr=4e-4)))

Each entry may carry its own ``paramwise_cfg``; it is handed, with the rest
of the entry, to mmengine's ``DefaultOptimWrapperConstructor`` for that
sub-network. Entries whose sub-network is ``None`` in the model (e.g.
``generator_b=None`` or ``discriminator=None`` in ASSGAN's ablations) are
skipped.

Parameter schedulers: with an ``OptimWrapperDict`` the runner builds the
``param_scheduler`` list once per entry, so one list applies to all
networks; a dict keyed by entry name (every entry needs a key) gives each
network its own::

    param_scheduler = [
        dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=20000,
             by_epoch=False)]
    # or
    param_scheduler = dict(
        generator_a=[dict(type='PolyLR', power=0.9, end=20000,
                          by_epoch=False)],
        generator_b=[dict(type='PolyLR', power=0.9, end=20000,
                          by_epoch=False)],
        discriminator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)])
"""
import copy
from typing import Dict, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

# Top-level keys that are never sub-network names.
_SHARED_ONLY = ('type', 'optimizer', 'clip_grad', 'paramwise_cfg',
                'accumulative_counts', 'loss_scale', 'dtype', 'on_unsupported')


def _unwrap(module: nn.Module) -> nn.Module:
    while is_model_wrapper(module):
        module = module.module
    return module


def _is_trainable(module: Optional[nn.Module]) -> bool:
    return module is not None and any(p.requires_grad
                                       for p in module.parameters())


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one wrapper per sub-network.

    Args:
        optim_wrapper_cfg (dict): Per-network optimizer wrapper configs keyed
            by the model's attribute names (a value is a dict with
            ``optimizer`` and/or ``type``, or None), plus shared defaults
            (any other key).
        paramwise_cfg (dict, optional): Shared ``paramwise_cfg`` default
            (mmengine's ``build_optim_wrapper`` pops it from the top level).
            Defaults to None.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None):
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError('MultiOptimWrapperConstructor: optim_wrapper_cfg '
                            'must be a dict, got '
                            f'{type(optim_wrapper_cfg).__name__}.')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        self.paramwise_cfg = copy.deepcopy(paramwise_cfg)

    @staticmethod
    def _is_entry(key: str, value) -> bool:
        if key in _SHARED_ONLY:
            return False
        if value is None:
            return True
        return isinstance(value, dict) and ('optimizer' in value
                                            or 'type' in value)

    def _split(self, model: nn.Module):
        entries, shared = {}, {}
        for key, value in self.optim_wrapper_cfg.items():
            child = key in model._modules or (hasattr(model, key) and (
                getattr(model, key) is None
                or isinstance(getattr(model, key), nn.Module)))
            if key not in _SHARED_ONLY and (child
                                            or self._is_entry(key, value)):
                entries[key] = value
            else:
                shared[key] = value
        if self.paramwise_cfg is not None:
            shared.setdefault('paramwise_cfg', self.paramwise_cfg)
        return entries, shared

    @staticmethod
    def _merge(shared: dict, entry: dict) -> dict:
        cfg = copy.deepcopy(shared)
        entry = copy.deepcopy(dict(entry))
        opt = entry.pop('optimizer', None)
        cfg.update(entry)
        if opt is not None:
            base = cfg.get('optimizer')
            if base is None or (opt.get('type') is not None
                                and opt.get('type') != base.get('type')):
                cfg['optimizer'] = opt
            else:
                merged = dict(base)
                merged.update(opt)
                cfg['optimizer'] = merged
        return cfg

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the wrappers for ``model`` (model wrappers are unwrapped).

        Returns:
            OptimWrapperDict: One optimizer wrapper per trainable
            sub-network, keyed by its attribute name.
        """
        model = _unwrap(model)
        entries, shared = self._split(model)
        if not entries:
            raise ValueError(
                'MultiOptimWrapperConstructor: the optim_wrapper config has '
                'no per-network entry; add one per sub-network, e.g. '
                "generator_a=dict(type='OptimWrapper', optimizer=dict(...)).")
        wrappers: Dict[str, object] = {}
        for key, entry in entries.items():
            if not hasattr(model, key):
                raise AttributeError(
                    f'MultiOptimWrapperConstructor: optim_wrapper.{key} '
                    f'names no sub-network of {type(model).__name__} '
                    f'(it has {sorted(model._modules)}); remove or rename '
                    'the entry.')
            sub = getattr(model, key)
            if sub is None:
                print_log(
                    f'MultiOptimWrapperConstructor: {type(model).__name__}.'
                    f'{key} is None; skipping optim_wrapper.{key}.',
                    logger='current')
                continue
            if not isinstance(sub, nn.Module):
                raise TypeError(
                    f'MultiOptimWrapperConstructor: optim_wrapper.{key} must '
                    f'name an nn.Module attribute, but {type(model).__name__}'
                    f'.{key} is a {type(sub).__name__}.')
            if entry is None:
                if _is_trainable(sub):
                    raise ValueError(
                        f'MultiOptimWrapperConstructor: optim_wrapper.{key} '
                        f'is None but {type(model).__name__}.{key} has '
                        'trainable parameters; give it an optimizer config.')
                continue
            cfg = self._merge(shared, entry)
            if 'optimizer' not in cfg:
                raise ValueError(
                    f'MultiOptimWrapperConstructor: optim_wrapper.{key} has '
                    "no 'optimizer' (and no shared one); add e.g. "
                    "optimizer=dict(type='Adam', lr=1e-4).")
            paramwise = cfg.pop('paramwise_cfg', None)
            constructor = DefaultOptimWrapperConstructor(cfg, paramwise)
            wrappers[key] = constructor(_unwrap(sub))

        missing = [
            name for name, child in model.named_children()
            if name not in wrappers and name not in entries
            and _is_trainable(child)
        ]
        if missing:
            raise KeyError(
                'MultiOptimWrapperConstructor: the trainable sub-network(s) '
                f'{missing} of {type(model).__name__} have no optim_wrapper '
                f'entry; add {missing[0]}=dict(type=\'OptimWrapper\', '
                'optimizer=dict(...)) to the optim_wrapper config.')
        return OptimWrapperDict(**wrappers)
