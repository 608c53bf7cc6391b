#!/bin/sh
# The password from the environment into PgBouncer's user list (never in the image), then run.
set -eu
umask 077
printf '"pishraft" "%s"\n' "${PISHRAFT_DB_PASSWORD:?set PISHRAFT_DB_PASSWORD}" > /tmp/pgbouncer-userlist.txt
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
