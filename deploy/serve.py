"""Serve gruviz to a class: N `streamlit run app.py` processes on loopback ports behind
Debian's nginx, with sticky sessions by a cookie nginx sets.

    .venv/bin/python deploy/serve.py [--processes 2] [--listen 0.0.0.0:8501] [--run-dir DIR] [--postgres]

(`make serve PROCESSES=4 PORT=8080` runs this.) Everything lives in a run directory:
the nginx config written from deploy/nginx.conf.template, its pid file, temp files and
logs, and one log per Streamlit process. Nothing under /etc is touched. A process that
dies is started again on its port; its students' pages reconnect to another process
meanwhile and rebuild their example from the link. Ctrl-C or SIGTERM stops nginx, then
every Streamlit process (SIGKILL for one that does not stop within 10 s).

Classes live in the database GRUVIZ_DATABASE_URL names, passed to every process; unset,
they share a SQLite file (GRUVIZ_DATA_DIR). --postgres starts a local PostgreSQL server
for them instead (deploy/local_postgres.py, in RUN_DIR/postgres: kept with --run-dir).
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

try:
    from deploy import local_postgres
except ModuleNotFoundError:  # run as a script: deploy/ is on the path, the repo is not
    import local_postgres

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
FAILOVER = Path(__file__).with_name("streamlit_failover.py")  # `streamlit run` answering a moved page
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
RESTART_PAUSE_S = 5  # a process that keeps dying is restarted at most this often
# A process alive but silent (stuck in native code) holds its students hostage: nginx only
# notices refused connections. Killed after this many health checks in a row go unanswered,
# ~30 s: a process that is merely busy answers /_stcore/health from its event loop.
HEALTH_EVERY_S = 5
HEALTH_TIMEOUT_S = 3
HEALTH_FAILURES = 6
STARTUP_GRACE_S = 60  # a process starting on a busy machine is not yet silent
STOP_GRACE_S = 10


class ServeError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def find_nginx() -> str:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise ServeError("nginx is not installed: `make serve` installs it (apt-get install nginx)")


def upload_limit_mb() -> int:
    """The app's own upload cap, so nginx never refuses a file Streamlit would accept."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    return int(config.get("server", {}).get("maxUploadSize", 200))  # 200: Streamlit's default


def nginx_config(run_dir: Path, listen: str, backend_ports: list[int]) -> str:
    upload_mb = upload_limit_mb()
    worker_user = ""
    if os.geteuid() == 0:  # nginx's workers drop root; name a user that exists
        worker_user = f"user {_worker_user()};"
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                        for port in backend_ports)
    fields = {"USER_LINE": worker_user, "RUN_DIR": str(run_dir), "LISTEN": listen,
              "UPSTREAM_SERVERS": servers, "UPLOAD_MB": str(upload_mb), "BODY_MB": str(upload_mb + 1)}
    text = TEMPLATE.read_text()
    for name, value in fields.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _worker_user() -> str:
    for name in ("www-data", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return "root"


def answers_health(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as answer:
            return answer.read().decode().strip() == "ok"
    except OSError:
        return False


def wait_healthy(url: str, proc: subprocess.Popen, what: str, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise ServeError(f"{what} exited with code {proc.returncode}; see {log}")
        if answers_health(url, timeout=2):
            return
        if time.monotonic() > deadline:
            raise ServeError(f"{what} did not answer {url}/_stcore/health within {timeout:.0f} s; see {log}")
        time.sleep(0.2)


def stop_process(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()  # a process stuck in native code may ignore SIGTERM
        proc.wait()


@dataclass
class Backend:
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    checked_at: float = 0.0
    silent_checks: int = 0  # health checks in a row without an answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Serving:
    """The running layout: nginx at `url`, Streamlit processes at `backends`."""

    run_dir: Path
    listen: str
    backends: list[Backend]
    env: dict[str, str]
    nginx: subprocess.Popen | None = None
    database: local_postgres.LocalPostgres | None = None  # --postgres: the server the processes share
    owns_run_dir: bool = False
    notes: list[str] = field(default_factory=list)
    health_every_s: float = HEALTH_EVERY_S
    health_timeout_s: float = HEALTH_TIMEOUT_S
    health_failures: int = HEALTH_FAILURES
    startup_grace_s: float = STARTUP_GRACE_S

    @property
    def url(self) -> str:
        host, _, port = self.listen.rpartition(":")
        host = "127.0.0.1" if host in ("", "0.0.0.0", "*") else host.strip("[]")
        return f"http://{host}:{port}"

    @property
    def access_log(self) -> Path:
        return self.run_dir / "access.log"

    def start_backend(self, backend: Backend) -> None:
        # Own session: Ctrl-C reaches the launcher only, which then stops the children in order.
        with open(backend.log, "a") as log:
            backend.proc = subprocess.Popen(
                [sys.executable, str(FAILOVER), "run", "app.py", "--server.address", "127.0.0.1",
                 "--server.port", str(backend.port), "--server.headless", "true"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        backend.started_at = backend.checked_at = time.monotonic()
        backend.silent_checks = 0

    def start_nginx(self) -> None:
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # workers run as an unprivileged user and buffer uploads here
            user = pwd.getpwnam(_worker_user())
            self.run_dir.chmod(0o711)
            for path in [self.run_dir / "tmp", *(self.run_dir / "tmp").iterdir()]:
                os.chown(path, user.pw_uid, user.pw_gid)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(nginx_config(self.run_dir, self.listen, [b.port for b in self.backends]))
        nginx = find_nginx()
        args = [nginx, "-p", str(self.run_dir), "-c", str(conf), "-e", str(self.run_dir / "error.log")]
        check = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise ServeError(f"nginx refused {conf}: {check.stderr.strip()}")
        with open(self.run_dir / "nginx.out", "a") as out:
            self.nginx = subprocess.Popen([*args, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=out,
                                          start_new_session=True)

    def supervise_once(self) -> None:
        """Start again any Streamlit process that died (not more often than RESTART_PAUSE_S), and
        kill and start again one that stopped answering its health check."""
        for backend in self.backends:
            now = time.monotonic()
            if backend.proc.poll() is None:
                if (now - backend.checked_at < self.health_every_s
                        or now - backend.started_at < self.startup_grace_s):
                    continue
                silent = not answers_health(backend.url, self.health_timeout_s)
                backend.checked_at = time.monotonic()
                backend.silent_checks = backend.silent_checks + 1 if silent else 0
                if backend.silent_checks < self.health_failures:
                    continue
                self.notes.append(f"process on port {backend.port} did not answer {backend.silent_checks} "
                                  "health checks in a row; killing it")
                backend.proc.kill()
                backend.proc.wait()
            elif now - backend.started_at < RESTART_PAUSE_S:
                continue
            else:
                self.notes.append(f"process on port {backend.port} exited with code "
                                  f"{backend.proc.returncode}")
            self.notes.append(f"starting the process on port {backend.port} again")
            backend.restarts += 1
            self.start_backend(backend)
        if self.nginx is not None and self.nginx.poll() is not None:
            raise ServeError(f"nginx exited with code {self.nginx.returncode}; "
                             f"see {self.run_dir / 'error.log'}")

    def stop(self) -> None:
        stop_process(self.nginx)  # SIGTERM: fast shutdown, open web sockets close at once
        for backend in self.backends:
            if backend.proc is not None and backend.proc.poll() is None:
                backend.proc.terminate()
        for backend in self.backends:
            stop_process(backend.proc)
        if self.database is not None:
            self.database.stop()
        if self.owns_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def process_environment(environ) -> dict[str, str]:
    """What every Streamlit process starts with: one BLAS thread each (N processes share the cores;
    a page's matrices are small, and N processes each starting a thread per core would fight over
    them; an operator's own setting wins), and one cookie secret for all, so that a page moved to
    another process keeps a valid XSRF cookie."""
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **environ}
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_hex(32)
    return env


def start(processes: int = 2, listen: str | None = None, run_dir: Path | None = None,
          backend_ports: list[int] | None = None, postgres: bool = False) -> Serving:
    """Start N Streamlit processes and nginx in front of them; return once nginx answers /_stcore/health.
    `postgres`: first a local PostgreSQL server for their classes, unless GRUVIZ_DATABASE_URL names one."""
    if not 1 <= processes <= 64:
        raise ServeError(f"--processes must be between 1 and 64, not {processes}")
    owns = run_dir is None
    run_dir = Path(tempfile.mkdtemp(prefix="gruviz-serve-")) if owns else Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    ports = backend_ports or [free_port() for _ in range(processes)]
    env = process_environment(os.environ)
    backends = [Backend(port, run_dir / f"streamlit-{port}.log") for port in ports]
    serving = Serving(run_dir, listen or f"127.0.0.1:{free_port()}", backends, env, owns_run_dir=owns)
    try:
        find_nginx()
        try:
            serving.database = local_postgres.for_processes(env, run_dir, keep=not owns) if postgres else None
        except RuntimeError as problem:
            raise ServeError(str(problem)) from None
        if postgres and serving.database is None:
            serving.notes.append("GRUVIZ_DATABASE_URL is set: --postgres started no server; that database "
                                 "is used")
        for backend in serving.backends:
            serving.start_backend(backend)
        for backend in serving.backends:
            wait_healthy(backend.url, backend.proc, f"streamlit on port {backend.port}", backend.log)
        serving.start_nginx()
        wait_healthy(serving.url, serving.nginx, "nginx", run_dir / "error.log", timeout=15)
    except BaseException:
        serving.owns_run_dir = False  # keep the logs the error points to
        serving.stop()
        raise
    return serving


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2,
                        help="Streamlit processes (default 2: one per core)")
    parser.add_argument("--listen", default="0.0.0.0:8501", help="address:port nginx listens on")
    parser.add_argument("--run-dir", type=Path, help="config, logs and temp files (default: a new temp dir)")
    parser.add_argument("--postgres", action="store_true",
                        help="keep classes in a local PostgreSQL server started here (RUN_DIR/postgres, kept "
                             "when --run-dir is given) instead of a SQLite file; GRUVIZ_DATABASE_URL, when "
                             "set, is passed through instead")
    args = parser.parse_args(argv)

    stopping = []
    def request_stop(signum, _frame):
        stopping.append(signum)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    try:
        serving = start(args.processes, args.listen, args.run_dir, postgres=args.postgres)
    except ServeError as problem:
        print(f"serve: {problem}", file=sys.stderr)
        return 1
    ports = ", ".join(str(b.port) for b in serving.backends)
    print(f"gruviz: {serving.url} (nginx on {serving.listen} → {args.processes} Streamlit processes on "
          f"127.0.0.1 ports {ports}); classes in {local_postgres.describe(serving.env)}; "
          f"logs in {serving.run_dir}. Ctrl-C stops everything.", flush=True)
    status = 0
    try:
        while not stopping:
            time.sleep(0.5)
            serving.supervise_once()
            while serving.notes:
                print(f"serve: {serving.notes.pop(0)}", flush=True)
    except ServeError as problem:
        print(f"serve: {problem}", file=sys.stderr)
        status = 1
    finally:
        print("serve: stopping nginx and the Streamlit processes…", flush=True)
        serving.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
