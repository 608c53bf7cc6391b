#!/bin/sh
# A hot standby of $PRIMARY_HOST. The first time (empty data directory) it copies the
# primary with pg_basebackup -R, which writes primary_conninfo and standby.signal, through
# a replication slot named $REPLICA_NAME so the primary keeps the WAL it still needs;
# afterwards it simply starts and streams. The password comes from PGPASSWORD.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  slot="-C"
  until pg_basebackup -D "$PGDATA" -R -X stream $slot -S "$REPLICA_NAME" -c fast \
        -d "host=$PRIMARY_HOST user=pishraft application_name=$REPLICA_NAME"; do
    echo "waiting for the primary $PRIMARY_HOST" >&2
    rm -rf "${PGDATA:?}"/*
    # A slot made by an earlier, interrupted attempt is reused rather than made again.
    if psql -h "$PRIMARY_HOST" -U pishraft -d pishraft -Atc \
         "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$REPLICA_NAME'" 2>/dev/null | grep -q 1; then
      slot=""
    fi
    sleep 2
  done
  chmod 700 "$PGDATA"
fi
# hot_standby_feedback: long reads on the replica are not cancelled by the replay of a vacuum.
exec postgres -c hot_standby=on -c hot_standby_feedback=on
