"""The production topology in docker/compose.yml holds together: primary, a streaming
replica, PgBouncer in transaction mode in front of both, two app replicas, nginx.

No Docker engine runs here, so the file is checked by its structure (and by
``docker compose config`` where the compose plugin is installed).
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import REPO

DOCKER = REPO / "docker"
COMPOSE = DOCKER / "compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document


@pytest.fixture(scope="module")
def bouncer() -> configparser.ConfigParser:
    ini = configparser.ConfigParser(inline_comment_prefixes=None, comment_prefixes=(";", "#"), interpolation=None)
    ini.read(DOCKER / "pgbouncer" / "pgbouncer.ini")
    return ini


def test_the_topology_is_primary_replica_pgbouncer_two_apps_and_nginx(compose: dict[str, Any]) -> None:
    services = compose["services"]
    # ... and the Dask cluster of overlays past one machine (README, "Scale").
    assert set(services) == {"db", "db-replica", "pgbouncer", "app", "nginx",
                             "dask-scheduler", "dask-worker-1", "dask-worker-2"}
    assert services["app"]["deploy"]["replicas"] == 2
    assert services["nginx"]["ports"] == ["8080:8080"]
    assert services["dask-scheduler"]["ports"] == ["8787:8787"]  # the Dask dashboard
    assert all("ports" not in s for name, s in services.items() if name not in ("nginx", "dask-scheduler"))


def test_every_dependency_names_a_service_and_every_file_it_mounts_or_builds_exists(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for needed, condition in (service.get("depends_on") or {}).items():
            assert needed in services, f"{name} depends on unknown service {needed}"
            assert condition["condition"] in {"service_healthy", "service_started"}
            if condition["condition"] == "service_healthy":  # the check is in compose or in the image
                assert "healthcheck" in services[needed] or "HEALTHCHECK" in _dockerfile(services[needed])
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"], f"{name} uses undeclared volume {source}"
        assert "build" not in service or _dockerfile(service)


def _dockerfile(service: dict[str, Any]) -> str:
    build = service.get("build")
    return (DOCKER / build["context"] / build.get("dockerfile", "Dockerfile")).read_text() if build else ""


def test_the_replica_is_a_streaming_standby_of_the_primary_through_its_own_slot(compose: dict[str, Any]) -> None:
    replica = compose["services"]["db-replica"]
    assert replica["image"] == compose["services"]["db"]["image"]
    assert replica["environment"]["PRIMARY_HOST"] == "db"
    script = (DOCKER / "replication" / "standby.sh").read_text()
    assert "pg_basebackup" in script and " -R " in script and '-S "$REPLICA_NAME"' in script
    assert "replication" in (DOCKER / "replication" / "primary-init.sh").read_text()
    assert replica["volumes"][0].startswith("replicadata:")


def test_the_apps_reach_both_servers_only_through_pgbouncer_in_transaction_mode(
        compose: dict[str, Any], bouncer: configparser.ConfigParser) -> None:
    env = compose["services"]["app"]["environment"]
    assert bouncer["pgbouncer"]["pool_mode"] == "transaction"
    port = bouncer["pgbouncer"]["listen_port"]
    databases = {name: dict(part.split("=", 1) for part in line.split(" ") if "=" in part and "'" not in part)
                 for name, line in bouncer["databases"].items()}
    write, [read] = urlsplit(env["DATABASE_URL"]), [urlsplit(u) for u in env["DATABASE_READ_URLS"].split(",")]
    for url in (write, read):
        assert (url.hostname, str(url.port)) == ("pgbouncer", port)
    assert databases[write.path.strip("/")]["host"] == "db"
    assert databases[read.path.strip("/")]["host"] == "db-replica"
    # What transaction pooling needs of Pishraft: no prepared statements, no startup options.
    assert env["PISHRAFT_PREPARED_STATEMENTS"] == "false"
    assert "options" in bouncer["pgbouncer"]["ignore_startup_parameters"]
    assert "apt-get install" in (DOCKER / "pgbouncer" / "Dockerfile").read_text()


@pytest.mark.skipif(subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0
                    if shutil.which("docker") else True, reason="the docker compose plugin is not installed")
def test_docker_compose_accepts_the_file() -> None:
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True,
                            text=True, check=False, env={"PISHRAFT_DB_PASSWORD": "x", "PISHRAFT_SECRET_KEY": "y",
                                                         "PATH": "/usr/bin:/usr/local/bin:/bin"})
    assert result.returncode == 0, result.stderr


def test_the_readme_shows_the_topology_and_how_to_add_a_replica() -> None:
    readme = (REPO / "README.md").read_text()
    assert "PgBouncer" in readme and "db-replica" in readme and "DATABASE_READ_URLS" in readme
    assert "db-replica2" in readme and "db-replica2" in COMPOSE.read_text()  # how to add one
