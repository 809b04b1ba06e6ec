"""The fleet: models ordered from largest to smallest, stepping down on trouble and back up later.

Rules (one place):

* The current model is the first *available* model at or below ``level`` in ``models``; models
  missing on the server (``/api/tags``) are skipped with a warning, once per model.
* ``step_down(reason)``: out-of-memory answers, timeouts, or ``/api/ps`` showing the model does
  not fit in VRAM move to the next smaller available model (staying put at the smallest).
* ``record_success()``: after ``step_up_after`` successes in a row, or ``step_up_after_s``
  seconds since the last step down, move one available model back up.

The whole state is a plain JSON-serialisable dict (:meth:`Fleet.state` / :meth:`Fleet.from_state`)
that the miner saves in the store under ``llm.fleet``; times are wall-clock seconds from the
injected clock, so a restarted daemon keeps its place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import structlog

from miner.errors import ConfigError

log = structlog.get_logger(__name__)

DEFAULT_MODELS = ("deepseek-r1:8b", "deepseek-r1:7b", "deepseek-r1:1.5b")


class Fleet:
    """Which model to ask next.

    Parameters
    ----------
    models : model names, largest (preferred) first.
    step_up_after : successes in a row after which the fleet moves one model up.
    step_up_after_s : seconds after a step down after which the next success moves one model up.
    clock : wall-clock seconds (injected for tests).
    """

    def __init__(self, models: Sequence[str] = DEFAULT_MODELS, *, step_up_after: int = 5,
                 step_up_after_s: float = 1800.0, clock: Callable[[], float] = time.time):
        if isinstance(models, str) or not models or not all(isinstance(m, str) and m for m in models):
            raise ConfigError(f"llm.models: expected a non-empty list of model names, got {models!r}")
        if len(set(models)) != len(models):
            raise ConfigError(f"llm.models: {list(models)!r} names a model twice")
        if int(step_up_after) < 1 or float(step_up_after_s) <= 0:
            raise ConfigError("llm.step_up_after must be >= 1 and llm.step_up_after_s > 0")
        self.models = list(models)
        self.step_up_after = int(step_up_after)
        self.step_up_after_s = float(step_up_after_s)
        self.clock = clock
        self.level = 0
        self.successes = 0
        self.stepped_down_at: float | None = None
        self.missing: list[str] = []
        self.last_error: str | None = None
        self.steps: list[dict[str, Any]] = []  # the last few moves, newest last, for `status`

    # -- queries ---------------------------------------------------------------------
    def current(self) -> str | None:
        """The model to ask now, or None when no configured model is on the server."""
        below = [m for m in self.models[self.level:] if m not in self.missing]
        if below:
            return below[0]
        above = [m for m in self.models[: self.level] if m not in self.missing]
        return above[-1] if above else None

    def available(self) -> list[str]:
        return [m for m in self.models if m not in self.missing]

    # -- events ----------------------------------------------------------------------
    def set_server_models(self, names: Iterable[str]) -> None:
        """Record which configured models the server has; warns once for each missing one."""
        present = set(names)
        missing = [m for m in self.models if m not in present]
        for model in missing:
            if model not in self.missing:
                log.warning("llm_model_missing", model=model, hint=f"ollama pull {model}")
        self.missing = missing

    def mark_missing(self, model: str) -> None:
        """The server said it does not have ``model`` (a chat answered 404)."""
        if model in self.models and model not in self.missing:
            log.warning("llm_model_missing", model=model, hint=f"ollama pull {model}")
            self.missing.append(model)

    def step_down(self, reason: str) -> str | None:
        """Move to the next smaller available model; returns the model now current."""
        before = self.current()
        self.last_error = reason
        self.successes = 0
        self.stepped_down_at = self.clock()
        if before is not None:
            position = self.models.index(before)
            smaller = [i for i in range(position + 1, len(self.models)) if self.models[i] not in self.missing]
            if smaller:
                self.level = smaller[0]
        after = self.current()
        self._note("down", before, after, reason)
        return after

    def record_success(self) -> str | None:
        """Count a good answer; steps one model up when due. Returns the model now current."""
        self.successes += 1
        self.last_error = None
        if self.stepped_down_at is None:
            return self.current()
        due = self.successes >= self.step_up_after or self.clock() - self.stepped_down_at >= self.step_up_after_s
        if not due:
            return self.current()
        before = self.current()
        position = self.models.index(before) if before is not None else len(self.models)
        larger = [i for i in range(position) if self.models[i] not in self.missing]
        if larger:
            self.level = larger[-1]
            self._note("up", before, self.current(), f"{self.successes} successes")
        self.successes = 0
        available = self.available()
        self.stepped_down_at = None if not available or self.current() == available[0] else self.clock()
        return self.current()

    def record_failure(self, reason: str) -> None:
        """A failure that is not the model's size (server error, garbage): no step."""
        self.last_error = reason
        self.successes = 0

    # -- persistence -----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Plain JSON-serialisable state (saved by the miner under ``llm.fleet``)."""
        return {
            "models": list(self.models), "level": self.level, "current": self.current(),
            "successes": self.successes, "stepped_down_at": self.stepped_down_at, "missing": list(self.missing),
            "last_error": self.last_error, "steps": list(self.steps),
            "step_up_after": self.step_up_after, "step_up_after_s": self.step_up_after_s,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], *, models: Sequence[str] | None = None,
                   clock: Callable[[], float] = time.time, **config: Any) -> Fleet:
        """Rebuild a fleet; with ``models`` (the current config), a changed model list starts afresh."""
        wanted = list(models) if models is not None else list(state.get("models") or DEFAULT_MODELS)
        fleet = cls(wanted, clock=clock, step_up_after=config.get("step_up_after", state.get("step_up_after", 5)),
                    step_up_after_s=config.get("step_up_after_s", state.get("step_up_after_s", 1800.0)))
        if list(state.get("models") or []) != wanted:
            return fleet
        fleet.level = min(max(int(state.get("level", 0)), 0), len(wanted) - 1)
        fleet.successes = int(state.get("successes", 0))
        stepped = state.get("stepped_down_at")
        fleet.stepped_down_at = None if stepped is None else float(stepped)
        fleet.missing = [m for m in state.get("missing", []) if m in wanted]
        fleet.last_error = state.get("last_error")
        fleet.steps = list(state.get("steps", []))[-10:]
        return fleet

    def _note(self, direction: str, before: str | None, after: str | None, reason: str) -> None:
        if before != after:
            log.warning("llm_fleet_step", direction=direction, before=before, after=after, reason=reason)
        self.steps = [*self.steps, {"at": self.clock(), "direction": direction, "from": before, "to": after,
                                    "reason": reason}][-10:]
