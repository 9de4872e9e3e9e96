"""The rule language: `year >= 2000 and language in ["English", "German"]`.

A criterion's rule is parsed by this tiny parser of our own, never eval: protocols are shared
between teams and stored in the database, so a rule must only ever be data to compare with.
Types are checked at parse time, so a bad rule stops the protocol from loading instead of
surfacing mid-screening.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from review.errors import ProtocolError

RULE_FIELDS = ("year", "language", "pub_type", "title", "abstract", "journal")
TEXT_FIELDS = RULE_FIELDS[1:]
OPERATORS = (">=", "<=", ">", "<", "==", "!=", "in", "not in", "contains")
_NOUNS = {"pub_type": "publication type"}
_ORDERING = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_TOKEN = re.compile(r'\s*(?:(?P<num>-?\d+)(?![\w.])|(?P<str>"(?:[^"\\]|\\.)*")'
                    r"|(?P<op>>=|<=|==|!=|>|<|=)|(?P<punct>[\[\],])|(?P<word>[A-Za-z_]\w*))")


@dataclass(frozen=True, slots=True)
class RuleResult:
    passed: bool | None  # None: a field the rule needs is missing, so a person must decide
    reason: str


@dataclass(frozen=True, slots=True)
class Comparison:
    field: str
    op: str
    value: int | str | tuple[int | str, ...]

    def __str__(self) -> str:
        return f"{self.field} {self.op} {_literal(self.value)}"

    def check(self, fields: Mapping[str, object]) -> RuleResult:
        raw = fields.get(self.field)
        noun = _NOUNS.get(self.field, self.field)
        if raw is None or raw == "" or raw == [] or raw == ():
            return RuleResult(None, f"{noun} not given; cannot check {self}")
        if self.field == "year":
            found = re.search(r"\d{4}", str(raw)) if not isinstance(raw, int) else None
            year = raw if isinstance(raw, int) else int(found.group()) if found else None
            if year is None or isinstance(year, bool):
                return RuleResult(None, f'year "{raw}" is not a year; cannot check {self}')
            have: list[Any] = [year]
            shown = f"published {year}"
        else:
            if isinstance(raw, list | tuple | set | frozenset):
                items = [str(item) for item in raw]
            else:
                items = [str(raw)]
            have = [item.strip().casefold() for item in items]
            shown = f"{noun} is " + ", ".join(_clip(item) for item in items)
        want: Any = self.value
        if isinstance(want, str):
            want = want.casefold()
        elif isinstance(want, tuple):
            want = tuple(w.casefold() if isinstance(w, str) else w for w in want)
        if self.op == "contains":
            passed = any(want in item for item in have)
            shown = f'{noun} {"contains" if passed else "does not contain"} {_literal(self.value)}'
        elif self.op in _ORDERING:
            passed = all(_ORDERING[self.op](item, want) for item in have)
        elif self.op in ("==", "in"):
            passed = any(item == want if self.op == "==" else item in want for item in have)
        else:  # != and not in: no value may match
            passed = not any(item == want if self.op == "!=" else item in want for item in have)
        verdict = "meets" if passed else "the protocol requires"
        return RuleResult(passed, f"{shown}; {verdict} {self}")


@dataclass(frozen=True, slots=True)
class Rule:
    """Comparisons joined by `and`; a criterion's rule states what an eligible record satisfies."""

    comparisons: tuple[Comparison, ...]

    def __str__(self) -> str:
        return " and ".join(str(c) for c in self.comparisons)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.field for c in self.comparisons))

    def evaluate(self, fields: Mapping[str, object]) -> RuleResult:
        """A failed comparison decides; a missing field only leaves the question open."""
        results = [c.check(fields) for c in self.comparisons]
        for outcome in (False, None, True):
            chosen = [r.reason for r in results if r.passed is outcome]
            if chosen:
                return RuleResult(outcome, ". ".join(chosen))
        raise AssertionError("a rule has at least one comparison")


def _literal(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_rule(text: str, *, file: str = "<rule>", key: str = "rule") -> Rule:
    """Parse the rule language; types are checked here so a bad rule never reaches screening."""

    def fail(message: str) -> NoReturn:
        raise ProtocolError(file, key, message)

    tokens: list[tuple[str, str]] = []
    pos, text = 0, text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or not match.lastgroup:
            start = len(text) - len(text[pos:].lstrip())
            fail(f"cannot read {text[start:start + 20]!r} at character {start + 1}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    if not tokens:
        fail("the rule is empty")
    tokens.append(("end", "end of rule"))
    at = 0

    def take() -> tuple[str, str]:
        nonlocal at
        at += 1
        return tokens[at - 1]

    def literal(allow_list: bool = True) -> int | str | tuple[int | str, ...]:
        kind, raw = take()
        if kind == "num":
            return int(raw)
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", raw[1:-1])
        if raw == "[" and allow_list:
            if tokens[at][1] == "]":
                fail("a list needs at least one value")
            items: list[Any] = [literal(allow_list=False)]  # scalars: lists do not nest
            while (sep := take())[1] == ",":
                items.append(literal(allow_list=False))
            if sep[1] != "]":
                fail(f'expected "," or "]" in the list, got {sep[1]!r}')
            if len({type(i) for i in items}) > 1:
                fail("a list must hold only numbers or only quoted text")
            return tuple(items)
        fail(f'expected a number or "quoted text"{" or a list" if allow_list else ""}, '
             f"got {raw!r}")

    comparisons = []
    while True:
        kind, name = take()
        if kind == "end":
            fail('expected a field after "and"')
        if name not in RULE_FIELDS:
            fail(f"unknown field {name!r}; fields are: {', '.join(RULE_FIELDS)}")
        kind, op = take()
        if op == "not" and tokens[at][1] == "in":
            op = "not " + take()[1]
        if op not in OPERATORS:
            fail(f"expected an operator after {name} ({', '.join(OPERATORS)}), got {op!r}")
        value = literal()
        sample = value[0] if isinstance(value, tuple) else value
        if op in ("in", "not in") and not isinstance(value, tuple):
            fail(f'"{op}" needs a list, like {name} {op} ["English", "German"]')
        if op not in ("in", "not in") and isinstance(value, tuple):
            fail(f'"{op}" compares with one value; use "in" or "not in" for a list')
        if op == "contains" and name == "year":
            fail('"contains" works only on text fields: ' + ", ".join(TEXT_FIELDS))
        if op in _ORDERING and name != "year":
            fail(f'"{op}" works only on year; compare {name} with ==, !=, in, not in or contains')
        if name == "year" and not isinstance(sample, int):
            fail(f"year compares with whole numbers, not text ({_literal(sample)})")
        if name != "year" and not isinstance(sample, str):
            fail(f'{name} compares with "quoted text", not a number ({sample})')
        comparisons.append(Comparison(name, op, value))
        kind, joiner = take()
        if kind == "end":
            return Rule(tuple(comparisons))
        if joiner != "and":
            fail(f'expected "and" between comparisons, got {joiner!r} (only "and" is supported)')
