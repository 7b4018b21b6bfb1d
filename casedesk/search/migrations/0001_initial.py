"""The search indexes: cases (FTS5 / tsvector) and the customer lookup (FTS5 trigram / pg_trgm).

Everything here is keyed by explicit integers (the case's `number`, a customer key of our own),
never by an implicit rowid that a table rebuild would renumber. The services write the rows in
the same transaction as the records they index.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

SQLITE_CREATE = [
    # Stems of title, resolution, description; `tags` narrows by state, status and subject.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_case_fts USING fts5(
        title, resolution, description, tags, tokenize = 'unicode61 remove_diacritics 0'
    )""",
    """CREATE TABLE IF NOT EXISTS search_customer_key (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('account', 'contact')),
        customer_id CHAR(32) NOT NULL UNIQUE
    )""",
    """CREATE TABLE IF NOT EXISTS search_customer_word (
        word TEXT NOT NULL,
        key_id INTEGER NOT NULL,
        PRIMARY KEY (word, key_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS search_customer_word_key ON search_customer_word (key_id)",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_customer_fts USING fts5(
        name, email, phone, tokenize = 'trigram'
    )""",
]
SQLITE_DROP = [
    "DROP TABLE IF EXISTS search_customer_fts",
    "DROP TABLE IF EXISTS search_customer_word",
    "DROP TABLE IF EXISTS search_customer_key",
    "DROP TABLE IF EXISTS search_case_fts",
]

POSTGRES_CREATE = [
    """CREATE TABLE IF NOT EXISTS search_case_doc (
        number bigint PRIMARY KEY,
        case_id uuid NOT NULL UNIQUE,
        state varchar(10) NOT NULL,
        status varchar(24) NOT NULL,
        subject_id uuid NULL,
        title text NOT NULL,
        resolution text NOT NULL,
        description text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, title), 'A')
            || setweight(to_tsvector('simple'::regconfig, resolution), 'B')
            || setweight(to_tsvector('simple'::regconfig, description), 'C')
        ) STORED
    )""",
    "CREATE INDEX IF NOT EXISTS search_case_doc_document ON search_case_doc USING gin (document)",
    "CREATE INDEX IF NOT EXISTS search_case_doc_state ON search_case_doc (state, number)",
    """CREATE INDEX IF NOT EXISTS search_case_doc_subject
        ON search_case_doc (subject_id, state, number)""",
    # The customer lookup: substring and word-prefix LIKE on the folded columns.
    """CREATE INDEX IF NOT EXISTS search_account_name_trgm
        ON casedesk_customers_account USING gin (name_folded gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS search_contact_name_trgm
        ON casedesk_customers_contact USING gin (name_folded gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS search_contact_email_trgm
        ON casedesk_customers_contact USING gin (email_folded gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS search_contact_phone_trgm
        ON casedesk_customers_contact USING gin (phone_digits gin_trgm_ops)""",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_contact_phone_trgm",
    "DROP INDEX IF EXISTS search_contact_email_trgm",
    "DROP INDEX IF EXISTS search_contact_name_trgm",
    "DROP INDEX IF EXISTS search_account_name_trgm",
    "DROP TABLE IF EXISTS search_case_doc",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_CREATE)
    else:
        raise RuntimeError(f"casedesk search does not support {vendor}")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


def backfill(apps, schema_editor):
    """Index the cases and customers that exist already (a database older than this app)."""
    from casedesk.search import rebuild

    rebuild.rebuild_all(connection=schema_editor.connection)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("casedesk_cases", "0001_initial"),
        ("casedesk_customers", "0001_initial"),
    ]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunPython(create, drop),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
