"""The rule language: every operator, three-valued results, parse-time errors, no eval."""

from __future__ import annotations

import builtins

import pytest

from review.errors import ProtocolError
from review.rules import Comparison, RuleResult, parse_rule


@pytest.mark.parametrize(
    ("rule", "fields", "passed", "reason"),
    [
        ("year >= 2000", {"year": 2000}, True, "published 2000; meets year >= 2000"),
        ("year >= 2000", {"year": 1998}, False,
         "published 1998; the protocol requires year >= 2000"),
        ("year <= 2020", {"year": "2021"}, False,
         "published 2021; the protocol requires year <= 2020"),
        ("year > 2000", {"year": 2000}, False, "published 2000; the protocol requires year > 2000"),
        ("year < 2000", {"year": "1999/05/01"}, True, "published 1999; meets year < 2000"),
        ("year == 2010", {"year": 2010}, True, "published 2010; meets year == 2010"),
        ("year != 2010", {"year": 2010}, False,
         "published 2010; the protocol requires year != 2010"),
        ("year in [2001, 2002]", {"year": 2002}, True,
         "published 2002; meets year in [2001, 2002]"),
        ("year not in [2001]", {"year": 2001}, False,
         "published 2001; the protocol requires year not in [2001]"),
        ('language == "English"', {"language": "english"}, True,
         'language is english; meets language == "English"'),
        ('language != "English"', {"language": "ENGLISH"}, False,
         'language is ENGLISH; the protocol requires language != "English"'),
        ('language in ["English", "German"]', {"language": "French"}, False,
         'language is French; the protocol requires language in ["English", "German"]'),
        ('language not in ["French"]', {"language": "German"}, True,
         'language is German; meets language not in ["French"]'),
        ('pub_type not in ["Editorial", "Letter"]', {"pub_type": ["Journal Article", "letter"]},
         False, ('publication type is Journal Article, letter; the protocol requires '
         'pub_type not in ["Editorial", "Letter"]')),
        ('title contains "peer"', {"title": "Peer Support Online"}, True,
         'title contains "peer"; meets title contains "peer"'),
        ('abstract contains "forum"', {"abstract": "A survey of clinicians."}, False,
         'abstract does not contain "forum"; the protocol requires abstract contains "forum"'),
        ('journal == "BJPsych Open"', {"journal": "bjpsych open"}, True,
         'journal is bjpsych open; meets journal == "BJPsych Open"'),
    ],
)
def test_every_operator(rule: str, fields: dict, passed: bool, reason: str) -> None:
    assert parse_rule(rule).evaluate(fields) == RuleResult(passed, reason)


@pytest.mark.parametrize("missing", [{}, {"year": None}, {"year": ""}])
def test_missing_field_leaves_the_decision_open(missing: dict) -> None:
    assert parse_rule("year >= 2000").evaluate(missing) == RuleResult(
        None, "year not given; cannot check year >= 2000")


def test_unreadable_year_leaves_the_decision_open() -> None:
    assert parse_rule("year >= 2000").evaluate({"year": "n.d."}) == RuleResult(
        None, 'year "n.d." is not a year; cannot check year >= 2000')


def test_and_combines_three_valued() -> None:
    rule = parse_rule('year >= 2000 and language == "English" and pub_type != "Review"')
    assert rule.fields == ("year", "language", "pub_type")
    failed = rule.evaluate({"year": 1990, "language": None, "pub_type": "Review"})
    assert failed == RuleResult(False, "published 1990; the protocol requires year >= 2000. "
                                'publication type is Review; the protocol requires '
                                'pub_type != "Review"')
    open_ = rule.evaluate({"year": 2005, "pub_type": "Article"})
    assert open_ == RuleResult(None, 'language not given; cannot check language == "English"')
    ok = rule.evaluate({"year": 2005, "language": "English", "pub_type": "Article"})
    assert ok.passed is True


def test_rule_is_normalised_and_round_trips() -> None:
    rule = parse_rule('  year>=2000   and language  not   in ["English","Ger\\"man"]  ')
    assert str(rule) == 'year >= 2000 and language not in ["English", "Ger\\"man"]'
    assert rule.comparisons == (Comparison("year", ">=", 2000),
                                Comparison("language", "not in", ("English", 'Ger"man')))
    assert parse_rule(str(rule)) == rule


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('year >= "2000"', 'year compares with whole numbers, not text ("2000")'),
        ("year in [2000, 2001, \"x\"]", "a list must hold only numbers or only quoted text"),
        ('year contains "19"', ('"contains" works only on text fields: '
         "language, pub_type, title, abstract, journal")),
        ("language == 3", 'language compares with "quoted text", not a number (3)'),
        ('title >= "a"', ('">=" works only on year; compare title with ==, !=, in, not in or '
         "contains")),
        ('language in "English"', '"in" needs a list, like language in ["English", "German"]'),
        ("year not in 2000", '"not in" needs a list, like year not in ["English", "German"]'),
        ("year == [2000]", '"==" compares with one value; use "in" or "not in" for a list'),
        ("language in []", "a list needs at least one value"),
        ("yaer >= 2000", ("unknown field 'yaer'; fields are: "
         "year, language, pub_type, title, abstract, journal")),
        ("year => 2000", ("expected an operator after year (>=, <=, >, <, ==, !=, in, not in, "
         "contains), got '='")),
        ("year >= 2000 or year < 1990", ("expected \"and\" between comparisons, got 'or' "
         '(only "and" is supported)')),
        ("year >= 2000 and", 'expected a field after "and"'),
        ("language == English", "expected a number or \"quoted text\" or a list, got 'English'"),
        ("year >= 2000.5", "cannot read '2000.5' at character 9"),
        ("year = 2000", ("expected an operator after year (>=, <=, >, <, ==, !=, in, not in, "
         "contains), got '='")),
        ("", "the rule is empty"),
    ],
)
def test_rule_errors_at_parse_time(rule: str, message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_rule(rule, file="p.toml", key="criteria[0].rule")
    assert str(caught.value) == f"p.toml: criteria[0].rule: {message}"


@pytest.mark.parametrize("attack", [
    "__import__('os').system('echo hacked')",
    'year >= 2000 and __class__ == "x"',
    "year >= (1).__class__",
    'title == "x"; import os',
])
def test_rule_parser_never_runs_python(attack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the rule parser must not evaluate Python")

    with monkeypatch.context() as patched:
        for name in ("eval", "exec", "compile"):
            patched.setattr(builtins, name, refuse)
        with pytest.raises(ProtocolError) as caught:
            parse_rule(attack)
        # Python in a quoted string is only ever text to compare with.
        rule = parse_rule('title == "__import__(\'os\')"')
        passed = rule.evaluate({"title": "__IMPORT__('os')"}).passed
    assert str(caught.value).startswith("<rule>: rule: ")
    assert passed is True
