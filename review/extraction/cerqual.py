"""GRADE-CERQual: how much confidence a review finding deserves (review.extraction.findings).

A lead judges four components, each as a level of concern with an explanation, then the
overall confidence with its explanation. The level names are CERQual's; the descriptions are
ours. Decisions made here:

- The overall confidence is a judgement, not a sum: the tool does not compute it from the
  components (CERQual asks reviewers to start from high confidence and come down for
  concerns that matter, and to say why). What the tool does enforce: all four components
  are judged first, every judgement has an explanation, and the finding has at least one
  included study behind it.
- Components may be judged one at a time (a draft); a judgement can be cleared again. Each
  change is audited with the judgement it replaced.
- Levels are typed as CERQual names them ("Minor concerns", "Very low confidence") or short
  ("minor", "very low", "very-low"); any case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from review.accounts import Reviewer
from review.errors import ReviewError
from review.extraction.findings import OVERALL, Finding, as_lead, finding_row, findings_in
from review.extraction.studies import list_studies
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

__all__ = ["COMPONENTS", "COMPONENT_HELP", "COMPONENT_LABELS", "CONCERNS", "CONCERN_HELP",
           "CONCERN_LABELS", "CONFIDENCE", "CONFIDENCE_HELP", "CONFIDENCE_LABELS", "OVERALL",
           "assess", "component", "concern", "confidence", "level_label"]

COMPONENTS = ("methodological_limitations", "coherence", "adequacy", "relevance")
COMPONENT_LABELS = {"methodological_limitations": "Methodological limitations",
                    "coherence": "Coherence", "adequacy": "Adequacy", "relevance": "Relevance"}
COMPONENT_HELP = {
    "methodological_limitations": "Weaknesses in how the contributing studies were designed "
                                  "or carried out (the appraisal helps here).",
    "coherence": "How well the finding fits the data from the contributing studies: does it "
                 "hold across them, or do some point another way?",
    "adequacy": "How rich and how plentiful the data behind the finding are: few studies or "
                "thin data raise concern.",
    "relevance": "How far the contexts of the studies (people, settings, formats) match the "
                 "review question.",
}
CONCERNS = ("none", "minor", "moderate", "serious")
CONCERN_LABELS = {"none": "No or very minor concerns", "minor": "Minor concerns",
                  "moderate": "Moderate concerns", "serious": "Serious concerns"}
CONCERN_HELP = {
    "none": "nothing here that would lower confidence in the finding",
    "minor": "a small issue, unlikely to lower confidence",
    "moderate": "an issue that may well lower confidence",
    "serious": "an issue that is likely to lower confidence",
}
CONFIDENCE = ("high", "moderate", "low", "very low")
CONFIDENCE_LABELS = {"high": "High confidence", "moderate": "Moderate confidence",
                     "low": "Low confidence", "very low": "Very low confidence"}
CONFIDENCE_HELP = {
    "high": "the finding very probably reflects the phenomenon it describes",
    "moderate": "the finding probably reflects the phenomenon it describes",
    "low": "the finding may reflect the phenomenon it describes",
    "very low": "it is unclear whether the finding reflects the phenomenon it describes",
}


def _key(text: str) -> str:
    return " ".join(str(text).replace("-", " ").replace("_", " ").casefold().split())


def component(name: str) -> str:
    """A component's id from its id or name ("methodological limitations", "coherence")."""
    wanted = _key(name)
    for cid, label in COMPONENT_LABELS.items():
        if wanted in (_key(cid), _key(label)):
            return cid
    raise ReviewError(f"unknown CERQual component {name!r}; the four are "
                      + ", ".join(_key(c) for c in COMPONENTS))


def concern(level: str, what: str = "a component") -> str:
    wanted = _key(level)
    for key, label in CONCERN_LABELS.items():
        if wanted in (key, _key(label), _key(label.removesuffix(" concerns"))):
            return key
    if wanted in ("no", "very minor", "no concerns"):
        return "none"
    raise ReviewError(f"{what}: unknown level of concern {level!r}; choose one of "
                      + ", ".join(CONCERN_LABELS.values()).lower())


def confidence(level: str) -> str:
    wanted = _key(level)
    for key, label in CONFIDENCE_LABELS.items():
        if wanted in (key, _key(label)):
            return key
    raise ReviewError(f"unknown overall confidence {level!r}; choose one of "
                      + ", ".join(CONFIDENCE) + " (GRADE-CERQual's four levels)")


def _explanation(text: str | None, what: str, level: str) -> str:
    explanation = " ".join((text or "").split())
    if not explanation:
        raise ReviewError(f"{what}: explain the judgement ({level}): a reader of the evidence "
                          "profile needs the reason")
    return explanation


def assess(store: Store, finding_id: int, *, by: str | Reviewer,
           components: Mapping[str, tuple[str, str]] | None = None,
           overall: tuple[str, str] | None = None, clear: Iterable[str] = ()) -> Finding:
    """Judge a finding (leads only): components maps a component (id or name) to (level of
    concern, explanation); overall is (confidence, explanation); clear takes judgements back
    (component names or "overall"). All of it lands or none does."""
    given = dict(components or {})
    cleared = [OVERALL if _key(c) == OVERALL else component(c) for c in clear]
    if not given and overall is None and not cleared:
        raise ReviewError("nothing to judge: give a component's concern, the overall "
                          "confidence, or a judgement to clear")
    list_studies(store)
    table = t.cerqual_judgements
    with store.write() as conn:
        actor = as_lead(store, conn, by)
        finding_row(conn, finding_id)
        before = findings_in(store, conn, [finding_id])[0]
        new: dict[str, tuple[str, str]] = {}
        for name, (level, text) in given.items():
            cid = component(name)
            what = f"finding {finding_id}, {COMPONENT_LABELS[cid].lower()}"
            key = concern(level, what)
            new[cid] = (key, _explanation(text, what, CONCERN_LABELS[key].lower()))
        if overall is not None:
            key = confidence(overall[0])
            new[OVERALL] = (key, _explanation(overall[1], f"finding {finding_id}, overall "
                                              "confidence", CONFIDENCE_LABELS[key].lower()))
        both = set(cleared) & set(new)
        if both:
            raise ReviewError(f"{sorted(both)[0]}: both judged and cleared; do one")
        after = {c for c in before.judgements if c not in cleared} | set(new)
        if OVERALL in after:
            missing = [COMPONENT_LABELS[c].lower() for c in COMPONENTS if c not in after]
            if missing:
                raise ReviewError(f"finding {finding_id}: judge {', '.join(missing)} first; "
                                  "the overall confidence rests on all four components")
            if not before.studies:
                raise ReviewError(f"finding {finding_id} has no included study behind it; "
                                  "link its studies before judging confidence in it")
        now, studies = utc_now(), list(before.studies)
        for cid in cleared:
            conn.execute(table.delete().where(table.c.finding_id == finding_id,
                                              table.c.component == cid))
        for cid, (level, text) in new.items():
            conn.execute(table.delete().where(table.c.finding_id == finding_id,
                                              table.c.component == cid))
            conn.execute(table.insert().values(
                finding_id=finding_id, component=cid, level=level, explanation=text,
                study_ids=studies, judged_by=actor, judged_at=now))
        conn.execute(t.findings.update().where(t.findings.c.id == finding_id).values(
            updated_by=actor, updated_at=now))
        audit(store, conn, actor=actor, action="assess finding", entity="finding",
              entity_id=str(finding_id), detail={
                  "judged": {c: {"level": lv, "explanation": x} for c, (lv, x) in new.items()},
                  "cleared": cleared,
                  "before": {c: {"level": j.level, "explanation": j.explanation}
                             for c, j in before.judgements.items()
                             if c in new or c in cleared},
                  "studies": studies})
        return findings_in(store, conn, [finding_id])[0]


def level_label(component_id: str, level: str) -> str:
    """A stored level as CERQual names it."""
    return CONFIDENCE_LABELS[level] if component_id == OVERALL else CONCERN_LABELS[level]

