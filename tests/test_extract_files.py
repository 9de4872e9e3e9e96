"""Files of coded extracts (review extract --extracts FILE): CSV and JSON read, with errors
that name the file and the line or the extract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from review.errors import InputError
from review.extraction.extract_files import read_extracts


def test_csv_with_header_aliases_and_quoted_commas(tmp_path: Path) -> None:
    path = tmp_path / "extracts.csv"
    path.write_bytes("Theme,Sub-theme,Voice,Page,Quote\r\n"
                     'safe_space,Being believed,participant,p. 5,"Nobody judged me, ever"\r\n'
                     "\r\n"
                     "triggering,,author,,Some posts were hard to read\r\n".encode("utf-8-sig"))
    assert read_extracts(path) == [
        (f"{path}, line 2", {"theme": "safe_space", "sub_theme": "Being believed",
                             "voice": "participant", "location": "p. 5",
                             "quote": "Nobody judged me, ever"}),
        (f"{path}, line 4", {"theme": "triggering", "sub_theme": "", "voice": "author",
                             "location": "", "quote": "Some posts were hard to read"})]


def test_json_list_or_object(tmp_path: Path) -> None:
    path = tmp_path / "extracts.json"
    items = [{"theme": "safe_space", "quote": "Nobody judged me", "voice": None}]
    path.write_text(json.dumps({"extracts": items}), encoding="utf-8")
    assert read_extracts(path) == [(f"{path}, extract 1",
                                    {"theme": "safe_space", "quote": "Nobody judged me",
                                     "voice": ""})]
    path.write_text(json.dumps(items), encoding="utf-8")
    assert len(read_extracts(path)) == 1


@pytest.mark.parametrize(("name", "text", "message"), [
    ("a.csv", "", "the file is empty; the first line names the columns"),
    ("a.csv", "theme,location\nsafe_space,p. 2\n", "line 1: no quote column"),
    ("a.csv", "theme,quote\nsafe_space,\n", "line 2: quote is empty"),
    ("a.csv", "theme,quote\nsafe_space,q,extra\n", "line 2: 3 values for 2 columns"),
    ("a.json", '[{"theme": "x",\n "quote": }]', "line 2: Expecting value"),
    ("a.json", '{"rows": []}', 'expected a list of extracts, or {"extracts": [...]}'),
    ("a.json", '[{"theme": "x", "quote": "q", "page": 4}]', "extract 1: location is text, got 4"),
    ("a.json", '[{"theme": "x", "quote": "q", "colour": "red"}]',
     "extract 1: unknown column 'colour'"),
    ("a.json", '["x"]', "extract 1: expected an object"),
])
def test_bad_files_name_the_file_and_line(tmp_path: Path, name: str, text: str,
                                          message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        read_extracts(path)
    assert str(caught.value).startswith(str(path))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("theme,quote\nsafe_space,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_extracts(path)
