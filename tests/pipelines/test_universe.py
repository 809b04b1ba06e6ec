"""Universe masks against a slow pandas reference: rank by adv20 within each day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.errors import SettingsError
from pipelines.panel import Panel
from pipelines.universe import universe_mask, universe_size


def reference_top(adv: np.ndarray, n: int) -> np.ndarray:
    """Slow and obvious: per day, rank adv20 descending (ties by column order), keep rank <= n."""
    out = np.zeros(adv.shape, dtype=bool)
    for day in range(adv.shape[0]):
        ranks = pd.Series(adv[day]).rank(method="first", ascending=False, na_option="keep")
        out[day] = (ranks <= n).to_numpy()
    return out


def panel_with_adv(adv: np.ndarray) -> Panel:
    close = np.where(np.isnan(adv), np.nan, 10.0)
    return Panel.from_arrays({"close": close, "volume": np.ones_like(adv), "adv20": adv})


def random_adv(seed: int, t: int = 30, n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    adv = np.round(rng.lognormal(3, 1, size=(t, n)), 0)  # rounding makes ties common
    adv[rng.random((t, n)) < 0.2] = np.nan
    adv[:, 3] = adv[:, 5]  # exact ties on every day
    adv[0] = np.nan  # a day with no data at all
    adv[1] = 7.0  # a day where every symbol ties
    return adv


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [1, 3, 5, 11, 12, 50])
def test_top_n_matches_pandas_rank_with_ties_and_nans(seed, n):
    adv = random_adv(seed)
    mask = universe_mask(panel_with_adv(adv), f"TOP{n}")
    expected = reference_top(adv, n)
    assert mask.dtype == bool and mask.shape == adv.shape
    np.testing.assert_array_equal(mask, expected, err_msg=f"TOP{n} seed={seed}\nadv=\n{adv}")


def test_top_n_counts_and_tie_order_by_hand():
    adv = np.array([[5.0, 9.0, 9.0, np.nan], [1.0, 2.0, 3.0, 4.0]])
    mask = universe_mask(panel_with_adv(adv), "top2")
    # day 0: 9, 9 are the two largest (columns 1, 2); day 1: 4 and 3 (columns 3, 2)
    assert mask.tolist() == [[False, True, True, False], [False, False, True, True]]
    assert universe_mask(panel_with_adv(adv), "TOP3")[0].tolist() == [True, True, True, False]


def test_all_is_every_symbol_with_a_close(tiny_panel):
    close = tiny_panel.field("close")
    np.testing.assert_array_equal(universe_mask(tiny_panel, "ALL"), ~np.isnan(close))


def test_top_n_on_derived_adv20_excludes_the_first_19_days(tiny_panel):
    mask = tiny_panel.universe("TOP3")
    assert not mask[:19].any()
    adv = tiny_panel.field("adv20")
    np.testing.assert_array_equal(mask, reference_top(adv, 3))
    assert tiny_panel.universe("top3") is mask and not mask.flags.writeable


@pytest.mark.parametrize("name", ["TOP0", "TOP", "BEST10", "TOP-5", ""])
def test_unknown_universe_names_are_settings_errors(name):
    with pytest.raises(SettingsError, match="unknown universe"):
        universe_size(name)


def test_universe_size():
    assert universe_size("ALL") is None and universe_size("top500") == 500
