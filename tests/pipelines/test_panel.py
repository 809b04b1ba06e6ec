"""Panel and FieldStore: derived fields by hand and against pandas, views, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.errors import DataError
from pipelines.panel import FieldStore, Panel, rolling_mean

NAN = np.nan


def random_with_nans(seed: int, t: int = 25, n: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(t, n)) * 1e3
    x[rng.random((t, n)) < 0.15] = NAN
    x[:, 0] = np.round(x[:, 0])  # ties
    return x


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("window", [1, 2, 3, 7, 24, 25, 26])
def test_rolling_mean_matches_pandas_min_periods_window(seed, window):
    x = random_with_nans(seed)
    expected = pd.DataFrame(x).rolling(window, min_periods=window).mean().to_numpy()
    np.testing.assert_allclose(rolling_mean(x, window), expected, rtol=1e-9, atol=1e-9,
                               err_msg=f"window={window} seed={seed}")


def test_derived_fields_by_hand():
    close = np.array([[10.0, 20.0], [11.0, NAN], [12.1, 22.0]])
    high, low = close + 1, close - 1
    volume = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    panel = Panel.from_arrays({"close": close, "high": high, "low": low, "volume": volume})
    np.testing.assert_allclose(panel.returns, [[NAN, NAN], [0.1, NAN], [0.1, NAN]])
    np.testing.assert_allclose(panel.field("vwap"), close)  # (c+1 + c-1 + c) / 3
    np.testing.assert_allclose(panel.field("adv2"), [[NAN, NAN], [(10 + 33) / 2, NAN], [(33 + 60.5) / 2, NAN]])
    assert list(panel.fields) == ["close", "high", "low", "volume", "returns", "vwap", "adv20", "adv2"]
    assert not panel.field("adv2").flags.writeable and panel.field("adv2") is panel.field("adv2")


def test_stored_field_wins_over_derivation():
    close = np.ones((3, 2))
    vwap = np.full((3, 2), 5.0)
    panel = Panel.from_arrays({"close": close, "high": close, "low": close, "vwap": vwap})
    np.testing.assert_array_equal(panel.field("vwap"), vwap)


def test_unknown_field_names_the_available_ones():
    panel = Panel.from_arrays({"close": np.ones((2, 2))})
    assert "adv20" not in panel.fields and "adv0" not in panel.fields and 3 not in panel.fields
    with pytest.raises(DataError, match="unknown field 'cap'; fields: close, returns"):
        panel.field("cap")


def test_from_arrays_copies_to_read_only_c_order_and_adds_market():
    source = np.asfortranarray(np.arange(6, dtype=np.int64).reshape(3, 2))
    panel = Panel.from_arrays({"close": source}, groups={"sector": [1, 0]})
    close = panel.field("close")
    assert close.dtype == np.float64 and close.flags.c_contiguous and not close.flags.writeable
    assert panel.groups["market"].tolist() == [0, 0] and panel.groups["sector"].dtype == np.int32
    assert (panel.T, panel.N) == (3, 2) and str(panel.dates[0]) == "2020-01-01"
    with pytest.raises(DataError, match="different shapes"):
        Panel.from_arrays({"close": np.ones((3, 2)), "open": np.ones((2, 2))})


def test_head_is_a_view_of_the_first_dates(tiny_panel):
    head = tiny_panel.head(10)
    assert head.T == 10 and head.N == tiny_panel.N
    assert np.shares_memory(head.field("close"), tiny_panel.field("close"))
    np.testing.assert_array_equal(head.returns, tiny_panel.returns[:10])
    assert head.source == "tiny[:10]"


def test_field_store_is_a_mapping():
    store = FieldStore({"close": np.ones((2, 2))})
    assert len(store) == 2 and store.stored_names() == ["close"]
    with pytest.raises(KeyError):
        store["open"]
