"""Synthetic B-mode-like breast-ultrasound phantoms written in the BUSI layout.

The phantoms are the embedded default data for demos, tests and benchmarks.
They are *not* a claim about clinical accuracy: they only reproduce the image
features that make BUS lesion segmentation hard, so that every part of the
pipeline (the BUSI loader included) can be exercised without real data:

* a layered tissue map (skin line, subcutaneous fat with Cooper's ligaments,
  fibro-glandular layer, retro-mammary fat, striated pectoral muscle, chest
  wall) with smooth random variation;
* depth attenuation with a partial time-gain compensation;
* spatially correlated, fully developed (Rayleigh) speckle and log compression;
* hypoechoic lesions with irregular, blurred margins: benign ones oval or
  lobulated, wider than tall, often with a thin echogenic capsule and
  posterior acoustic enhancement; malignant ones irregular/spiculated with a
  taller-than-wide tendency, micro-calcifications and posterior shadowing;
* dark non-lesion distractors: ducts (elongated dark tubes), fat lobules (dark
  ellipses), and acoustic shadows (rib, probe-contact edge, fibrous foci);
* lesion-free ("normal") images that still contain distractors;
* a rectangular (linear probe) or trapezoidal field of view, black outside.

``difficulty`` in [0, 1] moves lesion contrast towards the background, blurs
margins, strengthens speckle and makes distractors more numerous, darker and
more lesion-like (at 1.0 they look nearly like lesions).

Layout written by :func:`make_phantom_dataset` (the real BUSI layout)::

    <out>/benign/benign (1).png            RGB, grey replicated
    <out>/benign/benign (1)_mask.png       0/255, first lesion
    <out>/benign/benign (1)_mask_1.png     0/255, second lesion (~10 %)
    <out>/malignant/...                    same
    <out>/normal/normal (1)_mask.png       all zero
    <out>/distractor_masks/<class> (<n>).png   0/255 dark distractor pixels
    <out>/phantom_meta.json                generator args, seed, counts

Every image is drawn from its own
``np.random.default_rng([seed, class_id, n])`` (class_id: benign 0,
malignant 1, normal 2), so the output does not depend on the number of
workers nor on the counts of the other classes. Images smaller than about
64 x 64 may occasionally not fit a requested second lesion.
"""
import json
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'PHANTOM_VERSION', 'PHANTOM_CATEGORIES', 'generate_phantom',
    'make_phantom_dataset'
]

# bump whenever the generated pixels change: a phantom dir is reused only if
# its meta has the same version and arguments
PHANTOM_VERSION = '1.0'
PHANTOM_CATEGORIES = ('benign', 'malignant', 'normal')
META_FILE = 'phantom_meta.json'
DISTRACTOR_DIR = 'distractor_masks'
_CLASS_IDS = {c: i for i, c in enumerate(PHANTOM_CATEGORIES)}

# display mapping: grey = gain + _GREY_PER_DB * dB (dB relative to glandular
# tissue); a 55 dB dynamic range over 0..255.
_GREY_PER_DB = 255.0 / 55.0


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _blur(img: np.ndarray, sigma_x: float, sigma_y: Optional[float] = None):
    """Gaussian blur of a float32 map (no-op for tiny sigmas)."""
    sigma_y = sigma_x if sigma_y is None else sigma_y
    if sigma_x < 0.3 and sigma_y < 0.3:
        return img
    return cv2.GaussianBlur(
        img, (0, 0),
        sigmaX=max(sigma_x, 0.3),
        sigmaY=max(sigma_y, 0.3),
        borderType=cv2.BORDER_REFLECT)


def _smooth_noise_1d(rng: np.random.Generator, n: int, n_ctrl: int,
                     amp: float) -> np.ndarray:
    """Smooth random curve of length ``n`` (cubic upsampled control points)."""
    ctrl = rng.normal(0.0, amp, (1, n_ctrl)).astype(np.float32)
    return cv2.resize(ctrl, (n, 1), interpolation=cv2.INTER_CUBIC)[0]


def _smooth_noise_2d(rng: np.random.Generator, shape: Tuple[int, int],
                     grid: Tuple[int, int], amp: float) -> np.ndarray:
    """Smooth random field (cubic upsampled Gaussian grid), std ~ ``amp``."""
    ctrl = rng.normal(0.0, amp, grid).astype(np.float32)
    return cv2.resize(
        ctrl, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _fill_poly(shape: Tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """Rasterise a closed polygon (float pixel coords, (N, 2) x/y) to 0/1."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(pts * 16).astype(np.int32)], 1,
                 lineType=cv2.LINE_8, shift=4)
    return mask


def _blob_polygon(rng: np.random.Generator, cx: float, cy: float, ax: float,
                  ay: float, angle: float, kind: str,
                  irregularity: float = 1.0) -> np.ndarray:
    """Outline of a lesion-like blob.

    Args:
        rng: random generator.
        cx, cy: centre in pixels.
        ax, ay: lateral / axial semi-axes in pixels.
        angle: rotation in radians.
        kind: ``'benign'`` (oval / macro-lobulated, smooth) or
            ``'malignant'`` (irregular, angular, spiculated).
        irregularity: scales every perturbation (0 gives an ellipse).

    Returns:
        np.ndarray: (N, 2) float32 polygon in x/y pixel coordinates.
    """
    n = 128
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    if kind == 'benign':
        for k in range(2, 6):
            r += rng.uniform(0, 0.05) * np.cos(k * theta + rng.uniform(0, 7))
        if rng.random() < 0.35:  # gently macro-lobulated
            k = int(rng.integers(2, 5))
            r += rng.uniform(0.05, 0.1) * np.cos(k * theta +
                                                 rng.uniform(0, 7))
    else:
        for k in range(2, 13):
            r += (rng.uniform(0, 0.2) / k**0.8 *
                  np.cos(k * theta + rng.uniform(0, 7)))
        for _ in range(int(rng.integers(3, 11))):  # spicules
            t0 = rng.uniform(0, 2 * np.pi)
            d = np.angle(np.exp(1j * (theta - t0)))
            r += rng.uniform(0.12, 0.45) * np.exp(
                -0.5 * (d / rng.uniform(0.03, 0.08))**2)
        jitter = rng.normal(0, 0.035, n)
        r += np.convolve(np.r_[jitter[-1:], jitter, jitter[:1]],
                         [0.25, 0.5, 0.25], 'valid')
    r = 1.0 + (r - 1.0) * irregularity
    r = np.clip(r, 0.4, None)
    x = ax * r * np.cos(theta)
    y = ay * r * np.sin(theta)
    ca, sa = np.cos(angle), np.sin(angle)
    pts = np.stack([cx + ca * x - sa * y, cy + sa * x + ca * y], axis=1)
    return pts.astype(np.float32)


class _Scene:
    """Geometry shared by the drawing steps of one phantom."""

    def __init__(self, rng: np.random.Generator, size: Tuple[int, int]):
        h, w = size
        self.h, self.w = h, w
        self.sc = min(h, w) / 256.0
        # field of view: linear probe (rectangle) or trapezoid
        self.top = int(round(h * rng.uniform(0.0, 0.06)))
        self.bottom = h - int(round(h * rng.uniform(0.0, 0.04)))
        ml, mr = w * rng.uniform(0.0, 0.06, 2)
        fov_h = self.bottom - self.top
        rows = np.arange(h, dtype=np.float32)
        self.yy = ((rows - self.top) / max(fov_h - 1, 1))[:, None] * \
            np.ones((1, w), np.float32)  # normalised depth 0..1 in the FOV
        yv = np.clip(self.yy[:, 0], 0, 1)
        if rng.random() < 0.3:
            shrink = rng.uniform(0.1, 0.22) * w
            self.left = ml + shrink * (1 - yv)
            self.right = w - mr - shrink * (1 - yv)
        else:
            self.left = np.full(h, ml, np.float32)
            self.right = np.full(h, w - mr, np.float32)
        cols = np.arange(w, dtype=np.float32)[None, :]
        self.cols, self.rows = cols, rows[:, None]
        self.fov = ((self.rows >= self.top) & (self.rows < self.bottom)
                    & (cols >= self.left[:, None])
                    & (cols < self.right[:, None]))
        k = max(3, int(round(4 * self.sc)) * 2 + 1)
        self.fov_inner = cv2.erode(
            self.fov.astype(np.uint8), np.ones((k, k), np.uint8),
            borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
        # layer boundaries (normalised depth, one value per column)
        self.skin = rng.uniform(0.025, 0.045) + _smooth_noise_1d(
            rng, w, 4, 0.004)
        self.fat = (rng.uniform(0.13, 0.27) + _smooth_noise_1d(
            rng, w, 5, 0.03) + _smooth_noise_1d(rng, w, 11, 0.008))
        self.gland = np.minimum(
            self.fat + rng.uniform(0.32, 0.45) +
            _smooth_noise_1d(rng, w, 6, 0.04) +
            _smooth_noise_1d(rng, w, 12, 0.008), 0.8)
        self.retro = self.gland + rng.uniform(0.02, 0.05)
        self.muscle = self.retro + rng.uniform(0.1, 0.18) + \
            _smooth_noise_1d(rng, w, 4, 0.015)

    def depth_rows(self, lo: float, hi: float) -> Tuple[float, float]:
        fov_h = self.bottom - self.top
        return self.top + lo * fov_h, self.top + hi * fov_h


def _tissue_db(rng: np.random.Generator, s: _Scene) -> np.ndarray:
    """Echogenicity (dB re. glandular tissue) of the layered breast."""
    h, w, yy = s.h, s.w, s.yy
    fat_db = rng.uniform(-11.0, -7.5)
    # glandular layer: heterogeneous, mid- and fine-scale variation plus
    # laterally elongated fibrous strands
    strands = rng.standard_normal((h, w), dtype=np.float32)
    strands = _blur(strands, 6.0 * s.sc, 1.2 * s.sc)
    strands *= 2.0 / (strands.std() + 1e-6)
    gland = (_smooth_noise_2d(rng, (h, w), (6, 8), 2.0) +
             _smooth_noise_2d(rng, (h, w), (20, 26), 1.0) + strands)
    # fat: lobular texture
    fat = fat_db + _smooth_noise_2d(rng, (h, w), (10, 14), 1.5)
    # pectoral muscle: oblique striations
    f = rng.uniform(28, 45)
    slope = rng.uniform(-0.15, 0.15)
    phase = _smooth_noise_2d(rng, (h, w), (4, 6), 1.0)
    muscle = -4.5 + 3.5 * np.tanh(
        2.0 * np.sin(2 * np.pi * f * (yy + slope * s.cols / w) + phase))
    deep = -13.0 + _smooth_noise_2d(rng, (h, w), (6, 8), 2.0)
    db = np.select(
        [yy < s.skin, yy < s.fat, yy < s.gland, yy < s.retro, yy < s.muscle],
        [np.float32(3.0), fat, gland,
         np.float32(rng.uniform(-12, -9)), muscle], deep).astype(np.float32)
    # Cooper's ligaments: thin bright curved lines crossing the fat
    lig = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(2, 6))):
        x0 = rng.uniform(0, w)
        dx = rng.uniform(-0.3, 0.3) * w
        y0, y1 = s.depth_rows(0.03, float(s.fat.mean()) + 0.05)
        t = np.linspace(0, 1, 8)
        xs = x0 + dx * t + rng.normal(0, 0.02 * w, 8)
        ys = y0 + (y1 - y0) * t
        pts = np.round(np.stack([xs, ys], 1) * 16).astype(np.int32)
        cv2.polylines(lig, [pts], False, 1.0, 1, cv2.LINE_AA, shift=4)
    db += 6.0 * _blur(lig, 0.6 * s.sc) * ((yy > s.skin) & (yy < s.fat))
    db = _blur(db, 1.0 * s.sc)
    # smooth random variation over the whole image
    db += _smooth_noise_2d(rng, (h, w), (3, 4), 1.2)
    return db


def _posterior_weight(mask: np.ndarray, decay: float,
                      lateral_sigma: float) -> np.ndarray:
    """Weight (0..1) of the acoustic column below a mask, fading with depth."""
    h, w = mask.shape
    has = mask.any(axis=0)
    bottom = h - 1 - np.argmax(mask[::-1], axis=0)
    dist = np.arange(h, dtype=np.float32)[:, None] - bottom[None, :]
    wgt = np.where(has[None, :] & (dist > 0),
                   np.exp(-np.maximum(dist, 0) / decay), 0).astype(np.float32)
    return _blur(wgt, lateral_sigma, 0.5)


def _place_lesions(rng: np.random.Generator, s: _Scene, category: str,
                   n_lesions: int) -> List[np.ndarray]:
    """Sample non-overlapping lesion masks inside the field of view."""
    h, w = s.h, s.w
    masks: List[np.ndarray] = []
    occupied = np.zeros((h, w), np.uint8)
    gap = max(3, int(round(6 * s.sc))) * 2 + 1
    for i in range(n_lesions):
        size_scale = 1.0 if i == 0 else 0.7
        for attempt in range(40):
            shrink = size_scale * 0.93**attempt
            if category == 'benign':
                r0 = rng.uniform(0.07, 0.15) * min(h, w) * shrink
                ax, ay = r0 * rng.uniform(1.2, 1.7), r0
                angle = np.deg2rad(rng.uniform(-15, 15))
            else:
                r0 = rng.uniform(0.08, 0.16) * min(h, w) * shrink
                ax, ay = r0 * rng.uniform(0.8, 1.1), r0 * rng.uniform(
                    1.0, 1.35)
                angle = np.deg2rad(rng.uniform(-30, 30))
            lo = max(0.18, float(s.fat.mean()) - 0.02)
            hi = max(lo + 0.05, min(0.68, float(s.gland.mean())))
            cy = rng.uniform(*s.depth_rows(lo, hi))
            row = int(np.clip(round(cy), 0, h - 1))
            x_lo, x_hi = s.left[row], s.right[row]
            cx = rng.uniform(x_lo + 0.12 * (x_hi - x_lo),
                             x_hi - 0.12 * (x_hi - x_lo))
            pts = _blob_polygon(rng, cx, cy, ax, ay, angle, category)
            m = _fill_poly((h, w), pts)
            if m.sum() < 4 or (m.astype(bool) & ~s.fov_inner).any() \
                    or (m & occupied).any():
                continue
            masks.append(m)
            occupied |= cv2.dilate(m, np.ones((gap, gap), np.uint8))
            break
    return masks


def _draw_lesions(rng: np.random.Generator, s: _Scene, db: np.ndarray,
                  masks: List[np.ndarray], category: str,
                  d: float) -> np.ndarray:
    """Blend hypoechoic lesions and their posterior features into ``db``."""
    h, w = s.h, s.w
    malignant = category == 'malignant'
    for m in masks:
        mf = m.astype(np.float32)
        sigma = s.sc * (_lerp(0.6, 2.6, d) + (0.8 if malignant else 0.0))
        soft = _blur(mf, sigma)
        if malignant:
            level = _lerp(-25.0, -11.0, d) + rng.uniform(-2, 2)
            het = _smooth_noise_2d(rng, (h, w), (12, 12), 2.5)
        else:
            level = _lerp(-22.0, -9.5, d) + rng.uniform(-2, 2)
            het = _smooth_noise_2d(rng, (h, w), (8, 8), 1.2)
        # rims: thin echogenic capsule (benign) / thick echogenic halo
        # (malignant); both fade with difficulty
        k = max(1, int(round((5 if malignant else 2) * s.sc))) * 2 + 1
        ring = cv2.dilate(m, np.ones((k, k), np.uint8)).astype(
            np.float32) - mf
        rim_p = 0.5 if malignant else 0.6
        rim_db = rng.uniform(1.5, 3.0) if malignant else rng.uniform(2.5, 5)
        if rng.random() < rim_p:
            db += rim_db * (1 - d) * _blur(ring, sigma) * (1 - soft)
        db[:] = db * (1 - soft) + (level + het) * soft
        if malignant and rng.random() < 0.4:  # micro-calcifications
            ys, xs = np.nonzero(m)
            idx = rng.integers(0, len(ys), int(rng.integers(3, 11)))
            dots = np.zeros((h, w), np.float32)
            dots[ys[idx], xs[idx]] = 1.0
            db += _lerp(16.0, 7.0, d) * np.minimum(
                _blur(dots, 0.6 * s.sc) * 4.0, 1.0)
        # posterior acoustic features
        if rng.random() < 0.85:
            cols = 0.6 + 0.4 * np.clip(
                1 + _smooth_noise_1d(rng, w, 10, 0.4), 0, 1)
            if malignant:
                gain = _lerp(-15.0, -6.0, d) * rng.uniform(0.7, 1.1)
                decay = rng.uniform(0.5, 1.0) * h
                wgt = _posterior_weight(m.astype(bool), decay,
                                        3.0 * s.sc) * cols[None, :]
            else:
                gain = _lerp(7.0, 3.0, d) * rng.uniform(0.7, 1.1)
                decay = rng.uniform(0.15, 0.3) * h
                wgt = _posterior_weight(m.astype(bool), decay, 3.0 * s.sc)
            db += gain * wgt * (1 - soft)
    return db


def _draw_distractors(rng: np.random.Generator, s: _Scene, db: np.ndarray,
                      lesion: np.ndarray, d: float,
                      extra: int) -> np.ndarray:
    """Draw dark non-lesion structures; return their 0/1 mask."""
    h, w, sc = s.h, s.w, s.sc
    k = max(2, int(round(5 * sc))) * 2 + 1
    occupied = cv2.dilate(lesion, np.ones((k, k), np.uint8)).astype(bool)
    out = np.zeros((h, w), np.uint8)
    n = 1 + extra + int(rng.poisson(_lerp(1.0, 4.0, d)))
    kinds = rng.choice(['duct', 'lobule', 'fibrous', 'edge', 'rib'],
                       size=n, p=[0.34, 0.34, 0.12, 0.1, 0.1])
    sigma = sc * _lerp(0.7, 2.5, d)
    rel = _lerp(-6.0, -13.0, d)  # darkening relative to local tissue
    for kind in kinds:
        for _ in range(8):
            wall = None
            if kind == 'duct':
                y0, y1 = s.depth_rows(float(s.fat.mean()),
                                      float(s.gland.mean()))
                cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(y0, y1)
                length = rng.uniform(0.15, 0.45) * w
                ang = np.deg2rad(rng.uniform(-25, 25))
                t = np.linspace(-0.5, 0.5, 8)[:, None] * length
                bend = np.cumsum(rng.normal(0, 0.03 * length, 8))[:, None]
                dirv = np.array([[np.cos(ang), np.sin(ang)]])
                nrm = np.array([[-np.sin(ang), np.cos(ang)]])
                pts = np.array([[cx, cy]]) + t * dirv + bend * nrm
                thick = max(1, int(round(rng.uniform(0.012, 0.03) *
                                         min(h, w) * (1 + 1.5 * d))))
                m = np.zeros((h, w), np.uint8)
                cv2.polylines(m, [np.round(pts).astype(np.int32)], False, 1,
                              thick, cv2.LINE_8)
                wall = _lerp(4.0, 0.0, d)
                gain = rel + rng.uniform(-1.5, 1.5)
            elif kind == 'lobule':
                y0, y1 = s.depth_rows(0.06, float(s.gland.mean()))
                cx, cy = rng.uniform(0.08, 0.92) * w, rng.uniform(y0, y1)
                ax = rng.uniform(0.03, 0.075) * w * (1 + 0.8 * d)
                ay = ax * rng.uniform(0.45, 0.8)
                pts = _blob_polygon(rng, cx, cy, ax, ay,
                                    np.deg2rad(rng.uniform(-20, 20)),
                                    'benign', irregularity=d)
                m = _fill_poly((h, w), pts)
                wall = _lerp(5.0, 0.5, d)
                gain = rel + rng.uniform(-1.5, 1.5)
            elif kind == 'fibrous':  # shadow below a small fibrous focus
                y0, y1 = s.depth_rows(float(s.fat.mean()) - 0.05,
                                      float(s.gland.mean()))
                cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(y0, y1)
                hw = rng.uniform(0.015, 0.045) * w * (1 + d)
                focus = np.zeros((h, w), np.uint8)
                cv2.ellipse(focus, (int(cx), int(cy)),
                            (max(1, int(hw)), max(1, int(hw * 0.4))), 0, 0,
                            360, 1, -1)
                wgt = _posterior_weight(focus.astype(bool),
                                        rng.uniform(0.6, 1.2) * h, 2.0 * sc)
                m = (wgt > 0.5).astype(np.uint8)
                gain = _lerp(-8.0, -14.0, d)
                bright = focus.astype(np.float32)
            elif kind == 'edge':  # poor probe contact at one side
                width = rng.uniform(0.04, 0.12) * w
                soft_px = 0.02 * w + 1.0
                if rng.random() < 0.5:
                    dist = s.cols - s.left[:, None]
                else:
                    dist = s.right[:, None] - 1 - s.cols
                wgt = 1.0 / (1.0 + np.exp((dist - width) / soft_px))
                wgt = (wgt * np.clip((s.yy - s.skin) / 0.05, 0, 1)).astype(
                    np.float32)
                m = (wgt > 0.5).astype(np.uint8)
                gain = _lerp(-10.0, -18.0, d)
            else:  # rib: bright anterior surface, dense shadow below
                y_r = float(s.muscle.mean()) + rng.uniform(0.02, 0.06)
                if y_r > 0.93:
                    break
                cy = s.depth_rows(y_r, y_r)[0]
                cx = rng.uniform(0.15, 0.85) * w
                ax = rng.uniform(0.07, 0.15) * w
                ay = max(1.0, 0.35 * ax)
                inside = ((s.cols - cx) / ax)**2 + \
                    ((s.rows - cy) / ay)**2 <= 1.0
                m = np.maximum.accumulate(inside, axis=0).astype(np.uint8)
                kk = max(1, int(round(1.5 * sc))) * 2 + 1
                ins = inside.astype(np.uint8)
                surf = (ins - cv2.erode(ins, np.ones((kk, kk), np.uint8))
                        ).astype(np.float32) * (s.rows < cy)
                wgt = _blur(m.astype(np.float32), 1.5 * sc, 0.5)
                gain = -rng.uniform(10.0, 14.0)
            m &= s.fov
            if m.sum() < 3 or (m.astype(bool) & occupied).any():
                continue
            if kind in ('duct', 'lobule'):
                mf = m.astype(np.float32)
                wgt = _blur(mf, sigma)
                if wall:
                    kk = max(1, int(round(sc))) * 2 + 1
                    ring = cv2.dilate(m, np.ones((kk, kk), np.uint8)) - m
                    db += wall * _blur(ring.astype(np.float32), 0.6 * sc)
            db += gain * wgt
            if kind == 'fibrous':  # echogenic focus casting the shadow
                db += 8.0 * _blur(bright, 0.8 * sc)
            if kind == 'rib':  # bright surface, not shadowed itself
                surf = np.minimum(_blur(surf, 0.7 * sc) * 1.5, 1.0)
                db[:] = db * (1 - surf) + 9.0 * surf
            out |= m
            break
    return out & s.fov & (lesion == 0)


def _check_args(size, difficulty, category, second_lesion_prob) -> None:
    if category not in PHANTOM_CATEGORIES:
        raise ValueError(f'category must be one of {PHANTOM_CATEGORIES}, '
                         f'got {category!r}')
    if len(size) != 2 or min(int(size[0]), int(size[1])) < 32:
        raise ValueError(f'size must be (H, W) with H, W >= 32, got {size!r}')
    if not 0.0 <= float(difficulty) <= 1.0:
        raise ValueError(f'difficulty must be in [0, 1], got {difficulty!r}')
    if not 0.0 <= float(second_lesion_prob) <= 1.0:
        raise ValueError('second_lesion_prob must be in [0, 1], got '
                         f'{second_lesion_prob!r}')


def generate_phantom(
    rng: np.random.Generator,
    size: Sequence[int] = (256, 256),
    difficulty: float = 0.5,
    category: str = 'benign',
    second_lesion_prob: float = 0.1,
) -> Tuple[np.ndarray, List[np.ndarray], np.ndarray]:
    """Generate one synthetic B-mode breast-ultrasound image.

    Args:
        rng (np.random.Generator): source of all randomness; the same state
            gives identical output.
        size (Sequence[int]): image size ``(H, W)``, each >= 32.
            Defaults to (256, 256).
        difficulty (float): in [0, 1]; raises lesion echogenicity towards the
            tissue, blurs margins, strengthens speckle and makes distractors
            more numerous, darker and lesion-like. Defaults to 0.5.
        category (str): ``'benign'``, ``'malignant'`` or ``'normal'``
            (no lesion, distractors only). Defaults to 'benign'.
        second_lesion_prob (float): probability that a lesion image gets a
            second, separate lesion. Defaults to 0.1.

    Returns:
        tuple: ``(image, lesion_masks, distractor_mask)`` with ``image`` an
        RGB uint8 (H, W, 3) array (grey replicated), ``lesion_masks`` a list
        of uint8 0/1 (H, W) masks, one per lesion (empty for ``'normal'``),
        and ``distractor_mask`` a uint8 0/1 (H, W) mask of the dark non-lesion
        structures (never overlapping a lesion).
    """
    _check_args(size, difficulty, category, second_lesion_prob)
    h, w = int(size[0]), int(size[1])
    d = float(difficulty)
    # independent streams: difficulty never changes the geometry, the tissue
    # or the speckle drawn for a given rng state
    seeds = rng.integers(0, 2**63 - 1, size=6)
    r_scene, r_tissue, r_lesion, r_lestex, r_distr, r_speckle = (
        np.random.default_rng(int(x)) for x in seeds)

    s = _Scene(r_scene, (h, w))
    db = _tissue_db(r_tissue, s)

    masks: List[np.ndarray] = []
    if category != 'normal':
        n_les = 2 if r_lesion.random() < second_lesion_prob else 1
        masks = _place_lesions(r_lesion, s, category, n_les)
    lesion = np.zeros((h, w), np.uint8)
    for m in masks:
        lesion |= m
    distractor = _draw_distractors(r_distr, s, db, lesion, d,
                                   extra=int(category == 'normal'))
    db = _draw_lesions(r_lestex, s, db, masks, category, d)

    # depth attenuation, partially compensated by time-gain compensation
    att = r_scene.uniform(18.0, 30.0)
    tgc = att * r_scene.uniform(0.55, 0.8)
    db -= (att - tgc) * np.clip(s.yy, 0, 1)

    # correlated complex Gaussian -> Rayleigh envelope; grains are wider
    # laterally than axially
    iq = r_speckle.standard_normal((2, h, w), dtype=np.float32)
    sx, sy = 1.1 * s.sc, 0.6 * s.sc
    env = np.sqrt(_blur(iq[0], sx, sy)**2 + _blur(iq[1], sx, sy)**2)
    env /= env.mean()
    strength = _lerp(0.6, 1.0, d)
    speckle_db = 20.0 * np.log10((1 - strength) + strength * env + 1e-3)

    gain = r_scene.uniform(140.0, 165.0)
    grey = gain + _GREY_PER_DB * (db + speckle_db)
    grey = np.where(s.fov, np.clip(grey, 0, 255), 0).astype(np.uint8)
    image = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    return image, masks, distractor


# --------------------------------------------------------------------------
# dataset writer


def _write_png(path: str, img: np.ndarray) -> None:
    ok, buf = cv2.imencode('.png', img)
    if not ok:
        raise IOError(f'could not encode PNG for {path}')
    with open(path, 'wb') as f:
        f.write(buf.tobytes())


def _render_one(task: tuple) -> Tuple[str, int, int]:
    """Generate and write one image (module level so Pool can pickle it)."""
    out_dir, category, n, size, seed, difficulty, second_p = task
    rng = np.random.default_rng([seed, _CLASS_IDS[category], n])
    image, masks, distractor = generate_phantom(
        rng, size, difficulty, category, second_lesion_prob=second_p)
    stem = f'{category} ({n})'
    cdir = osp.join(out_dir, category)
    _write_png(osp.join(cdir, f'{stem}.png'), image[..., ::-1])
    first = masks[0] if masks else np.zeros(image.shape[:2], np.uint8)
    _write_png(osp.join(cdir, f'{stem}_mask.png'), first * 255)
    for i, m in enumerate(masks[1:], start=1):
        _write_png(osp.join(cdir, f'{stem}_mask_{i}.png'), m * 255)
    _write_png(osp.join(out_dir, DISTRACTOR_DIR, f'{stem}.png'),
               distractor * 255)
    return category, n, len(masks)


class _SimpleBar:
    """Fallback progress bar when mmengine is not importable."""

    def __init__(self, total: int):
        self.total, self.done = total, 0

    def update(self):
        self.done += 1
        width = 40
        fill = int(width * self.done / max(self.total, 1))
        sys.stdout.write(f'\r[{"#" * fill}{"." * (width - fill)}] '
                         f'{self.done}/{self.total}')
        if self.done == self.total:
            sys.stdout.write('\n')
        sys.stdout.flush()


def _read_meta(out_dir: str) -> Optional[dict]:
    path = osp.join(out_dir, META_FILE)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _expected_files(out_dir: str, counts: Dict[str, int]) -> List[str]:
    files = []
    for c in PHANTOM_CATEGORIES:
        for n in range(1, counts[c] + 1):
            files.append(osp.join(out_dir, c, f'{c} ({n}).png'))
            files.append(osp.join(out_dir, c, f'{c} ({n})_mask.png'))
            files.append(osp.join(out_dir, DISTRACTOR_DIR, f'{c} ({n}).png'))
    return files


def make_phantom_dataset(out_dir: str,
                         num_benign: int = 60,
                         num_malignant: int = 30,
                         num_normal: int = 10,
                         size: Sequence[int] = (256, 256),
                         seed: int = 0,
                         difficulty: float = 0.5,
                         workers: int = 0,
                         overwrite: bool = False,
                         second_lesion_prob: float = 0.1,
                         progress: bool = False) -> dict:
    """Write a phantom data set in the BUSI layout.

    Idempotent: if ``out_dir`` already holds a complete phantom set generated
    with the same arguments (and generator version), nothing is written and
    its meta dict is returned.

    Args:
        out_dir (str): output directory (created if missing).
        num_benign (int): number of benign images. Defaults to 60.
        num_malignant (int): number of malignant images. Defaults to 30.
        num_normal (int): number of lesion-free images. Defaults to 10.
        size (Sequence[int]): image size ``(H, W)``. Defaults to (256, 256).
        seed (int): base seed; image ``n`` of class ``c`` uses
            ``np.random.default_rng([seed, class_id(c), n])``. Defaults to 0.
        difficulty (float): in [0, 1], see :func:`generate_phantom`.
            Defaults to 0.5.
        workers (int): > 0 renders with a ``multiprocessing.Pool`` of that
            many processes (output is identical). Defaults to 0.
        overwrite (bool): allow writing into a non-empty directory that is
            not a phantom set with the same arguments; the phantom outputs
            already there (class folders, distractor masks, meta) are removed
            first, other files are left alone. Defaults to False.
        second_lesion_prob (float): probability of a second lesion
            (``_mask_1.png``) per lesion image. Defaults to 0.1.
        progress (bool): print a progress bar. Defaults to False.

    Returns:
        dict: the meta dict also written to ``<out_dir>/phantom_meta.json``.

    Raises:
        FileExistsError: ``out_dir`` is non-empty and not a phantom set with
            the same arguments, and ``overwrite`` is False.
    """
    counts = {
        'benign': int(num_benign),
        'malignant': int(num_malignant),
        'normal': int(num_normal)
    }
    for c, v in counts.items():
        if v < 0:
            raise ValueError(f'num_{c} must be >= 0, got {v}')
    _check_args(size, difficulty, 'benign', second_lesion_prob)
    args = {
        'num_benign': counts['benign'],
        'num_malignant': counts['malignant'],
        'num_normal': counts['normal'],
        'size': [int(size[0]), int(size[1])],
        'seed': int(seed),
        'difficulty': float(difficulty),
        'second_lesion_prob': float(second_lesion_prob),
    }
    meta = {
        'generator': 'bus_mm.datasets.phantom',
        'version': PHANTOM_VERSION,
        'layout': 'BUSI',
        'args': args,
        'rng': 'np.random.default_rng([seed, class_id, n]), class_id: '
        'benign=0, malignant=1, normal=2; n starts at 1',
        'complete': False,
    }

    if osp.isdir(out_dir) and os.listdir(out_dir):
        old = _read_meta(out_dir)
        same = (old is not None and old.get('version') == PHANTOM_VERSION
                and old.get('args') == args)
        if same and old.get('complete') and all(
                osp.isfile(p) for p in _expected_files(out_dir, counts)):
            return old
        if not same and not overwrite:
            what = ('a phantom set generated with different arguments'
                    if old is not None else 'not a phantom set')
            raise FileExistsError(
                f'Output directory {out_dir!r} is not empty and is {what}. '
                'Choose another directory or pass overwrite=True '
                '(--overwrite on the command line) to replace it.')
        for sub in (*PHANTOM_CATEGORIES, DISTRACTOR_DIR):
            if osp.isdir(osp.join(out_dir, sub)):
                shutil.rmtree(osp.join(out_dir, sub))
    for sub in (*PHANTOM_CATEGORIES, DISTRACTOR_DIR):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    meta_path = osp.join(out_dir, META_FILE)
    with open(meta_path, 'w') as f:  # marks the dir as ours (incomplete)
        json.dump(meta, f, indent=2)

    tasks = [(out_dir, c, n, tuple(args['size']), args['seed'],
              args['difficulty'], args['second_lesion_prob'])
             for c in PHANTOM_CATEGORIES for n in range(1, counts[c] + 1)]
    bar = None
    if progress and tasks:
        try:
            from mmengine.utils import ProgressBar
            bar = ProgressBar(len(tasks))
        except ImportError:
            bar = _SimpleBar(len(tasks))
    n_lesions = {c: 0 for c in PHANTOM_CATEGORIES}
    n_second = 0

    def _collect(res):
        nonlocal n_second
        c, _, k = res
        n_lesions[c] += k
        n_second += int(k > 1)
        if bar is not None:
            bar.update()

    if workers and workers > 0 and len(tasks) > 1:
        import multiprocessing as mp
        chunk = max(1, len(tasks) // (workers * 8))
        # one OpenCV thread per worker process avoids oversubscription
        # 'spawn', not the default 'fork': forking a process that already
        # runs torch/OpenMP threads can deadlock the children.
        ctx = mp.get_context('spawn')
        with ctx.Pool(int(workers), cv2.setNumThreads, (1, )) as pool:
            for res in pool.imap_unordered(_render_one, tasks, chunk):
                _collect(res)
    else:
        for t in tasks:
            _collect(_render_one(t))

    meta['counts'] = {
        **counts, 'total': len(tasks),
        'lesions': n_lesions['benign'] + n_lesions['malignant'],
        'second_lesion': n_second
    }
    meta['complete'] = True
    with open(meta_path, 'w') as f:
        json.dump(meta, f, indent=2)
    return meta
