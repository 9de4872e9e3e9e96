"""Numbered schema migrations, each applied once in its own transaction and recorded in
`schema_migrations`.

Each migration spells out its own DDL (it is frozen history: never edit one that has shipped;
add the next number) and never imports review/store/schema.py, which declares the state after
the latest migration: a later migration changes the declaration, not history. A new migration
therefore comes with the matching change to schema.py; tests/test_schema.py migrates fresh
databases on SQLite and PostgreSQL and fails until the two agree. Times are stored as
ISO-8601 UTC text so SQLite and PostgreSQL give back the same values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Migration = tuple[int, str, Callable[[Connection], None]]


def _m0001_sources_and_records(conn: Connection) -> None:
    """The review itself, the imported files (sources), every imported record, the audit log."""
    md = sa.MetaData()
    sa.Table(
        "review", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("protocol_file", sa.Text, nullable=False),
        sa.Column("protocol_text", sa.Text, nullable=False),
        sa.Column("protocol_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    sa.Table(
        "sources", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("encoding", sa.String(32), nullable=False),
        sa.Column("line_endings", sa.String(16), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("searched_on", sa.String(10)),
        sa.Column("search_query", sa.Text),
        sa.Column("imported_at", sa.String(32), nullable=False),
        sa.Column("imported_by", sa.Text, nullable=False),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.CheckConstraint(
            "kind IN ('database', 'register', 'website', 'organisation', 'citation', 'other')",
            name="sources_kind_known",
        ),
    )
    sa.Table(
        "records", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("source_line", sa.Integer, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("doi", sa.Text),
        sa.Column("pmid", sa.String(16)),
        sa.Column("title", sa.Text),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("journal", sa.Text),
        sa.Column("journal_abbrev", sa.Text),
        sa.Column("volume", sa.Text),
        sa.Column("issue", sa.Text),
        sa.Column("pages_start", sa.Text),
        sa.Column("pages_end", sa.Text),
        sa.Column("issn", sa.JSON, nullable=False),
        sa.Column("isbn", sa.JSON, nullable=False),
        sa.Column("abstract", sa.Text),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("pub_type", sa.Text),
        sa.Column("publisher", sa.Text),
        sa.Column("accession", sa.Text),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.UniqueConstraint("source_id", "position", name="records_source_position"),
        sa.Index("records_by_source", "source_id"),
        sa.Index("records_by_doi", "doi"),
        sa.Index("records_by_pmid", "pmid"),
    )
    sa.Table(
        "audit_log", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.Text),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    md.create_all(conn)


def _m0002_duplicates(conn: Connection) -> None:
    """Duplicate groups (the unit of screening: every record is in exactly one) and the
    candidate pairs behind them, with their evidence and who decided them."""
    md = sa.MetaData()
    sa.Table("records", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "duplicate_groups", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kept_record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        # a group that a person's decision joined into another is kept, pointing there, so
        # whatever hangs on its id (screening votes later) can follow it
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("duplicate_groups.id")),
    )
    sa.Table(
        "record_groups", md,
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
        sa.Index("record_groups_by_group", "group_id"),
    )
    sa.Table(
        "duplicate_pairs", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_a", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("record_b", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("engine_version", sa.String(16), nullable=False),
        sa.UniqueConstraint("record_a", "record_b", name="duplicate_pairs_once"),
        sa.CheckConstraint("record_a < record_b", name="duplicate_pairs_ordered"),
        sa.CheckConstraint("status IN ('merged', 'needs review', 'confirmed', 'rejected', "
                           "'kept apart')", name="duplicate_pairs_status_known"),
        sa.Index("duplicate_pairs_by_status", "status"),
    )
    md.create_all(conn, tables=[md.tables["duplicate_groups"], md.tables["record_groups"],
                                md.tables["duplicate_pairs"]])


def _m0003_screening(conn: Connection) -> None:
    """Reviewers (accounts with roles), votes per group and stage, conflict resolutions, the
    screening state of every group at every stage it has reached, full texts, settings."""
    md = sa.MetaData()
    sa.Table("duplicate_groups", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "reviewers", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        # a third reviewer who may resolve conflicts on records they did not screen
        sa.Column("resolver", sa.Boolean, nullable=False, default=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, default=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.CheckConstraint("role IN ('lead', 'reviewer')", name="reviewers_role_known"),
    )
    sa.Table(
        "decisions", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("criteria", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("changes", sa.Integer, nullable=False, default=0),
        sa.Column("origin", sa.String(16), nullable=False),  # ui, cli, import
        sa.UniqueConstraint("group_id", "stage", "reviewer_id", name="decisions_once"),
        sa.CheckConstraint("decision IN ('include', 'exclude', 'maybe')",
                           name="decisions_decision_known"),
        sa.Index("decisions_by_reviewer", "stage", "reviewer_id", "group_id"),
        sa.Index("decisions_by_reviewer_time", "reviewer_id", "stage", "updated_at"),
    )
    sa.Table(
        "resolutions", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("resolved_by", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("resolved_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("group_id", "stage", name="resolutions_once"),
        sa.CheckConstraint("decision IN ('include', 'exclude')", name="resolutions_known"),
    )
    sa.Table(
        "screening_state", md,
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"),
                  primary_key=True),
        sa.Column("stage", sa.String(64), primary_key=True),
        # open: needs votes; conflict: votes disagree; decided: outcome set;
        # not retrieved: a report that could not be obtained (full-text stage only)
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("decided_by", sa.String(16)),  # votes, resolution, automation
        sa.Column("reason", sa.Text),
        sa.Column("votes", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.CheckConstraint("state IN ('open', 'conflict', 'decided', 'not retrieved')",
                           name="screening_state_known"),
        sa.Index("screening_state_by_stage", "stage", "state", "group_id"),
    )
    sa.Table(
        "fulltext_files", md,
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("stored_at", sa.String(32), nullable=False),
    )
    sa.Table(
        "fulltexts", md,
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"),
                  primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("fulltext_files.sha256")),
        sa.Column("file_name", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.CheckConstraint("status IN ('retrieved', 'not retrieved')",
                           name="fulltexts_status_known"),
    )
    sa.Table(
        "settings", md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )
    md.create_all(conn, tables=[t for name, t in md.tables.items() if name != "duplicate_groups"])
    sa.Index("duplicate_groups_by_merged_into", sa.Table(
        "duplicate_groups", sa.MetaData(), sa.Column("merged_into", sa.Integer)).c.merged_into
    ).create(conn)


def _m0004_studies(conn: Connection) -> None:
    """Studies: several reports (duplicate groups included at full text) can be one study.
    A report with no row here is a study of its own."""
    md = sa.MetaData()
    sa.Table("duplicate_groups", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "studies", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    sa.Table(
        "study_reports", md,
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"),
                  primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("linked_by", sa.Text, nullable=False),
        sa.Column("linked_at", sa.String(32), nullable=False),
        sa.Index("study_reports_by_study", "study_id"),
    )
    md.create_all(conn, tables=[md.tables["studies"], md.tables["study_reports"]])


def _m0005_extraction(conn: Connection) -> None:
    """Data extraction per study: one entry per extractor (and one final entry a lead
    reconciles), its field values, coded themes with quotes, quality answers; themes a lead
    adds during extraction."""
    md = sa.MetaData()
    sa.Table("studies", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("reviewers", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "extraction_entries", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False),
        # the extractor's reviewer id as text, or 'final' for the reconciled entry
        sa.Column("extractor", sa.String(16), nullable=False),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("quality_rating", sa.Text),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("reconciled_by", sa.Integer, sa.ForeignKey("reviewers.id")),
        sa.Column("reconciled_at", sa.String(32)),
        sa.UniqueConstraint("study_id", "extractor", name="extraction_entries_once"),
        sa.CheckConstraint("status IN ('in progress', 'done')",
                           name="extraction_entries_status_known"),
    )
    sa.Table(
        "extraction_values", md,
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("extraction_entries.id"),
                  primary_key=True),
        sa.Column("field_id", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )
    sa.Table(
        "theme_codings", md,
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("extraction_entries.id"),
                  primary_key=True),
        sa.Column("theme_id", sa.String(64), primary_key=True),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
    )
    sa.Table(
        "quality_answers", md,
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("extraction_entries.id"),
                  primary_key=True),
        sa.Column("question_id", sa.String(64), primary_key=True),
        sa.Column("answer", sa.Text, nullable=False),
    )
    sa.Table(
        "extra_themes", md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("added_by", sa.Text, nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.CheckConstraint("kind IN ('benefits', 'risks', 'mitigations')",
                           name="extra_themes_kind_known"),
    )
    md.create_all(conn, tables=[md.tables[n] for n in (
        "extraction_entries", "extraction_values", "theme_codings", "quality_answers",
        "extra_themes")])


def _m0007_observers_and_emails(conn: Connection) -> None:
    """The observer role (reads progress only) and a reviewer's email, which an OpenID
    Connect sign-in is matched on. SQLite cannot change a CHECK constraint, so there the
    reviewers table is rebuilt with the same rows and ids; foreign keys are deferred to the
    commit, by which time every reviewer row is back."""
    role_check = "role IN ('lead', 'reviewer', 'observer')"
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        conn.exec_driver_sql("CREATE TEMP TABLE reviewers_m7 AS SELECT * FROM reviewers")
        conn.exec_driver_sql("DROP TABLE reviewers")
        md = sa.MetaData()
        sa.Table(
            "reviewers", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.Text, nullable=False, unique=True),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("resolver", sa.Boolean, nullable=False, default=False),
            sa.Column("password_hash", sa.Text),
            sa.Column("active", sa.Boolean, nullable=False, default=True),
            sa.Column("created_at", sa.String(32), nullable=False),
            sa.Column("created_by", sa.Text, nullable=False),
            sa.Column("email", sa.Text),
            sa.CheckConstraint(role_check, name="reviewers_role_known"),
        ).create(conn)
        columns = "id, name, role, resolver, password_hash, active, created_at, created_by"
        conn.exec_driver_sql(f"INSERT INTO reviewers ({columns}) "
                             f"SELECT {columns} FROM reviewers_m7 ORDER BY id")
        conn.exec_driver_sql("DROP TABLE reviewers_m7")
    else:
        conn.exec_driver_sql("ALTER TABLE reviewers DROP CONSTRAINT reviewers_role_known")
        conn.exec_driver_sql(f"ALTER TABLE reviewers ADD CONSTRAINT reviewers_role_known "
                             f"CHECK ({role_check})")
        conn.exec_driver_sql("ALTER TABLE reviewers ADD COLUMN email TEXT")
    conn.exec_driver_sql("CREATE UNIQUE INDEX reviewers_by_email ON reviewers (email)")


def _m0006_ranking(conn: Connection) -> None:
    """Prioritised screening: model runs and their scores, which run placed each record shown
    to a reviewer, and a lead's decision to stop screening a stage."""
    md = sa.MetaData()
    sa.Table("duplicate_groups", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("reviewers", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "ranking_runs", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("model", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # running, done, failed
        sa.Column("n_include", sa.Integer, nullable=False),
        sa.Column("n_exclude", sa.Integer, nullable=False),
        sa.Column("fit_seconds", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32)),
        sa.Index("ranking_runs_by_stage", "stage", "status", "id"),
    )
    sa.Table(
        "ranking_scores", md,
        sa.Column("run_id", sa.Integer, sa.ForeignKey("ranking_runs.id"), primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"),
                  primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),  # 1 = most likely relevant
        sa.Index("ranking_scores_by_position", "run_id", "position"),
    )
    sa.Table(
        "screening_shown", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("ranking_runs.id")),  # None: random
        sa.Column("position", sa.Integer),
        sa.Column("shown_at", sa.String(32), nullable=False),
        sa.Index("screening_shown_by_group", "group_id", "stage"),
    )
    sa.Table(
        "screening_stops", md,
        sa.Column("stage", sa.String(64), primary_key=True),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=False),
        sa.Column("n_screened", sa.Integer, nullable=False),
        sa.Column("n_unscreened", sa.Integer, nullable=False),
        sa.Column("p_value", sa.Float),
        sa.Column("recall_target", sa.Float, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("note", sa.Text),
    )
    md.create_all(conn, tables=[md.tables[n] for n in ("ranking_runs", "ranking_scores",
                                                       "screening_shown", "screening_stops")])


_REFUSE = "the audit log is append-only: its rows are never changed or deleted"


def _m0008_append_only_audit_log(conn: Connection) -> None:
    """The database itself refuses to change or delete audit rows, whatever code asks. On
    PostgreSQL that holds for anyone without the owner's right to drop the trigger; on SQLite
    whoever holds the file can drop it, so there it guards against mistakes, not intent. A
    later migration that rebuilds audit_log must create these triggers again."""
    if conn.dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            conn.execute(sa.text(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"))
        return
    conn.execute(sa.text(
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_REFUSE} (% refused)', TG_OP; END $$"))
    conn.execute(sa.text(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"))
    conn.execute(sa.text(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"))


def _m0009_search_platform_and_limits(conn: Connection) -> None:
    """What PRISMA-S asks of each search besides its date and strategy: the platform it ran
    on (Ovid, EBSCOhost, ...) and the limits applied (years, languages, filters)."""
    conn.exec_driver_sql("ALTER TABLE sources ADD COLUMN platform TEXT")
    conn.exec_driver_sql("ALTER TABLE sources ADD COLUMN search_limits TEXT")


def _m0010_previous_version_sources(conn: Connection) -> None:
    """Source kind "previous": the included reports of a review's previous version, imported
    so that an updated review never screens them again and counts them in PRISMA's "previous
    studies" column. SQLite cannot change a CHECK constraint, so there the sources table is
    rebuilt from its own stored definition (whatever columns earlier migrations gave it), with
    the same rows and ids and its indexes; foreign keys are deferred to the commit, by which
    time every source row is back."""
    old = "'citation', 'other')"
    new = "'citation', 'other', 'previous')"
    if conn.dialect.name == "sqlite":
        table_sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sources'").scalar_one()
        if table_sql.count(old) != 1:
            raise RuntimeError("migration 10: the sources kind constraint is not as expected")
        index_sql = [s for (s,) in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sources' "
            "AND sql IS NOT NULL")]
        conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        conn.exec_driver_sql("CREATE TEMP TABLE sources_m9 AS SELECT * FROM sources")
        conn.exec_driver_sql("DROP TABLE sources")
        conn.exec_driver_sql(table_sql.replace(old, new))
        conn.exec_driver_sql("INSERT INTO sources SELECT * FROM sources_m9 ORDER BY id")
        conn.exec_driver_sql("DROP TABLE sources_m9")
        for statement in index_sql:
            conn.exec_driver_sql(statement)
        return
    conn.exec_driver_sql("ALTER TABLE sources DROP CONSTRAINT sources_kind_known")
    conn.exec_driver_sql(
        "ALTER TABLE sources ADD CONSTRAINT sources_kind_known CHECK (kind IN ('database', "
        "'register', 'website', 'organisation', 'citation', 'other', 'previous'))")
def _m0011_labels_and_bulk_automation(conn: Connection) -> None:
    """Reviewers' labels on works (private until the work's votes are in), a lead's bulk
    exclusions of unvoted works by one of the protocol's rules, counted as automation, and an
    index on the records' year for the Records page's year filter."""
    md = sa.MetaData()
    for name in ("duplicate_groups", "reviewers"):
        sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "labels", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("group_id", "reviewer_id", "label", name="labels_once"),
        sa.Index("labels_by_reviewer", "reviewer_id", "label"),
        sa.Index("labels_by_group", "group_id"),
    )
    sa.Table(
        "automation_exclusions", md,
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"),
                  primary_key=True),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("criterion", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("excluded_by", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("excluded_at", sa.String(32), nullable=False),
    )
    md.create_all(conn, tables=[md.tables["labels"], md.tables["automation_exclusions"]])
    records = sa.Table("records", md, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("year", sa.Integer))
    sa.Index("records_by_publication_year", records.c.year).create(conn)  # the year filter


def _m0012_sessions(conn: Connection) -> None:
    """Server-side sessions: a signed cookie carries a random id whose sha256 alone is kept
    here, with the person, how they signed in, the credential stamp, when it was last used and
    when and why it ended; a one-time hand-over code (hashed) turns a sign-in into the cookie."""
    md = sa.MetaData()
    sa.Table("reviewers", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "sessions", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("stamp", sa.String(64)),
        sa.Column("token_hash", sa.String(64)),
        sa.Column("grant_hash", sa.String(64)),
        sa.Column("grant_until", sa.String(32)),
        sa.Column("binding_hash", sa.String(64)),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("last_seen_at", sa.String(32), nullable=False),
        sa.Column("ended_at", sa.String(32)),
        sa.Column("end_reason", sa.String(32)),
        sa.Index("sessions_by_token", "token_hash", unique=True),
        sa.Index("sessions_by_grant", "grant_hash", unique=True),
        sa.Index("sessions_by_reviewer", "reviewer_id"),
    )
    md.create_all(conn, tables=[md.tables["sessions"]])


def _m0013_highlight_terms(conn: Connection) -> None:
    """Each reviewer's own highlight terms (include and exclude), shown on the Screen and Full
    text pages beside the protocol's: one row per person, written by review.screening.terms."""
    md = sa.MetaData()
    sa.Table("reviewers", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "highlight_terms", md,
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), primary_key=True),
        sa.Column("include_terms", sa.JSON, nullable=False),
        sa.Column("exclude_terms", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    md.create_all(conn, tables=[md.tables["highlight_terms"]])


def _m0014_conflict_discussion(conn: Connection) -> None:
    """A discussion thread per conflict (a work at a stage): who wrote what, when. Who may read
    a thread is the service's rule (review/screening/discussion.py), not the table's."""
    md = sa.MetaData()
    sa.Table("duplicate_groups", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("reviewers", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "conflict_comments", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Index("conflict_comments_by_group", "group_id", "stage", "id"),
    ).create(conn)



def _m0015_cerqual_findings(conn: Connection) -> None:
    """GRADE-CERQual: review findings (a statement on a theme), the included studies behind
    each, and a lead's judgements of the four components and the overall confidence."""
    md = sa.MetaData()
    sa.Table("studies", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "findings", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("theme_id", sa.String(64), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    sa.Table(
        "finding_studies", md,
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), primary_key=True),
        sa.Column("linked_by", sa.Text, nullable=False),
        sa.Column("linked_at", sa.String(32), nullable=False),
        sa.Index("finding_studies_by_study", "study_id"),
    )
    sa.Table(
        "cerqual_judgements", md,
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), primary_key=True),
        sa.Column("component", sa.String(32), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("study_ids", sa.JSON, nullable=False),
        sa.Column("judged_by", sa.Text, nullable=False),
        sa.Column("judged_at", sa.String(32), nullable=False),
        sa.CheckConstraint("component IN ('methodological_limitations', 'coherence', "
                           "'adequacy', 'relevance', 'overall')",
                           name="cerqual_judgements_component_known"),
        sa.CheckConstraint("level IN ('none', 'minor', 'moderate', 'serious', 'high', 'low', "
                           "'very low')", name="cerqual_judgements_level_known"),
    )
    md.create_all(conn, tables=[md.tables[n] for n in ("findings", "finding_studies",
                                                        "cerqual_judgements")])


def _m0016_pdf_text(conn: Connection) -> None:
    """The text of each stored PDF, per page, as read when it was attached (or by `review
    fulltext index`): a row per file with its status (text, no text layer, unreadable, with
    the error) and the extractor that read it, and a row per page with the text and its folded
    form for search and quote location (review.screening.pdftext)."""
    md = sa.MetaData()
    sa.Table("fulltext_files", md, sa.Column("sha256", sa.String(64), primary_key=True))
    sa.Table(
        "pdf_texts", md,
        sa.Column("sha256", sa.String(64), sa.ForeignKey("fulltext_files.sha256"),
                  primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("page_count", sa.Integer),
        sa.Column("text_pages", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("extractor", sa.String(64), nullable=False),
        sa.Column("extracted_at", sa.String(32), nullable=False),
        sa.CheckConstraint("status IN ('text', 'no text layer', 'unreadable')",
                           name="pdf_texts_status_known"),
    )
    sa.Table(
        "pdf_pages", md,
        sa.Column("sha256", sa.String(64), sa.ForeignKey("pdf_texts.sha256"), primary_key=True),
        sa.Column("page", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("folded", sa.Text, nullable=False),
    )
    md.create_all(conn, tables=[md.tables["pdf_texts"], md.tables["pdf_pages"]])


def _m0017_screening_counts(conn: Connection) -> None:
    """How many works are in each screening state at each stage, kept with screening_state
    from now on (review.screening.state) and filled here from the rows already there."""
    md = sa.MetaData()
    state = sa.Table("screening_state", md, sa.Column("group_id", sa.Integer),
                     sa.Column("stage", sa.String(64)), sa.Column("state", sa.String(16)))
    counts = sa.Table(
        "screening_counts", md,
        sa.Column("stage", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    counts.create(conn)
    conn.execute(counts.insert().from_select(
        ["stage", "state", "n"],
        sa.select(state.c.stage, state.c.state, sa.func.count())
        .group_by(state.c.stage, state.c.state)))


def _m0018_coded_extracts(conn: Connection) -> None:
    """Coded extracts (issue 15, item 1): any number per extraction entry and theme, each with
    its quote, location, voice (participant or author) and an optional sub-theme, in the
    entry's order. Every theme coding of before (one quote per theme) becomes one extract with
    its quote and location, voice not recorded (NULL); then theme_codings goes. Themes a lead
    adds may now be of any kind (the protocol names the kinds) and sit under an analytical
    theme (parent)."""
    md = sa.MetaData()
    sa.Table("extraction_entries", md, sa.Column("id", sa.Integer, primary_key=True))
    extracts = sa.Table(
        "theme_extracts", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("extraction_entries.id"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("theme_id", sa.String(64), nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("voice", sa.String(16)),
        sa.Column("sub_theme", sa.Text),
        sa.UniqueConstraint("entry_id", "position", name="theme_extracts_in_order"),
        sa.CheckConstraint("voice IN ('participant', 'author')",
                           name="theme_extracts_voice_known"),
    )
    extracts.create(conn)
    codings = sa.Table("theme_codings", md, sa.Column("entry_id", sa.Integer),
                       sa.Column("theme_id", sa.String(64)), sa.Column("quote", sa.Text),
                       sa.Column("location", sa.Text))
    rows, position, last = [], 0, None
    for r in conn.execute(sa.select(codings).order_by(codings.c.entry_id, codings.c.theme_id)):
        position = position + 1 if r.entry_id == last else 1
        last = r.entry_id
        rows.append({"entry_id": r.entry_id, "position": position, "theme_id": r.theme_id,
                     "quote": r.quote, "location": r.location})
    if rows:
        conn.execute(extracts.insert(), rows)
    conn.exec_driver_sql("DROP TABLE theme_codings")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE extra_themes DROP CONSTRAINT extra_themes_kind_known")
        conn.exec_driver_sql("ALTER TABLE extra_themes ALTER COLUMN kind TYPE VARCHAR(32)")
        conn.exec_driver_sql("ALTER TABLE extra_themes ADD COLUMN parent VARCHAR(64)")
        return
    # SQLite cannot drop a CHECK constraint: the table is made anew with the same rows (no
    # other table points at it)
    conn.exec_driver_sql(
        "CREATE TABLE extra_themes_m18 (id VARCHAR(64) NOT NULL, kind VARCHAR(32) NOT NULL, "
        "label TEXT NOT NULL, description TEXT NOT NULL, added_by TEXT NOT NULL, "
        "added_at VARCHAR(32) NOT NULL, parent VARCHAR(64), PRIMARY KEY (id))")
    conn.exec_driver_sql(
        "INSERT INTO extra_themes_m18 (id, kind, label, description, added_by, added_at) "
        "SELECT id, kind, label, description, added_by, added_at FROM extra_themes")
    conn.exec_driver_sql("DROP TABLE extra_themes")
    conn.exec_driver_sql("ALTER TABLE extra_themes_m18 RENAME TO extra_themes")


def _m0019_stop_bias(conn: Connection) -> None:
    """The stopping rule's bias with a lead's stop: the p-value it was recorded with is only
    meaningful with the bias assumed (1: a random draw; more: a ranking that still favoured
    includes). Stops recorded before it have none (they were computed with the bias of the
    time, kept in the audit log's rule text only)."""
    conn.exec_driver_sql("ALTER TABLE screening_stops ADD COLUMN bias FLOAT")


def _m0020_reviews(conn: Connection) -> None:
    """A database holds one or more reviews, each with a slug people and commands choose it
    by. The review a database already holds stays where it is (namespace NULL: the tables
    under their plain names, every row kept) and is listed under a slug made from its title;
    later reviews get namespaces of their own (review/store/namespaces.py)."""
    md = sa.MetaData()
    reviews = sa.Table(
        "reviews", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("namespace", sa.String(64), unique=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    reviews.create(conn)
    review = sa.Table("review", md, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("title", sa.Text), sa.Column("created_at", sa.String(32)))
    row = conn.execute(sa.select(review.c.title, review.c.created_at)).first()
    if row is not None:
        plain = unicodedata.normalize("NFKD", row.title).encode("ascii", "ignore").decode()
        slug = ""
        for word in re.findall(r"[a-z0-9]+", plain.lower()):
            if len(slug) + len(word) + 1 > 48:
                slug = slug or word[:48]
                break
            slug = f"{slug}-{word}" if slug else word
        slug = slug or "review"
        conn.execute(reviews.insert().values(id=1, slug=slug, title=row.title, namespace=None,
                                             created_at=row.created_at,
                                             created_by="migration 20"))


def _m0021_accounts(conn: Connection) -> None:
    """One account per person per server: name, password, email and whether it may sign in
    at all, shared by every review the person is in (each review keeps its own row of the
    person, with their role there). A server administrator creates reviews and appoints
    their first lead. The people of the review a database already holds become accounts,
    with their passwords and emails."""
    md = sa.MetaData()
    accounts = sa.Table(
        "accounts", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Index("accounts_by_email", "email", unique=True),
    )
    accounts.create(conn)
    reviewers = sa.Table(
        "reviewers", md, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text), sa.Column("password_hash", sa.Text),
        sa.Column("email", sa.Text), sa.Column("created_at", sa.String(32)),
        sa.Column("created_by", sa.Text))
    seen: set[str] = set()
    for row in conn.execute(sa.select(reviewers).order_by(reviewers.c.id)):
        key = " ".join(row.name.split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        conn.execute(accounts.insert().values(
            name=row.name, name_key=key, password_hash=row.password_hash, email=row.email,
            active=True, admin=False, created_at=row.created_at, created_by=row.created_by))


MIGRATIONS: tuple[Migration, ...] = (
    (1, "sources and records", _m0001_sources_and_records),
    (2, "duplicate groups and pairs", _m0002_duplicates),
    (3, "reviewers, screening decisions, full texts", _m0003_screening),
    (4, "studies and their reports", _m0004_studies),
    (5, "extraction entries, themes, quality answers", _m0005_extraction),
    (6, "prioritised screening: model runs, scores, records shown, stops", _m0006_ranking),
    (7, "observer role, reviewer emails", _m0007_observers_and_emails),
    (8, "append-only audit log (triggers)", _m0008_append_only_audit_log),
    (9, "search platform and limits (PRISMA-S)", _m0009_search_platform_and_limits),
    (10, "previous-version sources (kind previous)", _m0010_previous_version_sources),
    (11, "labels on works, a lead's bulk exclusions by a rule", _m0011_labels_and_bulk_automation),
    (12, "sessions: server-side, signed-cookie sessions", _m0012_sessions),
    (13, "each reviewer's own highlight terms", _m0013_highlight_terms),
    (14, "conflict discussion threads", _m0014_conflict_discussion),
    (15, "GRADE-CERQual: review findings, their studies, a lead's judgements",
     _m0015_cerqual_findings),
    (16, "PDF text per page, for search and quote location (pdftext)", _m0016_pdf_text),
    (17, "screening counts per stage and state, kept with the state (speed14)",
     _m0017_screening_counts),
    (18, "coded extracts: any number per theme, with voice and sub-theme; themes of any kind "
         "under analytical themes", _m0018_coded_extracts),
    (19, "the stopping rule's bias with a lead's stop (stopfix)", _m0019_stop_bias),
    (20, "several reviews in one database: the reviews and their slugs (reviews19)",
     _m0020_reviews),
    (21, "one account per person per server, server administrators (reviews19)",
     _m0021_accounts),
)

LATEST = max(version for version, _, _ in MIGRATIONS)  # numbers may land out of order
