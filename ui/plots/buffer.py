"""A growable, numpy-backed series buffer with fast min/max (peak) decimation.

`SeriesBuffer` stores one x column (usually time in seconds) and `n_y` y columns, all float64, in arrays
whose capacity doubles as they fill, so appending is amortised O(1) and never goes through Python lists.

`decimated(x_min, x_max, n_pixels)` returns what a plot of `n_pixels` width needs to look exactly like the
full data: for each of about `n_pixels` buckets of the visible range, the minimum and the maximum of every
y column. To do that in milliseconds on ten million points, the buffer keeps a pyramid of min/max levels
with bucket sizes 2**k (k >= 3); each level is brought up to date, incrementally, from the one below when
a decimated view is asked for, so appending a point costs nothing beyond the copy into the buffer.

NaN values are ignored by the decimation (a bucket that holds only NaN gives NaN). Pure numpy: no Qt.
"""

from __future__ import annotations

import numpy as np

_BASE_LEVEL = 3  # smallest pyramid bucket: 2**3 = 8 samples
_MIN_CAPACITY = 1024


class SeriesBuffer:
    """Append-only columns `x`, `y[0..n_y-1]` with a min/max pyramid for peak decimation.

    With `require_sorted_x` (the default, right for time series) appending an x smaller than the last one
    raises ValueError. Without it any order is stored, but `decimated` then refuses to work.
    """

    def __init__(self, n_y: int = 1, require_sorted_x: bool = True) -> None:
        if n_y < 1:
            raise ValueError("a series buffer needs at least one y column")
        self.n_y = int(n_y)
        self.require_sorted_x = bool(require_sorted_x)
        self.clear()

    # -- storage ---------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every point and give the memory back."""
        self._n = 0
        self._x = np.empty(0, dtype=np.float64)
        self._y = np.empty((self.n_y, 0), dtype=np.float64)
        self._x_sorted = True
        # pyramid levels: index i holds bucket size 2**(_BASE_LEVEL + i); each is [min, max] arrays of
        # shape (n_y, capacity) plus the number of complete buckets filled so far.
        self._level_min: list[np.ndarray] = []
        self._level_max: list[np.ndarray] = []
        self._level_len: list[int] = []

    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return self._x.shape[0]

    @property
    def x(self) -> np.ndarray:
        """A read-only view of the stored x values."""
        view = self._x[: self._n]
        view.flags.writeable = False
        return view

    def y(self, column: int = 0) -> np.ndarray:
        """A read-only view of the stored values of y column `column`."""
        view = self._y[column, : self._n]
        view.flags.writeable = False
        return view

    @property
    def x_sorted(self) -> bool:
        """True while the x values are non-decreasing (always so with `require_sorted_x`)."""
        return self._x_sorted

    @property
    def nbytes(self) -> int:
        """Bytes held by the data and the pyramid (capacity, not just the filled part)."""
        return self._x.nbytes + self._y.nbytes + sum(a.nbytes for a in self._level_min + self._level_max)

    def append(self, x, *ys) -> None:
        """Append one point (scalars) or a block of points (1-D arrays of equal length).

        `ys` gives one value or array per y column, in column order.
        """
        if len(ys) != self.n_y:
            raise ValueError(f"expected {self.n_y} y column(s), got {len(ys)}")
        x_new = np.atleast_1d(np.asarray(x, dtype=np.float64))
        if x_new.ndim != 1:
            raise ValueError("x must be a scalar or a 1-D array")
        m = x_new.shape[0]
        y_new = [np.broadcast_to(np.asarray(v, dtype=np.float64), (m,)) for v in ys]
        if m == 0:
            return
        sorted_block = m == 1 or bool(np.all(x_new[1:] >= x_new[:-1]))
        joins = self._n == 0 or x_new[0] >= self._x[self._n - 1]
        if not (sorted_block and joins):
            if self.require_sorted_x:
                raise ValueError("x must be non-decreasing (time must not go backwards)")
            self._x_sorted = False
        self._reserve(self._n + m)
        end = self._n + m
        self._x[self._n : end] = x_new
        for i, v in enumerate(y_new):
            self._y[i, self._n : end] = v
        self._n = end

    def _reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        capacity = max(_MIN_CAPACITY, self.capacity)
        while capacity < needed:
            capacity *= 2
        x = np.empty(capacity, dtype=np.float64)
        x[: self._n] = self._x[: self._n]
        y = np.empty((self.n_y, capacity), dtype=np.float64)
        y[:, : self._n] = self._y[:, : self._n]
        self._x, self._y = x, y

    # -- pyramid ---------------------------------------------------------------------------------------
    def _update_pyramid(self) -> None:
        """Fill in the complete buckets of every level that appeared since the last update."""
        level = 0
        while self._n >> (_BASE_LEVEL + level) >= 1:
            size = 1 << (_BASE_LEVEL + level)
            target = self._n // size
            if level == len(self._level_len):
                self._level_min.append(np.empty((self.n_y, 0)))
                self._level_max.append(np.empty((self.n_y, 0)))
                self._level_len.append(0)
            done = self._level_len[level]
            if target > done:
                self._level_min[level] = _grow(self._level_min[level], target)
                self._level_max[level] = _grow(self._level_max[level], target)
                out_min = self._level_min[level][:, done:target]
                out_max = self._level_max[level][:, done:target]
                if level == 0:
                    raw = self._y[:, done * size : target * size]
                    _pairwise(np.fmin, raw, out_min)
                    _pairwise(np.fmax, raw, out_max)
                else:
                    lower_min = self._level_min[level - 1][:, 2 * done : 2 * target]
                    lower_max = self._level_max[level - 1][:, 2 * done : 2 * target]
                    np.fmin(lower_min[:, 0::2], lower_min[:, 1::2], out=out_min)
                    np.fmax(lower_max[:, 0::2], lower_max[:, 1::2], out=out_max)
                self._level_len[level] = target
            level += 1

    def _range_min_max(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Min and max of every y column over raw samples [start, stop) (stop > start)."""
        block = self._y[:, start:stop]
        return np.fmin.reduce(block, axis=1), np.fmax.reduce(block, axis=1)

    # -- decimation ------------------------------------------------------------------------------------
    def index_range(self, x_min: float, x_max: float) -> tuple[int, int]:
        """Indices [start, stop) of the samples with x_min <= x <= x_max, widened by one sample each side
        (so that a line drawn through them leaves the view instead of stopping short of its edge)."""
        if not self._x_sorted:
            raise ValueError("decimation needs non-decreasing x values")
        xs = self._x[: self._n]
        start = int(np.searchsorted(xs, x_min, side="left"))
        stop = int(np.searchsorted(xs, x_max, side="right"))
        return max(start - 1, 0), min(stop + 1, self._n)

    def decimated(self, x_min: float, x_max: float, n_pixels: int) -> tuple[np.ndarray, np.ndarray]:
        """Peak decimation of the samples with x in [x_min, x_max] for a plot `n_pixels` wide.

        Returns `(x, y)` with `x` of shape (m,) and `y` of shape (n_y, m). When the range holds at most
        2 * n_pixels samples they are returned as they are; otherwise the range is cut into at most
        n_pixels buckets and each contributes two points: (x of its first sample, min of each column) and
        (x of its last sample, max of each column). So m <= 2 * n_pixels and the min and max of every
        column over the range are kept. One sample beyond each end of the range is included.
        """
        n_pixels = max(int(n_pixels), 4)
        start, stop = self.index_range(x_min, x_max)
        count = stop - start
        if count <= 2 * n_pixels:
            return self._x[start:stop].copy(), self._y[:, start:stop].copy()
        self._update_pyramid()
        # level with bucket size at most count / n_pixels, so that at least n_pixels whole buckets fit
        level = int(np.floor(np.log2(count / n_pixels))) - _BASE_LEVEL
        level = min(level, len(self._level_len) - 1)
        if level < 0:
            size, lo_src, hi_src, first_block, end_block = 1, self._y, self._y, start, stop
        else:
            size = 1 << (_BASE_LEVEL + level)
            lo_src, hi_src = self._level_min[level], self._level_max[level]
            first_block = -(-start // size)  # ceil
            end_block = stop // size

        # the edges of the range not covered by whole level buckets come from the raw samples (each < size)
        bucket_starts: list[np.ndarray] = []
        bucket_ends: list[np.ndarray] = []
        mins: list[np.ndarray] = []
        maxs: list[np.ndarray] = []
        if first_block * size > start:
            lo, hi = self._range_min_max(start, first_block * size)
            bucket_starts.append(np.array([start]))
            bucket_ends.append(np.array([first_block * size - 1]))
            mins.append(lo[:, None])
            maxs.append(hi[:, None])
        n_blocks = end_block - first_block
        n_groups = min(n_blocks, n_pixels - 2)
        offsets = (np.arange(n_groups, dtype=np.int64) * n_blocks) // n_groups
        mins.append(np.fmin.reduceat(lo_src[:, first_block:end_block], offsets, axis=1))
        maxs.append(np.fmax.reduceat(hi_src[:, first_block:end_block], offsets, axis=1))
        group_first = (first_block + offsets) * size
        group_last = np.append(group_first[1:], end_block * size) - 1
        bucket_starts.append(group_first)
        bucket_ends.append(group_last)
        if end_block * size < stop:
            lo, hi = self._range_min_max(end_block * size, stop)
            bucket_starts.append(np.array([end_block * size]))
            bucket_ends.append(np.array([stop - 1]))
            mins.append(lo[:, None])
            maxs.append(hi[:, None])

        first_idx = np.concatenate(bucket_starts)
        last_idx = np.concatenate(bucket_ends)
        n_buckets = first_idx.shape[0]
        x_out = np.empty(2 * n_buckets, dtype=np.float64)
        x_out[0::2] = self._x[first_idx]
        x_out[1::2] = self._x[last_idx]
        y_out = np.empty((self.n_y, 2 * n_buckets), dtype=np.float64)
        y_out[:, 0::2] = np.concatenate(mins, axis=1)
        y_out[:, 1::2] = np.concatenate(maxs, axis=1)
        return x_out, y_out


def _pairwise(ufunc, raw: np.ndarray, out: np.ndarray) -> None:
    """Reduce consecutive groups of 2**_BASE_LEVEL columns of `raw` into `out` with `ufunc` by halving
    (elementwise on strided views, much faster than a reduction along a short axis)."""
    half = ufunc(raw[:, 0::2], raw[:, 1::2])
    for _ in range(_BASE_LEVEL - 2):
        half = ufunc(half[:, 0::2], half[:, 1::2])
    ufunc(half[:, 0::2], half[:, 1::2], out=out)


def _grow(array: np.ndarray, needed: int) -> np.ndarray:
    """`array` (shape (rows, capacity)) with room for `needed` columns, doubling its capacity if needed."""
    if needed <= array.shape[1]:
        return array
    capacity = max(64, array.shape[1])
    while capacity < needed:
        capacity *= 2
    grown = np.empty((array.shape[0], capacity), dtype=np.float64)
    grown[:, : array.shape[1]] = array
    return grown
