"""From alphas to a model: the pool dataset, meta-models, objectives, backtest, Alpha158 baseline.

1. ``dataset.build_dataset`` evaluates the features on a panel, standardises them per day and
   lines them up with the forward-return label; rows are split into train / valid / os dates
   with a purge so that no in-sample label reads an out-of-sample price.
2. ``models.fit_predict`` trains a model (ridge, gbm, rf, lightgbm) on the train rows, stops
   early on the valid rows and predicts the os rows.
3. ``objectives`` scores the predictions by name (or ``module:function``);
   ``backtest.long_short`` trades them; ``plots`` draws the equity and calibration PNGs.
4. ``alpha158`` supplies Qlib's Alpha158 features as a baseline input.
"""

from pipelines.pool.errors import PoolError

__all__ = ["PoolError"]
