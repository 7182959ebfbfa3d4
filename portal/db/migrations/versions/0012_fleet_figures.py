"""The fleet page's figures kept on the customer row: open critical, open high and newly failing
checks, the last finished scan and the last scored one (and an index for the score a week ago).

The fleet page shows them for every customer; reading them from ``latest_results`` and ``scans`` on
each view cost a sort of every failing row of the MSP and three index probes per customer (about
200 ms at a thousand customers, bench/portal.py). The worker writes them in the transaction that
finishes a scan, so they never disagree with what they summarise, and an older scan finishing late
never moves them back; only the worker role may write them.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import context, op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_COUNTS = ("open_critical", "open_high", "new_failing")
_LAST = ("last_scan_at", "last_scan_status", "score", "grade", "coverage", "scored_at")
_COLUMNS = (*_COUNTS, *_LAST)


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    op.execute("ALTER TABLE public.customers " + ", ".join(
        f"ADD COLUMN {column} integer NOT NULL DEFAULT 0" for column in _COUNTS))
    op.execute("ALTER TABLE public.customers ADD COLUMN last_scan_at timestamptz, "
               "ADD COLUMN last_scan_status public.scan_status, ADD COLUMN score double precision, "
               "ADD COLUMN grade varchar(2), ADD COLUMN coverage double precision, ADD COLUMN scored_at timestamptz")
    # Row-level security is forced on customers, for the owner too: a superuser (posture migrate's usual
    # owner) fills the counts in; any other owner leaves them at 0 until each customer's next scan.
    op.execute("""
        UPDATE public.customers c SET
          open_critical = f.critical, open_high = f.high, new_failing = f.new
        FROM (SELECT customer_id,
                     count(*) FILTER (WHERE severity = 'critical') AS critical,
                     count(*) FILTER (WHERE severity = 'high') AS high,
                     count(*) FILTER (WHERE status_since = last_seen_at AND first_seen_at < last_seen_at) AS new
              FROM public.latest_results WHERE status = 'fail' GROUP BY customer_id) f
        WHERE f.customer_id = c.id""")
    op.execute("""
        UPDATE public.customers c SET last_scan_at = s.finished_at, last_scan_status = s.status
        FROM (SELECT DISTINCT ON (customer_id) customer_id, finished_at, status FROM public.scans
              WHERE finished_at IS NOT NULL ORDER BY customer_id, finished_at DESC) s
        WHERE s.customer_id = c.id""")
    op.execute("""
        UPDATE public.customers c SET score = s.score, grade = s.grade, coverage = s.coverage, scored_at = s.finished_at
        FROM (SELECT DISTINCT ON (customer_id) customer_id, finished_at, score, grade, coverage FROM public.scans
              WHERE status IN ('completed', 'partial') ORDER BY customer_id, finished_at DESC) s
        WHERE s.customer_id = c.id""")
    op.execute(f'GRANT UPDATE ({", ".join(_COLUMNS)}) ON public.customers TO "{roles["worker"]}"')
    # The score a week ago, per customer: one probe of this index (the policy's msp_id leads it).
    op.execute("CREATE INDEX ix_score_history_scored ON public.score_history (msp_id, customer_id, day DESC) "
               "WHERE score IS NOT NULL")


def downgrade() -> None:
    roles = _roles()
    op.execute("DROP INDEX public.ix_score_history_scored")
    op.execute(f'REVOKE UPDATE ({", ".join(_COLUMNS)}) ON public.customers FROM "{roles["worker"]}"')
    op.execute("ALTER TABLE public.customers " + ", ".join(f"DROP COLUMN {column}" for column in _COLUMNS))
