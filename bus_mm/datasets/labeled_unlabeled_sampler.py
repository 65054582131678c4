"""A sampler that puts a fixed number of labeled and unlabeled samples in every batch."""
import itertools
from typing import Iterator, Optional, Sized

import torch
from mmengine.dataset import ConcatDataset
from mmengine.dist import get_dist_info, sync_random_seed
from mmseg.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


@DATA_SAMPLERS.register_module()
class LabeledUnlabeledSampler(Sampler):
    """Infinite sampler over ``ConcatDataset([labeled, unlabeled])``.

    Every consecutive ``batch_size`` indices hold ``num_labeled`` indices of the
    first dataset followed by ``batch_size - num_labeled`` of the second, each
    drawn from its own endless reshuffled stream (the pattern of mmdet's
    ``MultiSourceSampler``), so the dataloader's batches keep a fixed
    labeled:unlabeled ratio however small the labeled set is. Use it with an
    ``IterBasedTrainLoop`` and set the dataloader's ``batch_size`` to the same
    value. In distributed runs each rank draws its own streams.

    Args:
        dataset (ConcatDataset): ``[labeled, unlabeled]`` datasets.
        batch_size (int): Samples per batch (must equal the dataloader's).
        num_labeled (int): Labeled samples per batch, 1 <= n <= batch_size.
        shuffle (bool): Reshuffle each stream every pass. Defaults to True.
        seed (int, optional): Random seed; synchronised across ranks if None.
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: int,
                 num_labeled: int,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not isinstance(dataset, ConcatDataset) or len(dataset.datasets) != 2:
            raise TypeError(
                'LabeledUnlabeledSampler needs dataset=dict(type='
                "'ConcatDataset', datasets=[labeled_dataset, unlabeled_dataset])")
        if not 1 <= num_labeled <= batch_size:
            raise ValueError(f'num_labeled must lie in [1, batch_size='
                             f'{batch_size}], got {num_labeled}')
        self.sizes = [len(d) for d in dataset.datasets]
        if self.sizes[0] == 0:
            raise ValueError('the labeled dataset is empty')
        if num_labeled < batch_size and self.sizes[1] == 0:
            raise ValueError('the unlabeled dataset is empty; set num_labeled '
                             '= batch_size for supervised-only batches')
        self.dataset = dataset
        self.batch_size = batch_size
        self.num_labeled = num_labeled
        self.shuffle = shuffle
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed

    def _stream(self, size: int, offset: int, salt: int) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.seed + 1000003 * salt + 7919 * self.rank)
        while True:
            order = (torch.randperm(size, generator=g)
                     if self.shuffle else torch.arange(size))
            yield from (offset + i for i in order.tolist())

    def __iter__(self) -> Iterator[int]:
        labeled = self._stream(self.sizes[0], 0, 0)
        n_unl = self.batch_size - self.num_labeled
        unlabeled = self._stream(self.sizes[1], self.sizes[0], 1) \
            if n_unl else iter(())
        while True:
            yield from itertools.islice(labeled, self.num_labeled)
            yield from itertools.islice(unlabeled, n_unl)

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used: the streams are endless (iteration-based training)."""
