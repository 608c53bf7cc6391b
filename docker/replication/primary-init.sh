#!/bin/sh
# Run once by the postgis image's entrypoint at initdb: lets the replica service copy and
# follow this primary over the compose network (password-checked, as every other login).
set -eu
echo "host replication pishraft all scram-sha-256" >> "$PGDATA/pg_hba.conf"
