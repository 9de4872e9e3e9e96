"""A small review with included studies, built through the real services (import, dedupe,
two reviewers' votes at both stages), for the extraction, quality and tables tests."""

from __future__ import annotations

import re
from pathlib import Path

from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.extraction.studies import list_studies
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.protocol import parse_protocol
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


def single_checklist(text: str) -> str:
    """The example protocol in the format from before checklists by design: a free-text
    design field and its qualitative checklist as the one [quality] table, for every study.
    The extraction mechanics are tested on it (so a test's design may be any words); the
    checklists by design are tested on the protocol as shipped (tests/test_quality.py)."""
    qualitative = parse_protocol(text).checklists[0]
    design = re.compile(r'(id = "design"\nlabel = "[^"]*"\n)type = "choice"\n(?:#[^\n]*\n)*'
                        r"choices = \[.*?\]\n", re.DOTALL)
    text, found = design.subn(r'\1type = "text"\n', text)
    assert found == 1, "the example protocol's design field has changed"
    quality = (f'[quality]\nid = "{qualitative.id}"\nname = "{qualitative.name}"\n'
               + "".join(f'\n[[quality.questions]]\nid = "{qid}"\ntext = "{question}"\n'
                         for qid, question in qualitative.questions))
    return text[:text.index("\n[quality]")] + "\n" + quality


def protocol_text(dual: bool = True) -> str:
    text = single_checklist(PROTOCOL.read_text(encoding="utf-8"))
    return text if dual else text.replace("dual = true ", "dual = false", 1)


def included_review(db: str, tmp: Path, *, dual: bool = True,
                    works: tuple[tuple[str, str, str], ...] = WORKS,
                    protocol: str | None = None, text: str | None = None) -> Store:
    """A review whose works are all included at full text, with Lee (lead), Priya and Tom
    (reviewers) and Ola (a second lead); `protocol` (or `text`) replaces protocol_text's."""
    path = tmp / "protocol.toml"
    path.write_text(protocol or text or protocol_text(dual), encoding="utf-8")
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
