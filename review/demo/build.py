"""The demo review: the example protocol and every sample export, imported as their manifest
says (source name, kind, search date), deduplicated, and partly screened by demo accounts, so
the demo shows a real review."""

from __future__ import annotations

import csv
from pathlib import Path

from review.accounts import get_setting
from review.demo.extraction import seed_extraction
from review.demo.screening import seed_screening
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.store import Store, resolve_url

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES = ROOT / "sample_refs"
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"
DEMO_ACTOR = "demo"


def sample_manifest(samples: Path = SAMPLES) -> list[dict[str, str]]:
    with open(samples / "manifest.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build_demo(db: str | Path, *, samples: Path = SAMPLES, protocol: Path = PROTOCOL,
               rebuild: bool = False) -> Store:
    """Create the demo review at `db` (an SQLite path); with rebuild, start from scratch."""
    url = resolve_url(db)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and path.exists():
        if not rebuild:
            store = Store.open(db)
            if get_setting(store, "demo_accounts"):
                return store
            store.close()  # a demo from an older version, without its accounts: build anew
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = create_review(protocol, db, actor=DEMO_ACTOR)
    for row in sample_manifest(samples):
        source = SourceInfo(name=row["source"], kind=row["kind"],
                            searched_on=row.get("searched") or None)
        import_files(store, [samples / row["file"]], source, actor=DEMO_ACTOR)
    run_dedupe(store, actor=DEMO_ACTOR)
    seed_screening(store, samples, actor=DEMO_ACTOR)
    seed_extraction(store, actor=DEMO_ACTOR)
    return store
