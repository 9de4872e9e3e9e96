"""The demo studies' Table 1 details (setting or organisation, aims, data collection,
analysis, the sample's unit), in the order of review.demo.extraction's studies. Invented for
the demo, short and neutral; both extractors enter the same values."""

from __future__ import annotations

from typing import Any

_VALUES: tuple[dict[str, Any], ...] = (
    {"setting": "A youth charity's moderated online forum",
     "aims": "To explore how young people experience a moderated peer-support forum",
     "data_collection": "Semi-structured interviews by video call",
     "analysis": "Thematic analysis", "sample_unit": "participants"},
    {"setting": "A mental health charity's online forum",
     "aims": "To describe the support members give each other in forum posts",
     "data_collection": "Forum posts from one year", "analysis": "Qualitative content analysis",
     "sample_unit": "posts"},
    {"setting": "A peer-run online forum with volunteer moderators",
     "aims": "To understand how moderators balance openness with safety",
     "data_collection": "Semi-structured interviews", "analysis": "Thematic analysis",
     "sample_unit": "participants"},
    {"setting": "A university's online peer-support service",
     "aims": "To assess stigma and help-seeking among students who use peer support",
     "data_collection": "Online survey with open questions",
     "analysis": "Descriptive statistics and content analysis",
     "sample_unit": "participants"},
    {"setting": "Student peer-support groups run by a community organisation",
     "aims": "To explore students' views of groups led by trained volunteers",
     "data_collection": "Focus groups", "analysis": "Thematic analysis",
     "sample_unit": "participants"},
)


def table1_values(index: int, form_fields: set[str]) -> dict[str, Any]:
    """The values of the demo study at `index` for the fields this protocol has."""
    values = _VALUES[index] if index < len(_VALUES) else {}
    return {k: v for k, v in values.items() if k in form_fields}
