"""Errors of the data pipeline and simulator. All derive from ``PipelineError``."""


class PipelineError(Exception):
    """Base of every error raised by ``pipelines``."""


class DataError(PipelineError, ValueError):
    """Bad market data: the message names the file, column and rows."""


class SettingsError(PipelineError, ValueError):
    """Invalid simulation settings (names the setting and the allowed values)."""
