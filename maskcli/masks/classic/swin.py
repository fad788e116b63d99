"""Swin shifted windows: region ids after the cyclic shift and each window's additive mask.

The Swin reference code (microsoft/Swin-Transformer ``SwinTransformerBlock``, also
transformers' ``SwinLayer.get_attn_mask``) labels an ``H x W`` image in the *shifted* frame
with 9 regions, slicing each axis into ``[0, -M)``, ``[-M, -S)``, ``[-S, end)``; it cuts the
image into ``M x M`` windows (``window_partition``, row-major) and lets two patches of a window
attend only when their region ids are equal. The mask is additive: 0 = attend, -100 = blocked.

Worked example, ``H = W = 4``, ``M = 2``, ``S = 1``: region ids ``0012 / 0012 / 3345 / 6678``;
window 1 holds ids ``1, 2, 1, 2``, so its mask is ``1010 0101 1010 0101`` (1 = attend).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.show.panels import Panel
from maskcli.errors import InputError

REFERENCE = "Swin Transformer (Liu et al. 2021) SwinTransformerBlock img_mask / window_partition; transformers SwinLayer.get_attn_mask"
CONVENTION = "additive attn_mask per window: 0 = attend, -100 = blocked (added to the scores)"
BLOCKED = -100.0


MAX_MASK_CELLS = 2**24  # H*W/M^2 windows of M^2 x M^2: Swin-B at 224 px (56 x 56, M = 7) needs 153,664


def region_ids(height: int, width: int, window: int, shift: int) -> np.ndarray:
    """The reference ``img_mask``: ``cnt`` over ``h_slices x w_slices`` in the shifted frame."""
    if height < 1 or width < 1:
        raise InputError(f"--image {height} {width}: H and W must be at least 1 patch")
    if window < 1:
        raise InputError(f"--window must be at least 1 patch, not {window}")
    if height % window or width % window:
        raise InputError(f"--image {height} {width} must be multiples of --window {window}")
    if not 0 < shift < window:
        raise InputError(f"--shift must satisfy 0 < S < window {window} (Swin builds no mask for S = 0), not {shift}")
    if height * width * window * window > MAX_MASK_CELLS:
        raise InputError(f"--image {height} {width} --window {window}: the window masks would hold "
                         f"{height * width * window * window:,} cells; at most {MAX_MASK_CELLS:,}")
    img = np.zeros((height, width), dtype=np.int64)
    slices = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    cnt = 0
    for h in slices:
        for w in slices:
            img[h, w] = cnt
            cnt += 1
    return img


def window_partition(grid: np.ndarray, window: int) -> np.ndarray:
    """``(H, W) -> (num_windows, M*M)``, windows row-major, patches row-major inside a window."""
    height, width = grid.shape
    blocks = grid.reshape(height // window, window, width // window, window).transpose(0, 2, 1, 3)
    return blocks.reshape(-1, window * window)


def window_masks(ids: np.ndarray, window: int) -> np.ndarray:
    """Additive masks ``(num_windows, M*M, M*M)``: 0 where region ids match, -100 elsewhere."""
    windows = window_partition(ids, window)
    diff = windows[:, None, :] - windows[:, :, None]
    return np.where(diff != 0, BLOCKED, 0.0)


@dataclass(frozen=True)
class SwinWindows:
    """What ``maskcli swin`` shows: the region ids and every window's additive mask."""

    height: int
    width: int
    window: int
    shift: int
    region_ids: np.ndarray  # (H, W) in the shifted frame
    masks: np.ndarray  # (num_windows, M*M, M*M): 0 = attend, -100 = blocked

    @property
    def summary(self) -> str:
        return (
            f"shifted windows: {self.height}x{self.width} patches rolled by -{self.shift}, {len(self.masks)} windows of "
            f"{self.window}x{self.window}; patches attend only within their window and their pre-roll region"
        )

    def shown(self, first: int = 4) -> list[int]:
        """The windows drawn: the first few and the last (the corner where all regions meet)."""
        return sorted({*range(min(first, len(self.masks))), len(self.masks) - 1})

    def panel(self, w: int) -> Panel:
        cells = window_partition(np.arange(self.height * self.width).reshape(self.height, self.width), self.window)[w]
        labels = [f"({c // self.width},{c % self.width})" for c in cells]
        return Panel(f"window {w}", self.masks[w] == 0, labels)

    def describe(self) -> dict:
        return {"schema_version": 1, "kind": "swin", "summary": self.summary, "reference": REFERENCE,
                "convention": CONVENTION, "image": [self.height, self.width], "window": self.window, "shift": self.shift,
                "region_ids": self.region_ids.tolist(), "window_masks": self.masks.tolist()}


def swin_shifted(height: int, width: int, window: int, shift: int) -> SwinWindows:
    ids = region_ids(height, width, window, shift)
    return SwinWindows(height, width, window, shift, ids, window_masks(ids, window))
