"""A real PostgreSQL cluster for the central-store tests, started in a temporary directory.

initdb refuses to run as root, so as root the cluster belongs to the unprivileged user `nobody` (runuser);
otherwise to the current user. It listens only on a Unix socket in its own directory (no TCP port), and
needs a password (scram-sha-256) for every connection, local ones included, so that the tests can check
what a wrong password does. Clients find the password in a pgpass file (PGPASSFILE), never in a URL.
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

ADMIN = "wwadmin"
DATABASE = "wardwatch"


def _bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def available():
    """None when a cluster can be started, else why not."""
    if not _bin("initdb") or not _bin("pg_ctl") or not shutil.which("psql"):
        return "PostgreSQL server not installed (scripts/install-deps.sh --test installs postgresql)"
    return None


class PgCluster:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="ww-pg-")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.sockets = os.path.join(self.root, "run")
        self.log = os.path.join(self.root, "server.log")
        self.password = "s3cret-Pw-" + os.urandom(4).hex()
        self.as_root = os.geteuid() == 0
        self.owner = "nobody" if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        os.mkdir(self.sockets)
        pwfile = os.path.join(self.root, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        # The client side: a pgpass file of the test's own (libpq refuses one readable by others).
        self.pgpass = os.path.join(self.root, "pgpass")
        with open(self.pgpass, "w") as f:
            f.write(f"*:*:*:{ADMIN}:{self.password}\n")
        os.chmod(self.pgpass, 0o600)
        if self.as_root:
            uid = pwd.getpwnam("nobody").pw_uid
            for p in (self.root, self.sockets, pwfile):
                os.chown(p, uid, -1)
        self._as_owner([_bin("initdb"), "-D", self.data, "-U", ADMIN, "--auth=scram-sha-256", "--pwfile", pwfile,
                        "--no-sync", "-E", "UTF8", "--locale=C"])
        os.unlink(pwfile)
        self.start()
        self.psql("CREATE DATABASE " + DATABASE, db="postgres")

    def _as_owner(self, argv, check=True):
        if self.as_root:
            argv = ["runuser", "-u", self.owner, "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=check, cwd=self.root)

    def start(self):
        self._as_owner([_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                        f"-k {self.sockets} -c listen_addresses='' -c fsync=off", "start"])

    def stop(self, mode="fast"):
        self._as_owner([_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"], check=False)

    def url(self, db=DATABASE, user=ADMIN):
        return f"postgresql://{user}@/{db}?host={self.sockets}"

    def env(self, **extra):
        env = dict(os.environ, PGPASSFILE=self.pgpass)
        env.pop("PGPASSWORD", None)
        env.update(extra)
        return env

    def psql(self, sql, db=DATABASE):
        proc = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.url(db), "-c", sql],
                              capture_output=True, text=True, timeout=120, env=self.env())
        if proc.returncode != 0:
            raise AssertionError(f"psql failed: {proc.stderr}")
        return proc.stdout.strip()

    def close(self):
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
