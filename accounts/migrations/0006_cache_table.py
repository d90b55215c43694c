"""The database cache's table (CACHES in config/settings.py), so that `migrate` alone makes it.

The cache keeps the verify page's rate-limit counts. Django creates a database cache's table only
with `createcachetable`, a step a deployment could forget: this runs it as part of `migrate`.
It does nothing for a cache that is not the database's, or whose table exists already.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_agency_unique_name"),
    ]

    operations = [
        # Undone, the table stays: it holds only expiring counts and belongs to the cache.
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
