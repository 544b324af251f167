"""SeriesBuffer: growth, ordering rules, and min/max decimation checked against brute force."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ui.plots.buffer import SeriesBuffer  # noqa: E402


def _brute_force_check(buffer: SeriesBuffer, x_min: float, x_max: float, n_pixels: int) -> None:
    """Every bucket of the decimation must hold the exact min and max of the samples it covers, the
    buckets must tile the visible index range without gap or overlap, and the output stays bounded."""
    x_out, y_out = buffer.decimated(x_min, x_max, n_pixels)
    start, stop = buffer.index_range(x_min, x_max)
    x, ys = np.asarray(buffer.x), [np.asarray(buffer.y(i)) for i in range(buffer.n_y)]
    n_pixels = max(n_pixels, 4)
    assert x_out.shape[0] <= 2 * n_pixels
    assert y_out.shape == (buffer.n_y, x_out.shape[0])
    if stop - start <= 2 * n_pixels:
        np.testing.assert_array_equal(x_out, x[start:stop])
        for i in range(buffer.n_y):
            np.testing.assert_array_equal(y_out[i], ys[i][start:stop])
        return
    # x is strictly increasing in these tests, so a bucket's first and last x give its index range
    first = np.searchsorted(x, x_out[0::2])
    last = np.searchsorted(x, x_out[1::2])
    assert first[0] == start and last[-1] == stop - 1
    np.testing.assert_array_equal(first[1:], last[:-1] + 1)
    for i in range(buffer.n_y):
        for b, (a, e) in enumerate(zip(first, last, strict=True)):
            assert y_out[i, 2 * b] == np.nanmin(ys[i][a : e + 1])
            assert y_out[i, 2 * b + 1] == np.nanmax(ys[i][a : e + 1])
        assert np.nanmin(y_out[i]) == np.nanmin(ys[i][start:stop])
        assert np.nanmax(y_out[i]) == np.nanmax(ys[i][start:stop])


def _random_walk(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.5, 1.5, n))
    v = np.cumsum(rng.normal(size=n))
    return t, v, rng.normal(size=n)


def test_append_scalars_and_blocks_and_grow():
    buffer = SeriesBuffer(2)
    buffer.append(0.0, 1.0, 2.0)
    buffer.append([1.0, 2.0], [3.0, 4.0], 5.0)  # a scalar column is broadcast over the block
    t, v, j = _random_walk(5000)
    t += 10
    buffer.append(t, v, j)
    assert len(buffer) == 5003
    assert buffer.capacity >= 5003
    np.testing.assert_array_equal(buffer.x[:3], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(buffer.y(0)[:3], [1.0, 3.0, 4.0])
    np.testing.assert_array_equal(buffer.y(1)[:3], [2.0, 5.0, 5.0])
    np.testing.assert_array_equal(buffer.x[3:], t)
    np.testing.assert_array_equal(buffer.y(1)[3:], j)
    assert buffer.x.dtype == np.float64
    with pytest.raises(ValueError):
        buffer.x[0] = 5.0  # views are read-only


def test_capacity_doubles_instead_of_growing_per_point():
    buffer = SeriesBuffer(1)
    capacities = set()
    for i in range(10_000):
        buffer.append(float(i), 0.0)
        capacities.add(buffer.capacity)
    assert len(capacities) <= 5  # 1024, 2048, 4096, 8192, 16384


def test_time_must_not_go_backwards():
    buffer = SeriesBuffer(1)
    buffer.append([0.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        buffer.append(0.5, 1.0)
    with pytest.raises(ValueError, match="non-decreasing"):
        buffer.append([2.0, 1.5], [1.0, 1.0])
    assert len(buffer) == 2
    with pytest.raises(ValueError, match="y column"):
        buffer.append(3.0, 1.0, 2.0)


def test_unsorted_buffer_stores_but_refuses_to_decimate():
    buffer = SeriesBuffer(2, require_sorted_x=False)
    buffer.append([1e6, 1e5, 1e4], [1.0, 2.0, 3.0], [-1.0, -2.0, -3.0])
    assert len(buffer) == 3 and not buffer.x_sorted
    with pytest.raises(ValueError):
        buffer.decimated(0, 1e7, 100)


def test_small_range_is_returned_as_is():
    buffer = SeriesBuffer(1)
    t, v, _ = _random_walk(1000)
    buffer.append(t, v)
    x_out, y_out = buffer.decimated(t[100], t[199], 500)
    np.testing.assert_array_equal(x_out, t[99:201])  # one sample beyond each end
    np.testing.assert_array_equal(y_out[0], v[99:201])


@pytest.mark.parametrize("n_pixels", [4, 37, 640, 1280])
def test_decimation_matches_brute_force(n_pixels):
    buffer = SeriesBuffer(2)
    t, v, j = _random_walk(200_003)
    buffer.append(t, v, j)
    for x_min, x_max in [(t[0], t[-1]), (t[1234] + 0.1, t[150_000]), (-1e9, 1e9), (t[50], t[7000])]:
        _brute_force_check(buffer, x_min, x_max, n_pixels)


def test_decimation_keeps_global_extremes_of_visible_range():
    buffer = SeriesBuffer(1)
    t = np.arange(1_000_000, dtype=np.float64)
    v = np.zeros_like(t)
    v[333_333], v[777_777] = 5.0, -7.0  # single-sample spikes, a short circuit looks like this
    buffer.append(t, v)
    _, y_out = buffer.decimated(0, 1e6, 800)
    assert y_out.max() == 5.0 and y_out.min() == -7.0
    _, y_out = buffer.decimated(400_000, 1e6, 800)
    assert y_out.max() == 0.0 and y_out.min() == -7.0


def test_nan_samples_are_ignored():
    buffer = SeriesBuffer(1)
    t, v, _ = _random_walk(100_000)
    v[::7] = np.nan
    buffer.append(t, v)
    _brute_force_check(buffer, t[0], t[-1], 300)


def test_incremental_pyramid_equals_one_block():
    t, v, j = _random_walk(60_000, seed=3)
    whole = SeriesBuffer(2)
    whole.append(t, v, j)
    live = SeriesBuffer(2)
    rng = np.random.default_rng(1)
    i = 0
    while i < t.size:
        m = int(rng.integers(1, 3000))
        live.append(t[i : i + m], v[i : i + m], j[i : i + m])
        i += m
        live.decimated(t[0], t[min(i, t.size) - 1], 200)  # pyramid updated in between
    for n_pixels in (50, 333):
        a = whole.decimated(t[0], t[-1], n_pixels)
        b = live.decimated(t[0], t[-1], n_pixels)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 6000), chunk=st.integers(1, 2500), lo=st.floats(0, 1), width=st.floats(0, 1),
       n_pixels=st.integers(1, 400), seed=st.integers(0, 2**16))
def test_decimation_property(n, chunk, lo, width, n_pixels, seed):
    t, v, j = _random_walk(n, seed)
    buffer = SeriesBuffer(2)
    for i in range(0, n, chunk):
        buffer.append(t[i : i + chunk], v[i : i + chunk], j[i : i + chunk])
    x_min = t[0] + lo * (t[-1] - t[0])
    x_max = x_min + width * (t[-1] - x_min)
    _brute_force_check(buffer, x_min, x_max, n_pixels)


def test_decimating_millions_of_points_takes_milliseconds():
    buffer = SeriesBuffer(2)
    t, v, j = _random_walk(4_000_000)
    buffer.append(t, v, j)
    buffer.decimated(t[0], t[-1], 1280)  # builds the pyramid once
    started = time.perf_counter()
    for k in range(20):
        buffer.decimated(t[k * 1000], t[-1 - k * 1000], 1280)
    per_call_s = (time.perf_counter() - started) / 20
    assert per_call_s < 0.02, per_call_s  # measured ~0.1 ms; a brute-force pass would take ~20 ms
