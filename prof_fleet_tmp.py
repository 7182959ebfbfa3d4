import time, datetime as dt, statistics, logging
from bench.portal import _seed, MSP_ID
from config import database as runtime
from config.settings import load_settings
from portal.db import migrate
from portal.db.engine import make_engine, role_url
from portal.db.roles import DatabaseRoles
from portal.db.scope import Scope
from portal.db.scratch import scratch_database
from portal.db.uow import unit_of_work
from portal.services.fleet import fleet_summary, with_trends
from portal.services.fleet.view import fleet_view
from portal.web.fleet.query import fleet_query
from sqlalchemy import text
settings = load_settings()
with scratch_database(runtime.owner_url(settings), "posture_prof") as owner:
    admin, customer = _seed(owner, 1000)
    key = migrate.read_scope_key(owner)
    engine = make_engine(role_url(owner, DatabaseRoles().web), scope_key=key)
    scope = Scope(msp_id=MSP_ID, actor="bench@msp.test", user_id=admin)
    now = dt.datetime.now(dt.UTC)
    def t(f, n=30):
        ts=[]
        for _ in range(n):
            s=time.perf_counter(); f(); ts.append((time.perf_counter()-s)*1000)
        return f"median {statistics.median(ts):.1f} ms"
    import portal.services.fleet.queries as q
    from sqlalchemy.dialects import postgresql
    rows=[]
    def raw():
        with unit_of_work(engine, scope) as uow:
            rows[:] = list(uow.session.connection().exec_driver_sql("SELECT id FROM customers"))
    def plain():
        with unit_of_work(engine, scope) as uow:
            list(uow.session.connection().exec_driver_sql("SELECT * FROM customers"))
    print("select id", t(raw)); print("select *", t(plain))
    with unit_of_work(engine, scope) as uow:
        rows_ = fleet_summary(uow, today=now.date())
    print("view only", t(lambda: fleet_view(rows_, fleet_query({}), now)))
    view = fleet_view(rows_, fleet_query({}), now)
    def trends():
        with unit_of_work(engine, scope) as uow: with_trends(uow, view.rows, today=now.date())
    print("trends", t(trends))
    conn_rows=[]
    def summary_sql():
        with unit_of_work(engine, scope) as uow:
            conn_rows[:] = list(uow.session.connection().execute(q.select(q.Customer.__table__)))
    print("core select customers", t(summary_sql))
    def summary():
        with unit_of_work(engine, scope) as uow: fleet_summary(uow, today=now.date())
    print("summary", t(summary))
    import cProfile, pstats
    pr=cProfile.Profile(); pr.enable()
    for _ in range(10): summary()
    pr.disable(); pstats.Stats(pr).sort_stats("tottime").print_stats(15)
    with unit_of_work(engine, scope) as uow:
        for line in uow.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) SELECT c.id, (SELECT s.score FROM score_history s WHERE s.customer_id = c.id AND s.day <= current_date - 7 AND s.score IS NOT NULL ORDER BY s.day DESC LIMIT 1) FROM customers c ORDER BY c.name"):
            print(line[0])
    engine.dispose()
