"""Fleet search under row-level security: an estimable scope rule, a severity index, GIN lookups.

- The scope rule asks ``(SELECT posture_scope_customers() IS NULL)`` instead of
  ``(SELECT posture_scope_customers()) IS NULL``: the same value, but the planner estimated the old
  form's ``$param IS NULL OR customer_id = ANY ($param)`` at 1.5 % of rows, so it read every
  customer-owned table as if an MSP admin saw 15 of 1,000 customers and chose nested loops over
  ``customers`` (1,000 probes of the projection per statement). A boolean parameter is estimated at
  50 %, and the plans start from the selective index instead.
- ``ix_latest_results_severity_status``: ``severity = ...`` (and ``status``) compare text with a
  leakproof operator, so the planner may use a btree under the policy.
- ``posture_search_evidence(jsonb)`` and ``posture_search_affected(text[])``: under the policy the
  planner may not use the GIN indexes of migration 0015 for ``@>`` and ``&&``, which are not leakproof
  (the policy must run first), so every evidence or affected search scanned the projection. These
  definer functions run the indexed lookup with no policy in the way (``latest_results_definer``) and
  apply the scope themselves, in SQL, returning keys only; the search joins them back to
  ``latest_results`` by primary key, where the caller's policy still applies.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import context, op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
#: Revision 0002's policy, written out again: migrations never import each other.
OLD_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
            "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
NEW_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers() IS NULL) "
            "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
#: Every policy written with the rule (FOR ALL, USING and WITH CHECK).
SCOPED = ("customers", "memberships", "scans", "check_results", "latest_results", "score_history", "audit_events",
          "api_tokens", "invitations", "onboarding_requests", "risk_acceptances", "finding_changes", "alerts",
          "alert_deliveries")
_LOOKUPS = {
    "posture_search_evidence(p_wanted jsonb)": "l.evidence @> p_wanted",
    "posture_search_affected(p_wanted text[])": "l.affected_keys && p_wanted",
}
_SIGNATURES = ("posture_search_evidence(jsonb)", "posture_search_affected(text[])")


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def _rule(rule: str) -> None:
    for table in SCOPED:
        op.execute(f"ALTER POLICY {table}_scope ON public.{table} USING ({rule}) WITH CHECK ({rule})")


def upgrade() -> None:
    roles = _roles()
    web, definer = roles["web"], roles["definer"]
    _rule(NEW_RULE)
    op.execute("CREATE INDEX ix_latest_results_severity_status ON public.latest_results (msp_id, severity, status)")
    op.execute(f'GRANT SELECT (msp_id, customer_id, check_id, evidence, affected_keys) ON public.latest_results '
               f'TO "{definer}"')
    # The definer's only: the functions below are its only code reading the projection, and they scope.
    op.execute(f'CREATE POLICY latest_results_definer ON public.latest_results FOR SELECT TO "{definer}" USING (true)')
    for signature, condition in _LOOKUPS.items():
        op.execute(f"""
            CREATE FUNCTION public.{signature} RETURNS TABLE (customer_id uuid, check_id varchar)
            LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} ROWS 200 AS $$
              SELECT l.customer_id, l.check_id FROM public.latest_results l
              WHERE {condition} AND l.msp_id = (SELECT public.posture_scope_msp())
                AND ((SELECT public.posture_scope_customers() IS NULL)
                     OR l.customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))
            $$""")
    for function in _SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        op.execute(f"""
            DO $$ BEGIN
              ALTER FUNCTION public.{function} OWNER TO "{definer}";
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'public.{function} stays owned by % (and scans under its policy)', current_user;
            END $$""")
        op.execute(f'GRANT EXECUTE ON FUNCTION public.{function} TO "{web}"')


def downgrade() -> None:
    definer = _roles()["definer"]
    for function in _SIGNATURES:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute("DROP POLICY latest_results_definer ON public.latest_results")
    op.execute(f'REVOKE SELECT (msp_id, customer_id, check_id, evidence, affected_keys) ON public.latest_results '
               f'FROM "{definer}"')
    op.execute("DROP INDEX public.ix_latest_results_severity_status")
    _rule(OLD_RULE)
