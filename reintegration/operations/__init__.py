"""Running the app for years: backups, restores, copies, migrations at start, health and logs."""
