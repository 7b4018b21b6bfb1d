"""The single-column indexes of seven case keys go: a composite or partial index leading with
the same column serves their lookups (case_account_idx, case_contact_idx, case_subject_idx,
case_owner_user_idx, case_owner_team_idx, case_children_idx, case_merged_cases_idx).

Plain DROP INDEX on the database: Django's field alteration would rebuild the whole case
table on SQLite to change an index.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casedesk_cases', '0003_owner_indexes_with_id'),
        ('casedesk_catalog', '0001_initial'),
        ('casedesk_customers', '0001_initial'),
        ('casedesk_directory', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='customer_account',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='casedesk_customers.account'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='customer_contact',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases_as_customer', to='casedesk_customers.contact'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='merged_into',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_cases', to='casedesk_cases.case'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='owner_team',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_cases', to='casedesk_directory.team'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='owner_user',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_cases', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='parent',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='casedesk_cases.case'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='subject',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='casedesk_catalog.subject'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "casedesk_cases_case_customer_account_id_a41fb17d"',
                    'CREATE INDEX IF NOT EXISTS "casedesk_cases_case_customer_account_id_a41fb17d" ON "casedesk_cases_case" ("customer_account_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "casedesk_cases_case_customer_contact_id_8b3f58b4"',
                    'CREATE INDEX IF NOT EXISTS "casedesk_cases_case_customer_contact_id_8b3f58b4" ON "casedesk_cases_case" ("customer_contact_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "casedesk_cases_case_subject_id_12367462"',
                    'CREATE INDEX IF NOT EXISTS "casedesk_cases_case_subject_id_12367462" ON "casedesk_cases_case" ("subject_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "casedesk_cases_case_owner_user_id_ddd6ad4a"',
                    'CREATE INDEX IF NOT EXISTS "casedesk_cases_case_owner_user_id_ddd6ad4a" ON "casedesk_cases_case" ("owner_user_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "casedesk_cases_case_owner_team_id_6ebed845"',
                    'CREATE INDEX IF NOT EXISTS "casedesk_cases_case_owner_team_id_6ebed845" ON "casedesk_cases_case" ("owner_team_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "casedesk_cases_case_parent_id_cc6e7c25"',
                    'CREATE INDEX IF NOT EXISTS "casedesk_cases_case_parent_id_cc6e7c25" ON "casedesk_cases_case" ("parent_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "casedesk_cases_case_merged_into_id_1b4d5cbf"',
                    'CREATE INDEX IF NOT EXISTS "casedesk_cases_case_merged_into_id_1b4d5cbf" ON "casedesk_cases_case" ("merged_into_id")',
                ),
            ],
        ),
    ]
