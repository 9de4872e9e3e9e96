"""The demo review: the example protocol and every sample export, imported as their manifest
says (source name, kind, search date), deduplicated, and partly screened by demo accounts, so
the demo shows a real review."""

from __future__ import annotations

from pathlib import Path

from review.accounts import get_setting
from review.demo.extraction import seed_extraction
from review.demo.files import demo_files, read_manifest
from review.demo.screening import seed_screening
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.store import Store, resolve_url

DEMO_ACTOR = "demo"


def sample_manifest(samples: str | Path | None = None) -> list[dict[str, str]]:
    """The sample exports the demo imports (default: the ones shipped with review)."""
    return read_manifest(demo_files(samples=samples).samples)


def build_demo(db: str | Path, *, samples: str | Path | None = None,
               protocol: str | Path | None = None, rebuild: bool = False,
               review: str | None = None) -> Store:
    """Create the demo review at `db` (an SQLite path); with rebuild, start from scratch.
    With `review` (a slug), add the demo as one more review of the database at `db`.

    samples and protocol default to the copies shipped with review (see review.demo.files).
    """
    files = demo_files(samples, protocol)
    url = resolve_url(db)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and path.exists() and review is None:
        if not rebuild:
            store = Store.open(db)
            if get_setting(store, "demo_accounts"):
                return store
            store.close()  # a demo from an older version, without its accounts: build anew
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = create_review(files.protocol, db, actor=DEMO_ACTOR, review=review)
    for row in read_manifest(files.samples):
        source = SourceInfo(name=row["source"], kind=row["kind"],
                            searched_on=row.get("searched") or None)
        import_files(store, [files.samples / row["file"]], source, actor=DEMO_ACTOR)
    run_dedupe(store, actor=DEMO_ACTOR)
    seed_screening(store, files.samples, actor=DEMO_ACTOR)
    seed_extraction(store, actor=DEMO_ACTOR)
    return store
