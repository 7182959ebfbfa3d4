"""Tests of portal/: the embedded cluster, migrations, row-level security isolation, services."""
