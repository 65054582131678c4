import numpy as np
import pytest

from bus_mm.datasets.mask_io import binarize_mask, read_image


@pytest.mark.parametrize('encode', [
    lambda m: m,                                 # 0/1
    lambda m: m * 255,                           # 0/255
    lambda m: np.dstack([m * 255] * 3),          # RGB
    lambda m: np.dstack([m * 255] * 3 + [np.full_like(m, 255)]),  # RGBA
    lambda m: m.astype(bool),                    # 1-bit
])
def test_binarize_encodings(encode):
    m = np.zeros((6, 6), np.uint8)
    m[1:4, 2:5] = 1
    out = binarize_mask(encode(m))
    assert out.dtype == np.uint8 and np.array_equal(out, m)


def test_binarize_antialiased_grey_never_255():
    grey = np.array([[0, 40, 127], [128, 200, 255]], np.uint8)
    out = binarize_mask(grey)
    assert out.tolist() == [[0, 0, 0], [1, 1, 1]]
    assert out.max() <= 1  # cannot collide with ignore_index=255


def test_read_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.png'):
        read_image(str(tmp_path / 'nope.png'))
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n garbage')
    with pytest.raises(OSError, match='bad.png.*corrupt'):
        read_image(str(bad))
