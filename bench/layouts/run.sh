#!/bin/sh
# The layouts the tenth round measured in the sqlite3 shell (docs/PERFORMANCE.md, "Merge speed", tenth round).
# Usage: bench/layouts/run.sh MERGED EMPTY
#   MERGED: a central store into which fieldbook-bench merged its laptops' bundles (its work
#           folder's central.sqlite, kept with --dir), read for the rows;
#   EMPTY:  a store made by `fieldbook init --db EMPTY --device 市巡察办 --central`, copied for
#           today's layout (the others make their own tables in an empty file).
# Each script copies the rows into memory first (untimed), then times one transaction with the
# store's journal and sync settings; the timed statements' "Run Time" lines are summed.
set -eu
merged=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
# Today's visits' tally index is split at a row number (TallyIndexes.swift): at the last visit, as
# the merge built it.
split=$(sqlite3 "$merged" "SELECT ifnull(max(rowid), 0) FROM visit")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for layout in today integer-keys without-rowid plain; do
  rm -f "$work"/x.sqlite*
  if [ "$layout" = today ]; then cp "$2" "$work/x.sqlite"; fi
  sync
  total=$(sed -e "/^-- the staged rows$/r $here/sketch-rows.sql" -e "s#SOURCE#$merged#" -e "s#SPLIT#$split#" "$here/$layout.sql" \
    | sqlite3 "$work/x.sqlite" 2>&1 \
    | awk '/^Run Time/ { s += $4 } END { printf "%.2f", s }')
  size=$(stat -c %s "$work/x.sqlite")
  echo "$layout: $total s timed, $((size / 1048576)) MB"
done
