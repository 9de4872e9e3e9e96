"""The schema of a review database, declared once: every table as the latest migration leaves it.

Services import these Table objects and write SQLAlchemy Core against them, so a misspelt
table or column fails at import or in a linter, not at run time on a reviewer's data. The
migrations (review/store/migrations.py) stay the history of how a database reaches this
state and never import this module; tests/test_schema.py migrates fresh databases on SQLite
and PostgreSQL and checks that they match this declaration exactly, in both directions.

Times are ISO-8601 UTC text (String(32)), so SQLite and PostgreSQL give back the same values.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

SERVER = "server"
"""The schema key of the tables the whole server shares, not one review (the migrations
record, the list of reviews): every connection translates it to the database's default
schema. Every other table belongs to one review (see review/store/namespaces.py)."""

# --- bookkeeping ---------------------------------------------------------------------------

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("applied_at", sa.String(32), nullable=False),
    schema=SERVER,
)

# --- the reviews a database holds (migration 20) -------------------------------------------
# namespace NULL: the first review, in the tables the migrations built under their plain
# names; 'review_<id>' for every later one (review/store/namespaces.py).

reviews = sa.Table(
    "reviews", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("namespace", sa.String(64), unique=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    schema=SERVER,
)

# --- one account per person per server (migration 21) --------------------------------------
# name, password and email are the person's in every review; each review keeps its own row
# of them (`reviewers`, their role there) with the password hash and email mirrored, so a
# review's sign-in and session checks read one row (review/accounts.py keeps them in step).

accounts = sa.Table(
    "accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_key", sa.Text, nullable=False, unique=True),  # case and spacing ignored
    sa.Column("password_hash", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False),  # False: signs in to no review
    sa.Column("admin", sa.Boolean, nullable=False),  # creates reviews, appoints first leads
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Index("accounts_by_email", "email", unique=True),
    schema=SERVER,
)

# --- the review, its sources and records, the audit log (migration 1) ----------------------

review = sa.Table(
    "review", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("protocol_file", sa.Text, nullable=False),
    sa.Column("protocol_text", sa.Text, nullable=False),
    sa.Column("protocol_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
)

sources = sa.Table(
    "sources", metadata,
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
    # migration 9 (PRISMA-S): where the search ran (Ovid, EBSCOhost, ...) and its limits
    sa.Column("platform", sa.Text),
    sa.Column("search_limits", sa.Text),
    # 'previous' (migration 10): the included reports of a review's previous version
    sa.CheckConstraint(
        "kind IN ('database', 'register', 'website', 'organisation', 'citation', 'other', "
        "'previous')",
        name="sources_kind_known",
    ),
)

records = sa.Table(
    "records", metadata,
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
    sa.Index("records_by_publication_year", "year"),  # migration 11: the year filter
)

# append-only: migration 8 adds triggers that refuse UPDATE and DELETE (and TRUNCATE on
# PostgreSQL); they are not part of this declaration, so create_all() here would lack them
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.Text),
    sa.Column("detail", sa.JSON, nullable=False),
)

# --- duplicates (migration 2; the merged_into index from migration 3) -----------------------

duplicate_groups = sa.Table(
    "duplicate_groups", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kept_record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    # a group that a person's decision joined into another is kept, pointing there, so
    # whatever hangs on its id (screening votes) can follow it
    sa.Column("merged_into", sa.Integer, sa.ForeignKey("duplicate_groups.id")),
    sa.Index("duplicate_groups_by_merged_into", "merged_into"),
)

record_groups = sa.Table(
    "record_groups", metadata,
    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
    sa.Index("record_groups_by_group", "group_id"),
)

duplicate_pairs = sa.Table(
    "duplicate_pairs", metadata,
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

# --- people and screening (migration 3; reviewers' observer role and email: migration 7) ----

reviewers = sa.Table(
    "reviewers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    # a third reviewer who may resolve conflicts on records they did not screen
    sa.Column("resolver", sa.Boolean, nullable=False, default=False),
    sa.Column("password_hash", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("email", sa.Text),  # what an OpenID Connect sign-in is matched on
    sa.CheckConstraint("role IN ('lead', 'reviewer', 'observer')", name="reviewers_role_known"),
    sa.Index("reviewers_by_email", "email", unique=True),
)

decisions = sa.Table(
    "decisions", metadata,
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

resolutions = sa.Table(
    "resolutions", metadata,
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

screening_state = sa.Table(
    "screening_state", metadata,
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), primary_key=True),
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

fulltext_files = sa.Table(
    "fulltext_files", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("content_type", sa.String(64), nullable=False),
    sa.Column("stored_at", sa.String(32), nullable=False),
)

fulltexts = sa.Table(
    "fulltexts", metadata,
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("sha256", sa.String(64), sa.ForeignKey("fulltext_files.sha256")),
    sa.Column("file_name", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.CheckConstraint("status IN ('retrieved', 'not retrieved')",
                       name="fulltexts_status_known"),
)

settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)

# --- studies (migration 4): a report with no row in study_reports is a study of its own ----

studies = sa.Table(
    "studies", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
)

study_reports = sa.Table(
    "study_reports", metadata,
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False),
    sa.Column("linked_by", sa.Text, nullable=False),
    sa.Column("linked_at", sa.String(32), nullable=False),
    sa.Index("study_reports_by_study", "study_id"),
)

# --- extraction (migration 5) --------------------------------------------------------------

extraction_entries = sa.Table(
    "extraction_entries", metadata,
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

extraction_values = sa.Table(
    "extraction_values", metadata,
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("extraction_entries.id"), primary_key=True),
    sa.Column("field_id", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)

# coded extracts (migration 18 replaced theme_codings, one quote per theme, with these): any
# number per entry and theme, in the entry's order; voice: whose words (participant, author),
# NULL only for extracts carried over from before voices were recorded
theme_extracts = sa.Table(
    "theme_extracts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("extraction_entries.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("theme_id", sa.String(64), nullable=False),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("location", sa.Text, nullable=False),
    sa.Column("voice", sa.String(16)),
    sa.Column("sub_theme", sa.Text),
    sa.UniqueConstraint("entry_id", "position", name="theme_extracts_in_order"),
    sa.CheckConstraint("voice IN ('participant', 'author')", name="theme_extracts_voice_known"),
)

quality_answers = sa.Table(
    "quality_answers", metadata,
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("extraction_entries.id"), primary_key=True),
    sa.Column("question_id", sa.String(64), primary_key=True),
    sa.Column("answer", sa.Text, nullable=False),
)

# themes a lead adds during extraction: any kind; parent makes it a descriptive theme under
# an analytical one (migration 18)
extra_themes = sa.Table(
    "extra_themes", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("added_by", sa.Text, nullable=False),
    sa.Column("added_at", sa.String(32), nullable=False),
    sa.Column("parent", sa.String(64)),
)

# --- prioritised screening (migration 6) ---------------------------------------------------

ranking_runs = sa.Table(
    "ranking_runs", metadata,
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

ranking_scores = sa.Table(
    "ranking_scores", metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ranking_runs.id"), primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # 1 = most likely relevant
    sa.Index("ranking_scores_by_position", "run_id", "position"),
)

screening_shown = sa.Table(
    "screening_shown", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
    sa.Column("stage", sa.String(64), nullable=False),
    sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ranking_runs.id")),  # None: random order
    sa.Column("position", sa.Integer),
    sa.Column("shown_at", sa.String(32), nullable=False),
    sa.Index("screening_shown_by_group", "group_id", "stage"),
)

screening_stops = sa.Table(
    "screening_stops", metadata,
    sa.Column("stage", sa.String(64), primary_key=True),
    sa.Column("decided_by", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
    sa.Column("decided_at", sa.String(32), nullable=False),
    sa.Column("n_screened", sa.Integer, nullable=False),
    sa.Column("n_unscreened", sa.Integer, nullable=False),
    sa.Column("p_value", sa.Float),
    sa.Column("recall_target", sa.Float, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("bias", sa.Float),  # the stopping rule's bias for the p-value (migration 19)
)

# --- labels and a lead's bulk exclusions by a rule (migration 11) --------------------------

# a reviewer's own tags on a work; others' labels show to a lead once the work's votes are in
# at the stage the label was put at (as notes do), never to another reviewer
labels = sa.Table(
    "labels", metadata,
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

# a work a lead excluded in bulk by one of the protocol's rules (the rule judged each work);
# the state refresh reads it like an automatic criterion, so PRISMA counts it as automation
automation_exclusions = sa.Table(
    "automation_exclusions", metadata,
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), primary_key=True),
    sa.Column("stage", sa.String(64), nullable=False),
    sa.Column("criterion", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("excluded_by", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
    sa.Column("excluded_at", sa.String(32), nullable=False),
)

# --- signed-in sessions (migration 12) ---------------------------------------------------
# A browser's cookie carries a random session id; only its sha256 is stored (token_hash), so
# a copy of the database signs nobody in. A sign-in first leaves a one-time hand-over code
# (grant_hash, until grant_until, bound to the browser by binding_hash) that the sign-in route
# exchanges for the cookie. A session ends (ended_at, end_reason) and its row stays.

sessions = sa.Table(
    "sessions", metadata,
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

# --- each reviewer's own highlight terms (migration 13) -------------------------------------

highlight_terms = sa.Table(
    "highlight_terms", metadata,
    sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), primary_key=True),
    sa.Column("include_terms", sa.JSON, nullable=False),
    sa.Column("exclude_terms", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
)

# --- conflict discussion (migration 14) -----------------------------------------------------

conflict_comments = sa.Table(
    "conflict_comments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("duplicate_groups.id"), nullable=False),
    sa.Column("stage", sa.String(64), nullable=False),
    sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Index("conflict_comments_by_group", "group_id", "stage", "id"),
)

# --- GRADE-CERQual: review findings and a lead's confidence in each (migration 15) ---------

# a review finding: a lead's statement of what the studies show on one theme
findings = sa.Table(
    "findings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("theme_id", sa.String(64), nullable=False),
    sa.Column("statement", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
)

# the included studies that contribute to a finding
finding_studies = sa.Table(
    "finding_studies", metadata,
    sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), primary_key=True),
    sa.Column("linked_by", sa.Text, nullable=False),
    sa.Column("linked_at", sa.String(32), nullable=False),
    sa.Index("finding_studies_by_study", "study_id"),
)

# one row per component a lead has judged (methodological limitations, coherence, adequacy,
# relevance) and one for the overall confidence; study_ids: the studies linked when judged
cerqual_judgements = sa.Table(
    "cerqual_judgements", metadata,
    sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), primary_key=True),
    sa.Column("component", sa.String(32), primary_key=True),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("study_ids", sa.JSON, nullable=False),
    sa.Column("judged_by", sa.Text, nullable=False),
    sa.Column("judged_at", sa.String(32), nullable=False),
    sa.CheckConstraint("component IN ('methodological_limitations', 'coherence', 'adequacy', "
                       "'relevance', 'overall')", name="cerqual_judgements_component_known"),
    sa.CheckConstraint("level IN ('none', 'minor', 'moderate', 'serious', 'high', 'low', "
                       "'very low')", name="cerqual_judgements_level_known"),
)

# --- the text of each stored PDF, per page (migration 16) ---------------------------------------

pdf_texts = sa.Table(
    "pdf_texts", metadata,
    sa.Column("sha256", sa.String(64), sa.ForeignKey("fulltext_files.sha256"), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("page_count", sa.Integer),
    sa.Column("text_pages", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("extractor", sa.String(64), nullable=False),
    sa.Column("extracted_at", sa.String(32), nullable=False),
    sa.CheckConstraint("status IN ('text', 'no text layer', 'unreadable')",
                       name="pdf_texts_status_known"),
)

pdf_pages = sa.Table(
    "pdf_pages", metadata,
    sa.Column("sha256", sa.String(64), sa.ForeignKey("pdf_texts.sha256"), primary_key=True),
    sa.Column("page", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("folded", sa.Text, nullable=False),
)

# --- how many works are in each screening state at each stage (migration 17) ---------------
# Kept by review.screening.state with every change to screening_state, in the same
# transaction: a reviewer's progress ("n of m voted") reads one row instead of counting the
# open works of a 50,000-record review on every vote.

screening_counts = sa.Table(
    "screening_counts", metadata,
    sa.Column("stage", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(16), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

REVIEW_TABLES: tuple[sa.Table, ...] = tuple(
    table for table in metadata.sorted_tables if table.schema != SERVER and table is not sessions)
"""Every table that holds a review's data, parents before children (foreign-key order): what
an export, a copy to another database or a check of the whole review walks. Not the signed-in
sessions: they belong to the server the review runs on, and a copy signs nobody in."""
