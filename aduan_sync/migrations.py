"""The ledger's schema, as the named migrations that build it (applied in order, each once).

A migration is never edited once released: a ledger created by an earlier version has already
run it. A schema change is a new migration at the end, so every office's ledger reaches the
same schema whatever version created it.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE register_seq (
            year INTEGER PRIMARY KEY,
            last_seq INTEGER NOT NULL
        );
        CREATE TABLE complaints (
            id INTEGER PRIMARY KEY,
            register_no TEXT NOT NULL UNIQUE,
            year INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            answers_json TEXT NOT NULL,
            answers_sha256 TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            registered_at TEXT NOT NULL,
            category TEXT NOT NULL,
            category_source TEXT NOT NULL DEFAULT 'worker',
            unit TEXT NOT NULL,
            completeness TEXT NOT NULL,
            missing_json TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL,
            deadline TEXT,
            note TEXT NOT NULL DEFAULT '',
            answer TEXT NOT NULL DEFAULT '',
            answer_date TEXT,
            archived_sha256 TEXT,
            origin_json TEXT NOT NULL DEFAULT '{}',
            UNIQUE (year, seq)
        );
        CREATE INDEX complaints_fingerprint ON complaints (fingerprint);
        CREATE TABLE sheet_cells (
            complaint_id INTEGER NOT NULL REFERENCES complaints (id),
            column_key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (complaint_id, column_key)
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            message_id TEXT NOT NULL UNIQUE,
            complaint_id INTEGER REFERENCES complaints (id),
            register_no TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            recipients_json TEXT NOT NULL,
            subject TEXT NOT NULL,
            eml BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            complaint_id INTEGER REFERENCES complaints (id),
            register_no TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            actor TEXT NOT NULL DEFAULT 'worker',
            detail_json TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_complaint ON events (complaint_id);
        CREATE TABLE passes (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            result TEXT NOT NULL DEFAULT 'running',
            summary_json TEXT NOT NULL DEFAULT '{}'
        );
        """,
    ),
    (
        "0002_lifecycle",
        """
        ALTER TABLE complaints ADD COLUMN final_deadline TEXT;
        ALTER TABLE complaints ADD COLUMN completed_at TEXT;
        ALTER TABLE complaints ADD COLUMN answer_route TEXT NOT NULL DEFAULT '';
        ALTER TABLE complaints ADD COLUMN answer_sent_at TEXT;
        ALTER TABLE complaints ADD COLUMN closed_at TEXT;
        ALTER TABLE complaints ADD COLUMN duplicate_of TEXT NOT NULL DEFAULT '';
        CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            complaint_id INTEGER NOT NULL REFERENCES complaints (id),
            version INTEGER NOT NULL,
            text TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0,
            UNIQUE (complaint_id, version)
        );
        """,
    ),
    (
        # Files uploaded through the form (Drive links in any answer), one row per file and
        # complaint; see attachments.py for the life of a row.
        "0003_attachments",
        """
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            complaint_id INTEGER NOT NULL REFERENCES complaints (id),
            position INTEGER NOT NULL,
            file_id TEXT NOT NULL,
            link TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            local_name TEXT NOT NULL DEFAULT '',
            size INTEGER,
            mime_type TEXT NOT NULL DEFAULT '',
            sha256 TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'done', 'too_large', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            updated_at TEXT,
            UNIQUE (complaint_id, file_id)
        );
        CREATE INDEX attachments_status ON attachments (status);
        ALTER TABLE complaints ADD COLUMN links_scanned_sha256 TEXT;
        """,
    ),
    (
        "0004_pass_state",
        """
        CREATE TABLE pass_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
]
