"""The Dramatiq broker, chosen by URL: what workers consume and the portal sends on.

``POSTURE_BROKER_URL`` picks it (CONTRACT.md): ``amqp://`` RabbitMQ, ``redis://`` Redis, and
``postgresql://`` or unset the PostgreSQL-backed broker of dramatiq-pg, so the embedded default
needs nothing but the database. Unset means "on the application database": workers log in as the
worker role (and consume), the portal as the web role (and may only send, through a definer
function: :class:`PublishingPostgresBroker`); nobody but the owner reads the queue's table in full
from the web side, and no worker holds owner credentials.

Decisions:
- The caller brings the middleware: workers their stack (``worker.middleware.build_middleware``),
  senders none (a process that only enqueues runs no message hooks).
- dramatiq-pg runs without its results backend (we keep results in our own tables) and gets its
  table from :func:`ensure_broker_schema`, run by ``posture migrate`` (never at worker boot):
  dramatiq-pg's own ``schema.sql`` (through its ``generate_init_sql``) in schema ``dramatiq``, the
  publishing function, and the grants of each role.
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

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dramatiq import Broker, Message, Middleware
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis, dq_name
from dramatiq_pg import PostgresBroker, generate_init_sql
from dramatiq_pg.utils import tidy4json, transaction
from psycopg2.extras import Json
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from config.settings import Settings
from portal.db.engine import make_engine, sqlalchemy_url
from portal.db.roles import DatabaseRoles

__all__ = ["BROKER_SCHEMA", "PublishingPostgresBroker", "broker_from_settings", "broker_kind", "build_broker",
           "ensure_broker_schema", "probe_broker", "require_broker_schema"]

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


def build_broker(url: str | None, database_url: str | URL, *, middleware: list[Middleware] | None = None,
                 publisher: bool = False) -> Broker:
    """The broker for ``url`` (``POSTURE_BROKER_URL``), with our middleware.

    Args:
        url: ``amqp://...``, ``redis://...``, ``postgresql://...``, or None for the PostgreSQL broker on
            the application database.
        database_url: with ``url`` None, where the PostgreSQL broker logs in: the worker role's URL in a
            worker, the web role's in the portal (``config.database``).
        middleware: the stack a worker runs; None for a process that only sends.
        publisher: this process only sends (the portal, the demo's producer): with the PostgreSQL broker,
            messages go through ``dramatiq.posture_enqueue``, so the web role never reads the queue.

    Connections are opened lazily (on first send or consume), not here.
    """
    kind = broker_kind(url)
    middleware = list(middleware or [])
    if kind == "rabbitmq":
        return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    if kind == "redis":
        assert url is not None
        redis_url, options = _split_redis_options(url)
        return RedisBroker(url=redis_url, middleware=middleware, **options)
    target = sqlalchemy_url(url) if url else sqlalchemy_url(database_url)
    cls = PublishingPostgresBroker if publisher else PostgresBroker
    return cls(url=_libpq_url(target), results=False, middleware=middleware)


class PublishingPostgresBroker(PostgresBroker):
    """A PostgreSQL broker that only sends, through ``dramatiq.posture_enqueue`` (a definer function).

    dramatiq-pg's own enqueue is an upsert with ``RETURNING``, which needs SELECT and UPDATE on the
    queue: any process allowed to send could then read every queued message (every MSP's ids) and
    rewrite them. The function inserts a new message and notifies the consumers; nothing more.
    """

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        if delay:
            message = message.copy(queue_name=dq_name(message.queue_name))
            message.options["eta"] = current_millis() + delay
        self.emit_before("enqueue", message, delay)
        with transaction(self.pool) as cursor:
            cursor.execute(f"SELECT {BROKER_SCHEMA}.posture_enqueue(%s, %s, %s)",
                           (message.queue_name, message.message_id, Json(tidy4json(message))))
        self.emit_after("enqueue", message, delay)
        return message


def ensure_broker_schema(owner_url: str, roles: DatabaseRoles) -> None:
    """Create dramatiq-pg's schema and queue table if missing, the publishing function, and the grants.

    The worker role consumes (every right on the queue); the web role may only call
    ``posture_enqueue``. Idempotent and safe to run from several processes at once (an advisory lock
    serialises it). Needs the owner's rights: ``posture migrate`` calls it, never a worker.
    """
    engine = make_engine(owner_url, pool_size=1)
    schema, web, worker, definer = BROKER_SCHEMA, roles.web, roles.worker, roles.definer
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
            present = connection.execute(text("SELECT to_regclass(:t)"), {"t": f"{schema}.queue"}).scalar()
            if present is None:
                connection.exec_driver_sql(generate_init_sql(schema=schema, prefix=""))
            connection.exec_driver_sql(f"""
                CREATE OR REPLACE FUNCTION "{schema}".posture_enqueue(p_queue text, p_message_id uuid, p_message jsonb)
                RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
                SET search_path = pg_catalog, "{schema}", pg_temp AS $$
                BEGIN
                  -- A message the consumers cannot parse would crash them in a loop: accept only Dramatiq's shape.
                  IF jsonb_typeof(p_message) IS DISTINCT FROM 'object'
                     OR p_message->>'message_id' IS DISTINCT FROM p_message_id::text
                     OR p_message->>'queue_name' IS DISTINCT FROM p_queue
                     OR jsonb_typeof(p_message->'actor_name') IS DISTINCT FROM 'string'
                     OR jsonb_typeof(p_message->'args') IS DISTINCT FROM 'array'
                     OR jsonb_typeof(p_message->'kwargs') IS DISTINCT FROM 'object'
                     OR jsonb_typeof(p_message->'options') IS DISTINCT FROM 'object'
                     OR jsonb_typeof(p_message->'message_timestamp') IS DISTINCT FROM 'number' THEN
                    RAISE EXCEPTION 'not a Dramatiq message for queue %%', p_queue USING ERRCODE = 'check_violation';
                  END IF;
                  INSERT INTO "{schema}".queue (queue_name, message_id, "state", message)
                    VALUES (p_queue, p_message_id, 'queued', p_message);
                  PERFORM pg_notify('dramatiq.' || p_queue || '.enqueue',
                    CASE WHEN octet_length(p_message::text) >= 8000
                         THEN jsonb_build_object('message_id', p_message_id)::text ELSE p_message::text END);
                END $$""")
            connection.exec_driver_sql(f'REVOKE ALL ON FUNCTION "{schema}".posture_enqueue(text, uuid, jsonb) '
                                       "FROM PUBLIC")
            connection.exec_driver_sql(f"""
                DO $$ BEGIN
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{worker}') THEN
                    GRANT USAGE ON SCHEMA "{schema}" TO "{worker}";
                    GRANT SELECT, INSERT, UPDATE, DELETE ON "{schema}"."queue" TO "{worker}";
                  END IF;
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{definer}') THEN
                    GRANT USAGE ON SCHEMA "{schema}" TO "{definer}";
                    GRANT INSERT ON "{schema}"."queue" TO "{definer}";
                    BEGIN
                      ALTER FUNCTION "{schema}".posture_enqueue(text, uuid, jsonb) OWNER TO "{definer}";
                    EXCEPTION WHEN insufficient_privilege THEN
                      RAISE NOTICE 'posture_enqueue stays owned by %%', current_user;
                    END;
                  END IF;
                  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{web}') THEN
                    GRANT USAGE ON SCHEMA "{schema}" TO "{web}";
                    GRANT EXECUTE ON FUNCTION "{schema}".posture_enqueue(text, uuid, jsonb) TO "{web}";
                  END IF;
                END $$""")
    finally:
        engine.dispose()


def broker_from_settings(settings: Settings, owner: str | None = None, *, middleware: list[Middleware] | None = None,
                         publisher: bool = False) -> Broker:
    """The broker ``POSTURE_BROKER_URL`` names (unset: PostgreSQL on the database, as the worker role,
    or the web role when ``publisher``; its table must exist: ``posture migrate`` makes it)."""
    from config.database import web_url, worker_url

    url = settings.broker_url.get_secret_value() if settings.broker_url else None
    if broker_kind(url) != "postgresql":
        return build_broker(url, "", middleware=middleware)
    database = url or (web_url(settings, owner) if publisher else worker_url(settings, owner))
    require_broker_schema(database)
    return build_broker(url, database, middleware=middleware, publisher=publisher)


def probe_broker(url: str | None, database_url: str | URL, *, timeout_s: float = 2.0,
                 engine: Engine | None = None) -> None:
    """Check that the broker answers: connect and disconnect (RabbitMQ), PING (Redis), or find the
    queue table (PostgreSQL). For ``/readyz``.

    Raises:
        Exception: whatever the client raised; the caller reports the broker as not ready.
    """
    kind = broker_kind(url)
    if kind == "rabbitmq":
        import pika

        parameters = pika.URLParameters(url)
        parameters.socket_timeout = parameters.blocked_connection_timeout = timeout_s
        parameters.connection_attempts, parameters.retry_delay = 1, 0
        pika.BlockingConnection(parameters).close()
    elif kind == "redis":
        import redis

        redis_url, _ = _split_redis_options(url or "")
        client = redis.Redis.from_url(redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        try:
            client.ping()
        finally:
            client.close()
    elif url is None and engine is not None:
        _require_queue_table(engine)  # the queue is in the caller's database: use its pool
    else:
        require_broker_schema(url or database_url)


def _require_queue_table(engine: Engine) -> None:
    with engine.connect() as connection:
        present = connection.execute(text("SELECT to_regclass(:t)"), {"t": f"{BROKER_SCHEMA}.queue"}).scalar()
    if present is None:
        raise RuntimeError(f"the PostgreSQL broker's table {BROKER_SCHEMA}.queue does not exist: run `posture migrate` "
                           "(workers hold no owner credentials and do not create it)")


def require_broker_schema(database_url: str | URL) -> None:
    """Check that the PostgreSQL broker's queue exists where ``database_url`` logs in.

    Raises:
        RuntimeError: it does not; the message says to run ``posture migrate``.
    """
    engine = make_engine(database_url, pool_size=1)
    try:
        _require_queue_table(engine)
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
