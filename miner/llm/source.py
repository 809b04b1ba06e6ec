"""IdeaSource: the miner's one call into the LLM, ``propose(context) -> IdeaBatch``; it never raises.

One ``propose``:

1. if the server was unreachable less than ``retry_unreachable_s`` ago: an empty batch with the reason;
2. ask the server which models it has (``/api/tags``): missing ones are skipped by the fleet;
3. chat with the fleet's current model (prompt from :mod:`~miner.llm.prompt`, JSON-schema format);
   out of memory or a missing model moves to the next model at once; a timeout steps down for
   the next call;
4. read the reply (:mod:`~miner.llm.replies`); a success counts towards stepping back up, and
   ``/api/ps`` showing the model only partly in VRAM steps down for the next call;
5. record the call (``store.record_llm_call``) and save the fleet state (``llm.fleet``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from miner.llm.client import DEFAULT_URL, ChatReply, OllamaClient
from miner.llm.errors import (
    LLMError,
    LLMModelMissingError,
    LLMOutOfMemoryError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnreachableError,
)
from miner.llm.fleet import DEFAULT_MODELS, Fleet
from miner.llm.prompt import IDEAS_SCHEMA, IdeaContext, build_messages
from miner.llm.replies import Idea, read_reply

log = structlog.get_logger(__name__)

FLEET_KEY = "llm.fleet"
DEFAULTS: dict[str, Any] = {
    "url": DEFAULT_URL, "models": list(DEFAULT_MODELS), "timeout_s": 120.0, "ideas": 8, "step_up_after": 5,
    "step_up_after_s": 1800.0, "retry_unreachable_s": 300.0, "max_prompt_chars": 12_000,
    "options": {"temperature": 0.8, "top_p": 0.95},
}


@dataclasses.dataclass
class IdeaBatch:
    """The outcome of one ``propose``: valid new ideas plus what was thrown away, and why not more."""

    ideas: list[Idea] = dataclasses.field(default_factory=list)
    n_valid: int = 0
    n_invalid: int = 0
    n_duplicate: int = 0
    model: str | None = None
    latency_s: float = 0.0
    error: str | None = None
    invalid: list[tuple[str, str]] = dataclasses.field(default_factory=list)


class IdeaSource:
    """Proposes alpha ideas from a fleet of Ollama models.

    Parameters
    ----------
    config : an object or mapping with any of :data:`DEFAULTS`' keys (``miner.config.LLMConfig``).
    store : a ``state.Store``; when given, calls are recorded and the fleet state persists.
    clock : wall-clock seconds (injected for tests).
    """

    def __init__(self, config: Any = None, store: Any = None, *, clock: Callable[[], float] = time.time):
        self.settings = _settings(config)
        self.store = store
        self.clock = clock
        self.client = OllamaClient(self.settings["url"], self.settings["timeout_s"])
        self.fleet = self._load_fleet()
        self.unreachable_until: float | None = None

    def propose(self, context: Any) -> IdeaBatch:
        """Ask for ideas; always returns a batch (``error`` says why it is empty or short)."""
        ctx = IdeaContext.coerce(context, n_ideas=int(self.settings["ideas"]))
        if self.unreachable_until is not None and self.clock() < self.unreachable_until:
            wait = self.unreachable_until - self.clock()
            return IdeaBatch(error=f"{self.fleet.last_error} (next try in {wait:.0f} s)")
        try:
            batch = self._propose(ctx)
        except LLMUnreachableError as error:
            batch = self._unreachable(str(error))
        except Exception as error:  # noqa: BLE001 - never into the cycle: log it, report it
            log.exception("llm_propose_failed")
            self.fleet.record_failure(f"{type(error).__name__}: {error}")
            batch = IdeaBatch(error=self.fleet.last_error)
        self._save_fleet()
        return batch

    def status(self) -> dict[str, Any]:
        """URL, fleet state and whether the server is being waited for (for ``status``)."""
        return {"url": self.settings["url"], "fleet": self.fleet.state(),
                "unreachable_until": self.unreachable_until, "last_error": self.fleet.last_error}

    def close(self) -> None:
        self.client.close()

    # -- one request -----------------------------------------------------------------
    def _propose(self, ctx: IdeaContext) -> IdeaBatch:
        self.fleet.set_server_models(m.name for m in self.client.models())
        self.unreachable_until = None
        messages = build_messages(ctx, max_chars=self.settings["max_prompt_chars"])
        tried: set[str] = set()
        while (model := self.fleet.current()) is not None and model not in tried:
            tried.add(model)
            started = self.clock()
            try:
                reply = self.client.chat(model, messages, schema=IDEAS_SCHEMA,
                                         options={**self.settings["options"], **_num_ideas(ctx)})
            except (LLMOutOfMemoryError, LLMModelMissingError) as error:
                self._after_model_error(model, error, self.clock() - started)
                continue  # answered at once: the next model can be asked now
            except (LLMTimeoutError, LLMServerError) as error:
                if isinstance(error, LLMTimeoutError):
                    self.fleet.step_down(str(error))
                else:
                    self.fleet.record_failure(str(error))
                self._record(model, self.clock() - started, error=str(error))
                return IdeaBatch(model=model, latency_s=self.clock() - started, error=str(error))
            return self._accept(ctx, reply)
        reason = self.fleet.last_error or "none of the configured models is on the server"
        if self.fleet.current() is None:
            reason = f"none of {self.fleet.models} is on the server at {self.settings['url']}"
            self.fleet.record_failure(reason)
        return IdeaBatch(error=reason)

    def _accept(self, ctx: IdeaContext, reply: ChatReply) -> IdeaBatch:
        parsed = read_reply(reply.content, fields=_names(ctx.fields), groups=set(ctx.groups) or None,
                            known_hashes=ctx.known_hashes)
        for text, error in parsed.invalid:
            log.info("llm_idea_invalid", model=reply.model, expression=text[:200], error=error)
        self.fleet.record_success()
        error = None if parsed.ideas else "the reply held no valid new idea"
        self._check_vram(reply.model)
        self._record(reply.model, reply.latency_s, parsed=parsed, error=error)
        log.info("llm_ideas", model=reply.model, valid=parsed.n_valid, invalid=parsed.n_invalid,
                 duplicate=parsed.n_duplicate, latency_s=round(reply.latency_s, 2))
        return IdeaBatch(parsed.ideas, parsed.n_valid, parsed.n_invalid, parsed.n_duplicate, reply.model,
                         reply.latency_s, error, parsed.invalid)

    def _after_model_error(self, model: str, error: LLMError, latency: float) -> None:
        if isinstance(error, LLMModelMissingError):
            self.fleet.mark_missing(model)
            self.fleet.record_failure(str(error))
        else:
            self.fleet.step_down(str(error))
        self._record(model, latency, error=str(error))

    def _check_vram(self, model: str) -> None:
        try:
            loaded = self.client.running().get(model)
        except LLMError as error:
            log.info("llm_ps_failed", error=str(error))
            return
        if loaded is not None and loaded.fits_in_vram is False:
            gib = 2.0**30
            self.fleet.step_down(f"{model} does not fit in VRAM ({loaded.size_vram / gib:.1f} of "
                                 f"{loaded.size / gib:.1f} GiB on the GPU)")

    def _unreachable(self, reason: str) -> IdeaBatch:
        log.warning("llm_unreachable", url=self.settings["url"], reason=reason,
                    retry_in_s=self.settings["retry_unreachable_s"])
        self.fleet.record_failure(reason)
        self.unreachable_until = self.clock() + self.settings["retry_unreachable_s"]
        return IdeaBatch(error=reason)

    # -- bookkeeping -----------------------------------------------------------------
    def _record(self, model: str, latency: float, *, parsed: Any = None, error: str | None = None) -> None:
        if self.store is None:
            return
        counts = {} if parsed is None else {"n_valid": parsed.n_valid, "n_invalid": parsed.n_invalid,
                                            "n_duplicate": parsed.n_duplicate}
        try:
            self.store.record_llm_call(model, latency, parsed is not None, error=error, **counts)
        except Exception as failure:  # noqa: BLE001 - bookkeeping must not lose the ideas
            log.warning("llm_record_failed", error=str(failure))

    def _load_fleet(self) -> Fleet:
        config = {k: self.settings[k] for k in ("step_up_after", "step_up_after_s")}
        saved = self._load_value()
        if isinstance(saved, Mapping):
            return Fleet.from_state(saved, models=self.settings["models"], clock=self.clock, **config)
        return Fleet(self.settings["models"], clock=self.clock, **config)

    def _load_value(self) -> Any:
        if self.store is None:
            return None
        try:
            return self.store.load_value(FLEET_KEY)
        except Exception as failure:  # noqa: BLE001 - a fresh fleet is a fine fallback
            log.warning("llm_fleet_load_failed", error=str(failure))
            return None

    def _save_fleet(self) -> None:
        if self.store is None:
            return
        try:
            self.store.save_value(FLEET_KEY, self.fleet.state())
        except Exception as failure:  # noqa: BLE001
            log.warning("llm_fleet_save_failed", error=str(failure))


def _settings(config: Any) -> dict[str, Any]:
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        value = config.get(key) if isinstance(config, Mapping) else getattr(config, key, None)
        if value is not None:
            settings[key] = value
    settings["options"] = dict(settings["options"])
    return settings


def _names(fields: Any) -> set[str] | None:
    names = set(fields) if fields else set()
    return names or None


def _num_ideas(ctx: IdeaContext) -> dict[str, Any]:
    # Reasoning models think at length before answering: leave room for both.
    return {"num_predict": 1024 + 256 * ctx.n_ideas}
