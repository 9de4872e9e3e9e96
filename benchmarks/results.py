"""Where every benchmark's figures go: benchmarks/results/NAME.json, with the date and the
machine they were measured on, so the README's tables are generated from what was measured
(cog, checked by `make test`) and never copied by hand."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# Taken when a benchmark imports this module, before it starts working: how busy the machine
# already was (1, 5 and 15 minute load averages), since a figure from a shared machine is only
# comparable with others measured under a similar load.
LOAD_AT_START = _load_average()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """What a reader needs to weigh a figure: cores, processor, memory, OS, Python and how
    loaded the machine was when the benchmark started."""
    return {"cpus": os.cpu_count(), "cpu": _cpu_model(), "memory_gib": _memory_gib(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "load_at_start": LOAD_AT_START}


def record(name: str, figures: dict[str, Any], *, out: Path | None = None) -> Path:
    """Write one benchmark's figures as JSON (benchmarks/results/NAME.json unless `out`)."""
    path = out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"benchmark": name,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "figures": figures}
    path.write_text(json.dumps(body, indent=2, sort_keys=False, default=float) + "\n",
                    encoding="utf-8")
    print(f"figures written to {path}")
    return path
