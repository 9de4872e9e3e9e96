"""Where the demo's sample exports and example protocol are, in a clone and in an install.

The repository keeps them at the top level (sample_refs/, protocols/), which an installed
package cannot see; setup.py copies what the demo reads into review/demo/data/ of every built
wheel. A clone (or an editable install of it) uses its own folders, so an edited sample shows
at once and a stale built copy never wins.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from review.errors import ReviewError

PROTOCOL_NAME = "peer-support-self-harm.toml"
MANIFEST_COLUMNS = ("file", "source", "kind")
_CHECKOUT = Path(__file__).resolve().parents[2]
_SAMPLES_HELP = ("a folder laid out like sample_refs/: manifest.csv (file, source, kind, "
                 "searched), truth.csv and the exports the manifest lists")


@dataclass(frozen=True)
class DemoFiles:
    samples: Path  # manifest.csv, truth.csv and the exports the manifest lists
    protocol: Path  # the review protocol (TOML) the demo review is created from


def demo_files(samples: str | Path | None = None,
               protocol: str | Path | None = None) -> DemoFiles:
    """The folders the demo reads: those given, else the clone's, else the installed copies.

    Checked before anything is built, so a wrong folder is one plain message, not a half-made
    demo database.
    """
    if samples is None or protocol is None:
        default = _default()
        samples = default.samples if samples is None else samples
        protocol = default.protocol if protocol is None else protocol
    files = DemoFiles(Path(samples), Path(protocol))
    _check(files)
    return files


def read_manifest(samples: Path) -> list[dict[str, str]]:
    """The manifest's rows: one per export, with its source name, kind and search date."""
    path = samples / "manifest.csv"
    if not path.is_file():
        raise ReviewError(f"{samples} has no manifest.csv; the samples folder must be "
                          f"{_SAMPLES_HELP}.")
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        lacking = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or [])]
        if lacking:
            raise ReviewError(f"{path}: the header lacks {', '.join(lacking)}; it needs the "
                              f"columns {', '.join(MANIFEST_COLUMNS)} (searched is optional).")
        return list(reader)


def _default() -> DemoFiles:
    checkout = DemoFiles(_CHECKOUT / "sample_refs", _CHECKOUT / "protocols" / PROTOCOL_NAME)
    if (checkout.samples / "manifest.csv").is_file() and checkout.protocol.is_file():
        return checkout
    shipped = resources.files("review.demo") / "data"
    if isinstance(shipped, Path) and (shipped / "sample_refs" / "manifest.csv").is_file():
        return DemoFiles(shipped / "sample_refs", shipped / "protocols" / PROTOCOL_NAME)
    raise ReviewError(
        f"this installation of review has no demo sample exports (looked in {shipped} and in "
        f"{checkout.samples}). Install review from a wheel or sdist built with its setup.py, "
        f"or pass --samples DIR --protocol FILE: {_SAMPLES_HELP}, and a protocol such as "
        f"protocols/{PROTOCOL_NAME} of the repository.")


def _check(files: DemoFiles) -> None:
    if not files.protocol.is_file():
        raise ReviewError(f"{files.protocol}: no such protocol file; give a review protocol "
                          f"(TOML) such as protocols/{PROTOCOL_NAME} of the repository.")
    wanted = [row["file"] for row in read_manifest(files.samples)] + ["truth.csv"]
    absent = [name for name in wanted if not (files.samples / name).is_file()]
    if absent:
        raise ReviewError(f"{files.samples} lacks {', '.join(absent)}; the samples folder must "
                          f"be {_SAMPLES_HELP}.")
