"""An experiment directory for ``alphaminer pool``, and optional MLflow tracking.

The directory holds ``run.json`` (every argument, the alphas, the split), ``metrics.csv`` (one
row per model input), the datasets (parquet) and the PNG artifacts. With an MLflow tracking
URI the same run is logged there: the arguments as params, each row's figures as metrics named
``<row>.<figure>``, and the directory's files as artifacts.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import structlog

from miner.errors import UsageError

DEFAULT_ROOT = "alphaminer-pool"
MLFLOW_EXPERIMENT = "alphaminer-pool"
log = structlog.get_logger()


class Experiment:
    """One pool run's directory.

    Parameters
    ----------
    directory : where the files go (created).
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot create the experiment directory {self.directory}: {error.strerror}") from None

    @classmethod
    def create(cls, out: str | None, clock: Callable[[], float] = time.time) -> Experiment:
        """``out``, or ``alphaminer-pool/<UTC time>`` when not given."""
        if out:
            return cls(out)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(clock()))
        return cls(Path(DEFAULT_ROOT) / stamp)

    def path(self, name: str) -> Path:
        """A file of the experiment."""
        return self.directory / name

    def write_run(self, run: Mapping[str, Any]) -> Path:
        """``run.json``: the arguments and whatever else describes the run."""
        target = self.path("run.json")
        target.write_text(json.dumps(json_ready(run), indent=2, default=str), encoding="utf-8")
        return target

    def write_metrics(self, rows: Sequence[Mapping[str, Any]]) -> Path:
        """``metrics.csv``: one line per row, the union of the rows' keys as columns."""
        columns: list[str] = []
        for row in rows:
            columns += [key for key in row if key not in columns]
        target = self.path("metrics.csv")
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        return target


def json_ready(value: Any) -> Any:
    """``value`` with non-finite floats replaced by None (JSON has no NaN or inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def log_to_mlflow(uri: str, experiment: Experiment, params: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """Log one MLflow run (params, ``<row name>.<figure>`` metrics, the directory as artifacts).

    Returns
    -------
    str : the MLflow run id.

    Raises
    ------
    UsageError
        mlflow is not installed.
    """
    if importlib.util.find_spec("mlflow") is None:
        raise UsageError("--mlflow needs the mlflow package: pip install 'alphaminer[mlflow]'")
    if _is_file_store(uri):
        # MLflow 3 refuses its file store unless told; the user asked for one by giving this URI
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(MLFLOW_EXPERIMENT)
    with mlflow.start_run() as run:
        mlflow.log_params({key: _param(value) for key, value in params.items()})
        mlflow.log_metrics(_metrics(rows))
        mlflow.log_artifacts(str(experiment.directory))
    log.info("mlflow_logged", uri=uri, run_id=run.info.run_id)
    return run.info.run_id


def _is_file_store(uri: str) -> bool:
    return uri.startswith("file:") or "://" not in uri


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(json_ready(value), default=str)
    return text[:500]


def _metrics(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    found = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                found[f"{row['name']}.{key}"] = float(value)
    return found
