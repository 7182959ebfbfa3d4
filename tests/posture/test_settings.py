import pytest

from config.settings import load_settings


def test_contract_names_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("POSTURE_GRAPH_URL", "https://graph.microsoft.us")
    monkeypatch.setenv("POSTURE_CLIENT_SECRET", "s3cret")
    settings = load_settings()
    assert settings.graph_url == "https://graph.microsoft.us"
    assert settings.client_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_secrets_can_come_from_files_and_the_environment_wins(monkeypatch, tmp_path):
    (tmp_path / "posture_client_secret").write_text("from-file")
    (tmp_path / "posture_worker_database_password").write_text("db-pass")
    monkeypatch.delenv("POSTURE_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("POSTURE_WORKER_DATABASE_PASSWORD", raising=False)
    monkeypatch.setenv("POSTURE_SECRETS_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.client_secret.get_secret_value() == "from-file"
    assert settings.worker_database_password.get_secret_value() == "db-pass"
    monkeypatch.setenv("POSTURE_CLIENT_SECRET", "from-env")
    assert load_settings().client_secret.get_secret_value() == "from-env"


def test_urls_that_may_carry_passwords_never_print(monkeypatch):
    monkeypatch.setenv("POSTURE_DATABASE_URL", "postgresql://owner:owner-pass@db.internal/posture")
    monkeypatch.setenv("POSTURE_WORKER_DATABASE_URL", "postgresql://w:worker-pass@db.internal/posture")
    monkeypatch.setenv("POSTURE_BROKER_URL", "amqp://mq:broker-pass@mq.internal/")
    monkeypatch.setenv("POSTURE_SCOPE_KEY", "k" * 40)
    settings = load_settings()
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for secret in ("owner-pass", "worker-pass", "broker-pass", "k" * 40):
        assert secret not in shown
    assert settings.database_url.get_secret_value().endswith("@db.internal/posture")


def test_the_dns_resolver_is_read_and_a_bad_one_refused_at_start(monkeypatch):
    monkeypatch.setenv("POSTURE_DNS_RESOLVER", "10.0.0.53, [::1]:5353")
    assert load_settings().dns_resolver == "10.0.0.53, [::1]:5353"
    monkeypatch.setenv("POSTURE_DNS_RESOLVER", "10.0.0.53:99999")
    with pytest.raises(ValueError, match="port"):
        load_settings()


def test_a_worker_pool_holds_two_connections_per_thread(monkeypatch, owner_url):
    # A scan holds its claim's connection and a transaction's; a smaller pool makes threads wait on each other.
    from config.database import worker_engine

    monkeypatch.setenv("POSTURE_DATABASE_URL", owner_url)
    monkeypatch.setenv("POSTURE_WORKER_THREADS", "12")
    engine = worker_engine(load_settings(), owner_url)
    try:
        assert engine.pool.size() + engine.pool._max_overflow >= 2 * 12
    finally:
        engine.dispose()
