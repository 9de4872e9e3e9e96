"""A small review with included studies, built through the real services (import, dedupe,
two reviewers' votes at both stages), for the extraction, quality and tables tests."""

from __future__ import annotations

from pathlib import Path

from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.extraction.studies import list_studies
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.screening.votes import cast_vote
from review.store import Store

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"

WORKS = (
    ("Alder, Jo", "2015", "Peer mentoring for young people in a voluntary organisation"),
    ("Birch, Sam", "2019", "A moderated online forum run by a national charity"),
    ("Cedar, Ali", "2021", "Group peer support in community settings: an interview study"),
)


def ris(works: tuple[tuple[str, str, str], ...] = WORKS) -> str:
    return "".join(f"TY  - JOUR\nAU  - {a}\nPY  - {y}\nTI  - {t}\nJO  - Journal of Examples\n"
                   f"ER  - \n\n" for a, y, t in works)


def protocol_text(dual: bool = True) -> str:
    text = PROTOCOL.read_text(encoding="utf-8")
    return text if dual else text.replace("dual = true ", "dual = false", 1)


def included_review(db: str, tmp: Path, *, dual: bool = True,
                    works: tuple[tuple[str, str, str], ...] = WORKS,
                    protocol: str | None = None) -> Store:
    """A review whose works are all included at full text, with Lee (lead), Priya and Tom
    (reviewers) and Ola (a second lead); `protocol` replaces the worked example's text."""
    path = tmp / "protocol.toml"
    path.write_text(protocol or protocol_text(dual), encoding="utf-8")
    store = create_review(path, db, actor="test")
    export = tmp / "works.ris"
    export.write_text(ris(works), encoding="utf-8")
    import_files(store, [export], SourceInfo("MEDLINE (Ovid)", "database", "2025-01-01"),
                 actor="test")
    run_dedupe(store, actor="test")
    for name, role in (("Lee", "lead"), ("Priya", "reviewer"), ("Tom", "reviewer"),
                       ("Ola", "lead")):
        add_reviewer(store, name, role=role, actor="test")
    for stage in ("title_abstract", "full_text"):
        for record_id in range(1, len(works) + 1):
            for person in ("Priya", "Tom"):
                cast_vote(store, person, record_id, "include", stage=stage,
                          note="Read the published article" if stage == "full_text" else None)
    assert len(list_studies(store)) == len(works)
    return store
