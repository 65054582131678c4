"""Let torch>=2.6 (``weights_only=True`` by default) load checkpoints bus_mm writes.

mmengine 0.10.7 saves, besides tensors, a ``message_hub`` state holding
``HistoryBuffer`` objects (with numpy arrays) and a ``meta`` dict. torch's safe
unpickler refuses those, so ``--resume`` and ``load_from`` fail on our own
checkpoints. Instead of a global "trust every pickle" switch
(``weights_only=False``) bus_mm does two narrow things:

1. allow-lists exactly the classes such checkpoints contain
   (:func:`torch.serialization.add_safe_globals`): ``HistoryBuffer``,
   ``ConfigDict`` and the numpy array/scalar/dtype reconstructors;
2. makes ``HistoryBuffer`` pickle without its four built-in statistics
   functions (``min/max/current/mean``), which mmengine re-creates on load
   anyway. Pickling them needs ``builtins.getattr``, which we do not want to
   allow-list because it opens attribute access on every loaded object.

Anything else in a file (arbitrary code) is still refused by torch.
"""
import numpy as np
import torch


def _numpy_globals() -> list:
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtypes = {type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_)}
    return [_reconstruct, scalar, np.ndarray, np.dtype, *sorted(dtypes, key=str)]


def _history_buffer_getstate(self) -> dict:
    """``HistoryBuffer.__getstate__`` that leaves out the built-in statistics."""
    defaults = {'min', 'max', 'current', 'mean'}
    state = dict(self.__dict__)
    state['statistics_methods'] = {
        k: v for k, v in self._statistics_methods.items() if k not in defaults}
    return state


def allow_mmengine_checkpoints() -> None:
    """Make checkpoints written from now on loadable under ``weights_only``."""
    from mmengine.config import ConfigDict
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(
            [HistoryBuffer, ConfigDict, *_numpy_globals()])
