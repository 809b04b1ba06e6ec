"""``alphaminer llm check``: the Ollama server's models and the fleet the miner would use.

Exit codes: 0 when the server answers and has at least one configured model, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from miner.commands._miner_args import add_store_args
from miner.config import load_config
from miner.llm import FLEET_KEY, Fleet, LLMError, OllamaClient, ServerModel

GIB = 2.0**30


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("llm", help="the LLM idea source (Ollama)")
    actions = parser.add_subparsers(dest="llm_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    check = actions.add_parser("check", help="list the server's models and the fleet state")
    add_store_args(check)
    check.add_argument("--url", help="Ollama server URL (default: [llm] url of the config, http://127.0.0.1:11434)")
    check.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the server (default 10)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    url = args.url or config.llm.url
    fleet = _saved_fleet(args.db or config.db, list(config.llm.models), config.llm.step_up_after)
    client = OllamaClient(url, timeout_s=args.timeout)
    try:
        version, models = client.version(), client.models()
    except LLMError as error:
        report = {"url": url, "reachable": False, "error": str(error), "fleet": fleet.state()}
        if args.json:
            print(json.dumps(report))
        else:
            sys.stderr.write(f"alphaminer: error: {error}\n")
        return 1
    finally:
        client.close()
    fleet.set_server_models(m.name for m in models)
    report = {"url": url, "reachable": True, "version": version, "models": [_model_row(m) for m in models],
              "fleet": fleet.state()}
    if args.json:
        print(json.dumps(report))
    else:
        _print(report, fleet)
    return 0 if fleet.current() is not None else 1


def _saved_fleet(db: str, models: list[str], step_up_after: int) -> Fleet:
    """The fleet state the miner saved in the store, or a fresh fleet when there is none."""
    from state import Store, StoreError

    try:
        store = Store(db, create=False)
    except StoreError:
        return Fleet(models, step_up_after=step_up_after)
    try:
        saved = store.load_value(FLEET_KEY)
    finally:
        store.close()
    if isinstance(saved, dict):
        return Fleet.from_state(saved, models=models, step_up_after=step_up_after)
    return Fleet(models, step_up_after=step_up_after)


def _model_row(model: ServerModel) -> dict[str, Any]:
    return {"name": model.name, "size_gib": round(model.size / GIB, 2), "parameters": model.parameter_size,
            "quantization": model.quantization, "loaded": model.loaded,
            "vram_gib": None if model.size_vram is None else round(model.size_vram / GIB, 2),
            "fits_in_vram": model.fits_in_vram}


def _print(report: dict[str, Any], fleet: Fleet) -> None:
    console = Console()
    console.print(f"Ollama {report['version']} at {report['url']}: {len(report['models'])} models", markup=False)
    table = Table("model", "size GiB", "params", "quant", "loaded", "VRAM GiB")
    for row in report["models"]:
        vram = "-" if row["vram_gib"] is None else f"{row['vram_gib']:.2f}"
        table.add_row(row["name"], f"{row['size_gib']:.2f}", row["parameters"], row["quantization"],
                      "yes" if row["loaded"] else "no", vram)
    console.print(table)
    current = fleet.current()
    marks = [m + (" (current)" if m == current else "") + (f" (missing: ollama pull {m})" if m in fleet.missing else "")
             for m in fleet.models]
    console.print("fleet: " + " > ".join(marks), soft_wrap=True, markup=False)
    if fleet.last_error:
        console.print(f"last error: {fleet.last_error}", soft_wrap=True, markup=False)
    if current is None:
        console.print("none of the configured models is on the server: LLM ideas are off", soft_wrap=True)
