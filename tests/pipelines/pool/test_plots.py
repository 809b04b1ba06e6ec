"""The PNG artifacts are written as real PNG files."""

from __future__ import annotations

import numpy as np

from pipelines.pool.plots import calibration_plot, equity_plot

PNG = b"\x89PNG\r\n\x1a\n"


def test_equity_and_calibration_pngs(tmp_path):
    dates = np.arange("2020-01-01", "2020-03-01", dtype="datetime64[D]")
    rng = np.random.default_rng(0)
    path = equity_plot({"pool": (dates, np.cumsum(rng.normal(0, 0.01, len(dates)))),
                        "alpha158": (dates, np.cumsum(rng.normal(0, 0.01, len(dates))))}, tmp_path / "a" / "equity.png")
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 5_000
    p = rng.uniform(size=400)
    labels = (rng.uniform(size=400) < p).astype(float)
    path = calibration_plot({"pool": (labels, p)}, tmp_path / "calibration.png")
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 5_000
