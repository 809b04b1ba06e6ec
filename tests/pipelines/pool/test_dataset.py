"""The pool dataset: label alignment (no look-ahead), the purged split, rows and columns."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.pool.dataset import build_dataset, evaluate_features, forward_return, split_labels
from pipelines.pool.errors import PoolError
from pipelines.pool.models import fit_predict
from pipelines.pool.objectives import Scored, evaluate_objectives, resolve_objectives
from pipelines.settings import split_index
from tests.pipelines.pool.planted import planted_panel

FEATURES = [("signal", "signal"), ("noise", "noise")]


def _dataset(panel, **options):
    universe = panel.universe("ALL")
    return build_dataset(panel, evaluate_features(panel, FEATURES, "ALL"), universe, **options)


def _os_ic(panel, **options) -> float:
    dataset = _dataset(panel, **options)
    os_rows = dataset.part("os")
    fit = fit_predict(dataset, "ridge")
    scored = Scored(os_rows["label"].to_numpy(), fit.predictions, os_rows["date"].to_numpy())
    return evaluate_objectives(resolve_objectives(["ic"]), scored)["ic"]


def test_forward_return_is_close_h_days_ahead_over_close_today(tiny_panel):
    close = tiny_panel.field("close")
    got = forward_return(tiny_panel, 2)
    np.testing.assert_allclose(got[5, 1], close[7, 1] / close[5, 1] - 1)
    assert np.isnan(got[-2:]).all()
    delayed = forward_return(tiny_panel, 2, delay=1)
    np.testing.assert_allclose(delayed[5, 1], close[8, 1] / close[6, 1] - 1)
    assert np.isnan(delayed[-3:]).all()


def test_a_planted_signal_is_found_and_shuffled_future_returns_destroy_it():
    found = _os_ic(planted_panel())
    shuffled = _os_ic(planted_panel(shuffle=True))
    assert found > 0.5  # signal explains most of tomorrow's cross-section
    assert abs(shuffled) < 0.1  # ~ 2 standard errors of a mean IC over 31 days of 30 names
    assert abs(_os_ic(planted_panel(), delay=1)) < 0.1  # a day late, the planted link is gone


def test_a_misaligned_label_would_show_no_skill():
    # The same model judged against the return one day later than the label: the planted
    # link is to close[t+1] / close[t] only, so the skill must vanish there.
    panel = planted_panel()
    dataset = _dataset(panel)
    os_rows = dataset.part("os")
    fit = fit_predict(dataset, "ridge")
    later = forward_return(panel, 2) - forward_return(panel, 1)  # approx. the return from t+1 to t+2
    dates = np.searchsorted(panel.dates.astype("datetime64[D]"), os_rows["date"].to_numpy())
    symbols = np.searchsorted(np.asarray(panel.symbols, dtype=str), os_rows["symbol"].to_numpy())
    keep = np.isfinite(later[dates, symbols])
    scored = Scored(later[dates, symbols][keep], fit.predictions[keep], os_rows["date"].to_numpy()[keep])
    assert abs(evaluate_objectives(resolve_objectives(["ic"]), scored)["ic"]) < 0.05


@pytest.mark.parametrize(("horizon", "delay"), [(1, 0), (3, 0), (1, 1)])
def test_no_in_sample_label_reads_an_out_of_sample_price(horizon, delay):
    panel = planted_panel(t=100, n=5)
    dataset = _dataset(panel, horizon=horizon, delay=delay)
    horizon += delay  # the label of date t reads close[t + delay + horizon]
    calendar = panel.dates.astype("datetime64[D]")
    index = np.searchsorted(calendar, dataset.frame["date"].to_numpy())
    split = dataset.frame["split"].to_numpy()
    is_end = split_index(100, 0.2)
    assert (index[split != "os"] + horizon < is_end).all()
    assert index[split == "os"].min() == is_end
    valid_start = index[split == "valid"].min()
    assert (index[split == "train"] + horizon < valid_start).all()
    # purge: exactly `horizon` dates are missing before the OS and before the validation dates
    assert index[split == "valid"].max() == is_end - 1 - horizon
    assert index[split == "train"].max() == valid_start - 1 - horizon


def test_split_labels_by_hand():
    # 20 dates, 20% OS -> OS from 16; horizon 1 purges date 15; usable IS 0..14 (15 dates);
    # 20% of 15 = 3 validation dates 12..14; purge 11; train 0..10.
    labels = split_labels(20, 1, 0.2, 0.2)
    assert list(labels) == ["train"] * 11 + [""] + ["valid"] * 3 + [""] + ["os"] * 4


def test_columns_rows_and_binary_label():
    panel = planted_panel(t=60, n=4)
    dataset = _dataset(panel, label="binary", threshold=0.001)
    frame = dataset.frame
    assert frame.columns == ["date", "symbol", "signal", "noise", "label", "label_rank", "forward_return",
                             "next_return", "split"]
    assert dataset.features == ("signal", "noise")
    np.testing.assert_array_equal(frame["label"].to_numpy(), (frame["forward_return"].to_numpy() > 0.001) * 1.0)
    # ranked per day among 4 names: -0.5, -1/6, 1/6, 0.5
    day = frame.filter(frame["date"] == frame["date"][0])
    np.testing.assert_allclose(np.sort(day["signal"].to_numpy()), [-0.5, -1 / 6, 1 / 6, 0.5], atol=1e-6)
    assert set(dataset.split_dates) == {"train", "valid", "os"}
    np.testing.assert_allclose(np.sort(day["label_rank"].to_numpy()), [-0.5, -1 / 6, 1 / 6, 0.5])
    assert np.array_equal(np.argsort(day["label_rank"].to_numpy()), np.argsort(day["forward_return"].to_numpy()))


def test_universe_members_only(tiny_panel):
    universe = np.zeros((tiny_panel.T, tiny_panel.N), dtype=bool)
    universe[:, :2] = True
    dataset = build_dataset(tiny_panel, [("c", np.asarray(tiny_panel.field("close")))], universe)
    assert set(dataset.frame["symbol"].to_list()) <= {str(s) for s in tiny_panel.symbols[:2]}


@pytest.mark.parametrize(("options", "message"), [
    ({"label": "sign"}, "unknown label 'sign'"),
    ({"horizon": 0}, "horizon must be an integer >= 1"),
    ({"delay": -1}, "delay must be an integer >= 0"),
    ({"os_fraction": 0.95}, "too few in-sample dates"),
])
def test_bad_options_are_one_line_errors(options, message):
    with pytest.raises(PoolError, match=message):
        _dataset(planted_panel(t=60, n=4), **options)


def test_no_features_and_bad_expressions(tiny_panel):
    with pytest.raises(PoolError, match="the pool has no features"):
        build_dataset(tiny_panel, [], tiny_panel.universe("ALL"))
    with pytest.raises(PoolError, match=r"feature 'x' \(rank\(clse\)\): unknown field 'clse'"):
        list(evaluate_features(tiny_panel, [("x", "rank(clse)")], "ALL"))
