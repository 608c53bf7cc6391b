"""Money of financing lines: amounts committed and disbursed, each on a day; and the plans
generation, a counter bumped whenever plans or their progress change (the monitoring centre
caches its numbers under it)

Revision ID: 0018_monitor_money
Revises: 0015_dask_jobs
Create Date: 2026-12-07 11:55:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0018_monitor_money"
down_revision = "0022_roadmap_sources"
branch_labels = None
depends_on = None

#: What the monitoring centre's numbers are computed from (units and indices are in data_generation).
PLANS_TABLES = ("roadmap", "action", "key_result", "measurement", "financing", "disbursement", "person",
                "organisation", "progress_core", "composite_index", "index_score")


def upgrade() -> None:
    op.create_table(
        "disbursement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("financing_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("amount_rials", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("kind in ('committed', 'disbursed')", name=op.f("ck_disbursement_kind_known")),
        sa.CheckConstraint("amount_rials > 0", name=op.f("ck_disbursement_amount_positive")),
        sa.ForeignKeyConstraint(["financing_id"], ["financing.id"], name=op.f("fk_disbursement_financing_id_financing"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement")),
    )
    op.create_index("ix_disbursement_financing_id", "disbursement", ["financing_id"])
    # Like data_generation (0005_partner), for what the monitoring centre reads: numbers from a
    # sequence, so that a number always names one committed state.
    op.execute("CREATE SEQUENCE pishraft_plans_generation")
    op.execute("INSERT INTO pishraft_meta (key, value) VALUES ('plans_generation', "
               "to_jsonb(nextval('pishraft_plans_generation'))) ON CONFLICT (key) DO NOTHING")
    # Bumped once per transaction, at its commit (a deferred constraint trigger): by then the
    # transaction holds every row lock it will take, so waiting for the counter's row cannot
    # close a circle with another writer (a statement trigger would take the counter's lock
    # mid-transaction, and two writers taking rows in different orders could deadlock).
    op.execute("""
        CREATE FUNCTION pishraft_bump_plans_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('pishraft.plans_bumped', true) IS DISTINCT FROM 'yes' THEN
                UPDATE pishraft_meta SET value = to_jsonb(nextval('pishraft_plans_generation'))
                WHERE key = 'plans_generation';
                PERFORM set_config('pishraft.plans_bumped', 'yes', true);
            END IF;
            RETURN NULL;
        END $$
    """)
    # Until then the writing transaction itself knows its plans changed (a setting of its own,
    # no lock): what it reads is not kept under the number others see.
    op.execute("""
        CREATE FUNCTION pishraft_plans_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM set_config('pishraft.plans_changed', 'yes', true);
            RETURN NULL;
        END $$
    """)
    for table in PLANS_TABLES:
        op.execute(f"""CREATE CONSTRAINT TRIGGER {table}_bump_plans_generation
                       AFTER INSERT OR UPDATE OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED
                       FOR EACH ROW EXECUTE FUNCTION pishraft_bump_plans_generation()""")
        op.execute(f"""CREATE TRIGGER {table}_plans_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION pishraft_plans_changed()""")


def downgrade() -> None:
    for table in PLANS_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_plans_generation ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_plans_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS pishraft_bump_plans_generation()")
    op.execute("DROP FUNCTION IF EXISTS pishraft_plans_changed()")
    op.execute("DELETE FROM pishraft_meta WHERE key = 'plans_generation'")
    op.execute("DROP SEQUENCE IF EXISTS pishraft_plans_generation")
    op.drop_index("ix_disbursement_financing_id", table_name="disbursement")
    op.drop_table("disbursement")
