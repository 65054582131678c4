"""Packing BUS samples: mmseg's PackSegInputs plus BUS meta and curriculum masks."""
import numpy as np
from mmcv.transforms import to_tensor
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

EXTRA_SEG_FIELDS = ('gt_easy_part', 'gt_hard_part')
# gate audit masks of unlabeled images (packed as ``gt_audit_seg``)
AUDIT_FIELD = ('gt_audit_map', 'gt_audit_seg')


@TRANSFORMS.register_module()
class PackBUSInputs(PackSegInputs):
    """:class:`mmseg.datasets.transforms.PackSegInputs` for BUS data.

    Besides mmseg's fields it packs ``sample_id``, ``category`` and ``labeled``
    into the meta information (unlabeled samples have ``labeled=False`` and no
    ``gt_sem_seg``), and TaiChiNet's curriculum masks ``gt_easy_part`` and
    ``gt_hard_part`` as ``PixelData`` fields of the data sample.
    """

    def __init__(self,
                 meta_keys=('img_path', 'seg_map_path', 'ori_shape',
                            'img_shape', 'pad_shape', 'scale_factor', 'flip',
                            'flip_direction', 'reduce_zero_label', 'sample_id',
                            'category', 'labeled')):
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        results.setdefault('labeled', 'gt_seg_map' in results)
        packed = super().transform(results)
        sample = packed['data_samples']
        fields = [(k, k) for k in EXTRA_SEG_FIELDS] + [AUDIT_FIELD]
        for key, name in fields:
            if key in results:
                data = to_tensor(results[key][None].astype(np.int64))
                sample.set_data({name: PixelData(data=data)})
        return packed
