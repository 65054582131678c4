"""bus_mm.evaluation.normal_test: the config side of testing on BUSI's
normal images (tools/cross_val.py --test-normal runs it end to end)."""
import pytest
from mmengine.config import Config

from bus_mm.evaluation.normal_test import (has_normal_figures,
                                           merge_normal_figures,
                                           normal_split, normal_test_options)


def _cfg(**test_ds):
    ds = dict(type='BUSIDataset', data_root='data/BUSI', split='s.json',
              split_part='test', pipeline=[])
    ds.update(test_ds)
    return Config(dict(
        train_dataloader=dict(dataset=dict(ds, split_part='train')),
        test_dataloader=dict(dataset=ds)))


def test_options_point_only_the_test_loader_at_the_normal_split():
    opts = normal_test_options(_cfg(), '/w/splits/normal.json')
    assert opts == ['test_dataloader.dataset.include_normal=True',
                    'test_dataloader.dataset.split=/w/splits/normal.json',
                    'test_dataloader.dataset.split_part=test']


@pytest.mark.parametrize('test_ds,message', [
    (dict(type='UDIATDataset'), 'only BUSIDataset'),
    (dict(include_normal=True), 'already has include_normal=True'),
])
def test_data_it_cannot_test_is_refused(test_ds, message):
    with pytest.raises(ValueError, match=message):
        normal_test_options(_cfg(**test_ds), 'n.json')


def test_normal_split_has_nothing_to_train_on():
    split = normal_split(['normal/normal (2)', 'normal/normal (1)'])
    assert split['test'] == ['normal/normal (2)', 'normal/normal (1)']
    assert split['train'] == split['val'] == split['labeled'] == []


def test_merge_adds_normal_figures_per_variant_and_keeps_the_rest():
    metrics = dict(generator_a=dict(Dice=0.7, IoU=0.6),
                   generator_b=dict(Dice=0.5, IoU=0.4))
    normal = {v: dict(Dice=0.2, IoU=0.2, normal_num_images=30,
                      normal_num_clean=k, normal_clean=k / 30,
                      normal_fp_pixels=100.0 * k, normal_fp_fraction=0.01)
              for k, v in enumerate(('generator_a', 'generator_b'), 1)}
    assert not has_normal_figures(metrics)
    out = merge_normal_figures(metrics, normal)
    assert out['generator_a']['Dice'] == 0.7  # the lesion test's figure
    assert out['generator_b']['normal_fp_pixels'] == 200.0
    assert out['generator_a']['normal_num_clean'] == 1
    assert has_normal_figures(out) and not has_normal_figures({})
    assert 'normal_num_images' not in metrics['generator_a']  # a copy
    with pytest.raises(ValueError, match='generator_b'):
        merge_normal_figures(metrics, dict(generator_a=normal['generator_a']))
