"""`review users ...` through Click's runner on a real SQLite file: add with a role and email,
list, disable and enable, reset a password from standard input or the prompt, change a role or
an email, every change in the audit log; `review reviewers` still works; agreement and progress
take --as (default $REVIEW_USER)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from review.accounts import authenticate, get_reviewer
from review.cli.main import main
from review.store import Store
from tests.test_screening import build


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "review.db"
    build(str(db), tmp_path).close()
    monkeypatch.setenv("REVIEW_USER", "Lead")
    runner = CliRunner()

    def invoke(*args, ok: bool = True, input: str | None = None):
        result = runner.invoke(main, [*map(str, args), "--db", str(db)], input=input,
                               catch_exceptions=False)
        assert result.exit_code == (0 if ok else 1), result.output
        return result

    invoke.db = db
    return invoke


def test_users_add_list_disable_enable(run) -> None:
    out = run("users", "add", "Olu", "--role", "observer", "--email", "Olu@Example.org",
              "--password-stdin", input="olu-password\n").output
    assert out == "Added Olu (observer).\n"
    rows = {r["name"]: r for r in json.loads(run("users", "list", "--format", "json").output)}
    assert rows["Olu"] == {"name": "Olu", "role": "observer", "resolver": False, "active": True,
                           "email": "olu@example.org"}
    assert run("users", "disable", "olu").output == "Disabled Olu.\n"
    store = Store.open(run.db)
    assert authenticate(store, "Olu", "olu-password") is None
    run("users", "enable", "Olu")
    assert authenticate(store, "Olu", "olu-password") is not None
    store.close()
    out = run("users", "disable", "Lead", ok=False).output
    assert "Lead is the review's only active lead" in out
    out = run("users", "add", "Pat", "--role", "observer", "--resolver", "--no-password",
              ok=False).output
    assert "only a reviewer can be a third reviewer" in out


def test_reset_password_from_stdin_or_the_prompt(run) -> None:
    run("users", "reset-password", "ana", "--password-stdin", input="ana-new-password\n")
    store = Store.open(run.db)
    assert authenticate(store, "Ana", "ana-new-password") is not None
    run("users", "reset-password", "Ana", input="prompted-pass\nprompted-pass\n")
    assert authenticate(store, "Ana", "prompted-pass") is not None
    out = run("users", "reset-password", "Ana", input="one-password\nanother-one\n",
              ok=False).output
    assert "the two passwords differ; nothing was changed" in out
    assert authenticate(store, "Ana", "prompted-pass") is not None
    assert "at least 8 characters" in run("users", "reset-password", "Ana", "--password-stdin",
                                          input="short\n", ok=False).output
    store.close()


def test_role_and_email_changes_are_audited(run) -> None:
    assert run("users", "role", "Ben", "reviewer", "--resolver").output == \
        "Ben is now a third reviewer.\n"
    assert run("users", "role", "Ben", "lead").output == "Ben is now a lead.\n"
    run("users", "email", "Ben", "ben@example.org")
    assert run("users", "email", "Ben").output == "Ben: email removed.\n"
    store = Store.open(run.db)
    assert get_reviewer(store, "Ben").role == "lead"
    store.close()
    audit = json.loads(run("audit", "--actor", "Lead", "--format", "json").output)
    changes = [(a["action"], a["detail"]["before"], a["detail"]["after"]) for a in audit
               if a["entity"] == "reviewer" and "before" in a["detail"]]
    assert ("change role", {"role": "reviewer", "resolver": True},
            {"role": "lead", "resolver": False}) in changes
    assert ("change email", {"email": "ben@example.org"}, {"email": None}) in changes


def test_reviewers_is_kept_as_the_earlier_name(run) -> None:
    run("reviewers", "add", "Dana", "--password-stdin", input="dana-password\n")
    assert "Dana" in run("reviewers", "list").output
    run("reviewers", "password", "Dana", input="dana-new-password\n")
    store = Store.open(run.db)
    assert authenticate(store, "Dana", "dana-new-password") is not None
    store.close()


def test_agreement_and_progress_take_the_person(run, monkeypatch) -> None:
    for record, ana, ben in ((1, "include", "exclude"), (2, "include", "include")):
        run("vote", record, "--decision", ana, "--reviewer", "Ana")
        run("vote", record, "--decision", ben, "--reviewer", "Ben")
    assert "Ana / Ben" in run("agreement").output  # $REVIEW_USER is the lead
    out = run("agreement", "--as", "Ana", ok=False).output
    assert "agreement between reviewers is for leads" in out
    own = run("progress", "--as", "Ana").output
    assert own.startswith("Your own counts") and "Ben" not in own
    data = json.loads(run("progress", "--as", "Ana", "--format", "json").output)
    assert data["scope"] == "own" and data["stages"] == []
    monkeypatch.setenv("REVIEW_USER", "Cleo")
    assert "conflicts" in run("progress").output and "Ben" in run("progress").output
