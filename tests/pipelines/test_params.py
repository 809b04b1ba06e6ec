"""Pipeline parameters: dotted overrides of settings and post-transforms, validated."""

from __future__ import annotations

import pytest

from pipelines.params import POST_TRANSFORMS, ParamsError, apply_params
from pipelines.settings import SimulationSettings


def test_no_params_leave_expression_and_settings_alone():
    settings = SimulationSettings()
    assert apply_params("close", settings, {}) == ("close", settings)


def test_settings_paths_override_fields():
    text, settings = apply_params("close", SimulationSettings(), {"settings.decay": 3, "settings.truncation": 0.05})
    assert text == "close"
    assert (settings.decay, settings.truncation) == (3, 0.05)
    assert settings.neutralization == SimulationSettings().neutralization


@pytest.mark.parametrize("transform", sorted(POST_TRANSFORMS))
def test_post_transform_wraps_the_expression(transform):
    text, _ = apply_params("ts_delta(close, 5)", SimulationSettings(), {"post.transform": transform})
    expected = {
        "none": "ts_delta(close, 5)",
        "rank": "rank(ts_delta(close, 5))",
        "zscore": "zscore(ts_delta(close, 5))",
        "winsorize": "winsorize(ts_delta(close, 5), std=4)",
    }
    assert text == expected[transform]


def test_flip_negates_after_the_transform():
    text, _ = apply_params("close", SimulationSettings(), {"post.transform": "rank", "post.flip": True})
    assert text == "-(rank(close))"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"settings.colour": 1}, "settings.colour"),
        ({"post.shape": "x"}, "post.shape"),
        ({"decay": 2}, "decay"),
        ({"post.transform": "cube"}, "post.transform"),
        ({"post.flip": "yes"}, "post.flip"),
        ({"settings.decay": -1}, "settings.decay"),
    ],
)
def test_bad_params_name_the_key(params, named):
    with pytest.raises(ParamsError, match=named.replace(".", r"\.")) as caught:
        apply_params("close", SimulationSettings(), params)
    assert "\n" not in str(caught.value)
