"""The Dramatiq broker, chosen by URL, with one middleware stack for every process.

``POSTURE_BROKER_URL`` picks it (CONTRACT.md): ``amqp://`` RabbitMQ, ``redis://`` Redis, and
``postgresql://`` or unset the PostgreSQL-backed broker of dramatiq-pg, so the embedded default
needs nothing but the database. Unset means "on the application database, as the application role"
(``posture_app``, the role workers log in with), so a worker holds no owner credentials for it.

Decisions:
- Middleware is built here, once: ``LogContext`` first (bound before anything logs, cleared last),
  ``AgeLimit``, ``TimeLimit``, ``ShutdownNotifications``, ``Callbacks``, ``DeadLetters`` and
  ``Retries`` last, so that ``DeadLetters.after_*`` runs after ``Retries`` has decided whether the
  message failed for good (``after_*`` hooks run in reverse order). No ``Prometheus`` (it opens an
  HTTP port per process; metrics come later) and no ``Pipelines`` (unused).
- dramatiq-pg runs without its results backend (we keep results in our own tables) and gets its
  table from :func:`ensure_broker_schema`: dramatiq-pg's own ``schema.sql`` (through its
  ``generate_init_sql``) in schema ``dramatiq``, plus grants so ``posture_app`` can use it.
  Query parameters of a ``postgresql://`` URL go to libpq, except dramatiq-pg's ``maxconn`` (pool
  size; default here 32: each consumed queue holds two connections, and acks borrow more).
- RabbitMQ publishes with confirmations (``confirm_delivery``): a message the broker did not take is
  an error at ``send``, not a silent loss.
- Redis takes three optional query parameters of ours, removed before the URL reaches redis-py:
  ``namespace`` (key prefix; default ``dramatiq``), ``heartbeat_timeout_ms`` (how long a silent
  worker is presumed alive before its unacknowledged messages are given to others; default 60 s)
  and ``maintenance_chance`` (per million commands; how often that recovery runs). Tests shorten
  the last two so a killed worker's message comes back quickly.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dramatiq import Broker, Middleware
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, Callbacks, Retries, ShutdownNotifications, TimeLimit
from dramatiq_pg import PostgresBroker, generate_init_sql
from sqlalchemy import text
from sqlalchemy.engine import URL

from portal.db.engine import APP_ROLE, app_url, make_engine, sqlalchemy_url
from worker.middleware import MIN_BACKOFF_MS, DeadLetters, LogContext

__all__ = ["BROKER_SCHEMA", "broker_kind", "build_broker", "build_middleware", "ensure_broker_schema"]

#: Schema of dramatiq-pg's queue table.
BROKER_SCHEMA = "dramatiq"
#: Connections in a PostgreSQL broker's pool unless the URL says ``maxconn``.
_PG_MAXCONN = 32
#: Serialises concurrent ``ensure_broker_schema`` calls (N worker processes booting at once).
_SCHEMA_LOCK_KEY = 0x706F7374757265  # "posture"
_REDIS_OPTIONS = {"namespace": str, "heartbeat_timeout_ms": int, "maintenance_chance": int}


def broker_kind(url: str | None) -> str:
    """``rabbitmq``, ``redis`` or ``postgresql`` for a broker URL (unset: ``postgresql``).

    Raises:
        ValueError: a scheme we do not support.
    """
    if not url:
        return "postgresql"
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("amqp", "amqps"):
        return "rabbitmq"
    if scheme in ("redis", "rediss", "unix"):
        return "redis"
    if scheme.split("+", 1)[0] in ("postgresql", "postgres"):
        return "postgresql"
    raise ValueError(f"unsupported broker URL scheme {scheme!r}: use amqp://, redis:// or postgresql:// "
                     "(or leave POSTURE_BROKER_URL unset for the PostgreSQL broker on the database)")


def build_middleware() -> list[Middleware]:
    """The middleware stack, in order (see the module docstring for why this order)."""
    return [
        LogContext(),
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        DeadLetters(),
        Retries(min_backoff=MIN_BACKOFF_MS),
    ]


def build_broker(
    url: str | None, owner_url: str, *, app_database_url: str | None = None, app_password: str | None = None,
) -> Broker:
    """The broker for ``url`` (``POSTURE_BROKER_URL``), with our middleware.

    Args:
        url: ``amqp://...``, ``redis://...``, ``postgresql://...``, or None for the PostgreSQL broker on
            the application database.
        owner_url: the database owner's URL (``POSTURE_DATABASE_URL`` or the embedded cluster); with
            ``url`` None the broker logs in to that database as the application role.
        app_database_url, app_password: how the application role logs in (``portal.db.engine.app_url``).

    Connections are opened lazily (on first send or consume), not here.
    """
    kind = broker_kind(url)
    middleware = build_middleware()
    if kind == "rabbitmq":
        return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    if kind == "redis":
        assert url is not None
        redis_url, options = _split_redis_options(url)
        return RedisBroker(url=redis_url, middleware=middleware, **options)
    target = sqlalchemy_url(url) if url else app_url(owner_url, explicit=app_database_url, password=app_password)
    return PostgresBroker(url=_libpq_url(target), results=False, middleware=middleware)


def ensure_broker_schema(owner_url: str) -> None:
    """Create dramatiq-pg's schema and queue table if missing, and let ``posture_app`` use them.

    Idempotent and safe to run from several processes at once (an advisory lock serialises it).
    Needs the owner's rights: ``posture migrate`` and worker boot call it for the PostgreSQL broker.
    """
    engine = make_engine(owner_url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
            present = connection.execute(text("SELECT to_regclass(:t)"), {"t": f"{BROKER_SCHEMA}.queue"}).scalar()
            if present is None:
                connection.exec_driver_sql(generate_init_sql(schema=BROKER_SCHEMA, prefix=""))
            # The role exists once the migrations ran; before that there is nobody to grant to.
            connection.exec_driver_sql(f"""
                DO $$ BEGIN
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    GRANT USAGE ON SCHEMA "{BROKER_SCHEMA}" TO {APP_ROLE};
                    GRANT SELECT, INSERT, UPDATE, DELETE ON "{BROKER_SCHEMA}"."queue" TO {APP_ROLE};
                  END IF;
                END $$""")
    finally:
        engine.dispose()


def _libpq_url(url: URL) -> str:
    """A plain ``postgresql://`` URL for psycopg2 (no SQLAlchemy driver suffix), with a pool size."""
    query = dict(url.query)
    query.setdefault("maxconn", str(_PG_MAXCONN))
    query.setdefault("application_name", "posture-broker")
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


def _split_redis_options(url: str) -> tuple[str, dict[str, object]]:
    parts = urlsplit(url)
    options: dict[str, object] = {}
    rest = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _REDIS_OPTIONS:
            name = "heartbeat_timeout" if key == "heartbeat_timeout_ms" else key
            options[name] = _REDIS_OPTIONS[key](value)
        else:
            rest.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(rest))), options
