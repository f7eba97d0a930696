#!/bin/sh
# Make the populated database of one released schema, with that release's own code:
#   tests/migrations/make_fixture.sh COMMIT [FOLDER]
# writes FOLDER/schema-<revision>.db.gz (revision: the release's head; FOLDER:
# tests/migrations/fixtures).
# Run it once per release from the repository's root, with the project's venv installed
# (.venv); commit the file it writes. It fills the database with the release's demo, runs
# the reminder pass where the release has one, then fill_fixture.py.
set -eu
commit=$1
root=$(git rev-parse --show-toplevel)
folder=$(realpath "${2:-$root/tests/migrations/fixtures}")
tree=/tmp/rel-$commit
instance=/tmp/inst-$commit
rm -rf "$instance"
git worktree add --detach "$tree" "$commit" >/dev/null
trap 'git -C "$root" worktree remove --force "$tree"; rm -rf "$instance"' EXIT
cd "$tree"
export REINTEGRATION_ENV=development REINTEGRATION_INSTANCE="$instance" PYTHONPATH="$tree"
where=$("$root/.venv/bin/python" -c 'import reintegration; print(reintegration.__file__)')
case $where in "$tree"/*) ;; *) echo "release code not in use: $where" >&2; exit 1 ;; esac
"$root/.venv/bin/flask" --app wsgi demo
if "$root/.venv/bin/flask" --app wsgi reminders --help >/dev/null 2>&1; then
    "$root/.venv/bin/flask" --app wsgi reminders run
fi
# What the demo leaves empty, with the release's own services (fill_fixture.py says what).
"$root/.venv/bin/python" "$root/tests/migrations/fill_fixture.py"
database=$(ls "$instance"/*.db)
revision=$("$root/.venv/bin/python" - "$database" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.execute("PRAGMA journal_mode=DELETE")
db.execute("VACUUM")
print(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])
db.close()
PY
)
gzip -9 -n -c "$database" >"$folder/schema-$revision.db.gz"
echo "$folder/schema-$revision.db.gz from $commit"
