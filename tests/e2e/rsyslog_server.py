"""A real rsyslog for the event-feed tests: started in a temporary directory with its own configuration,
listening on loopback for UDP (imudp), TCP (imtcp, octet-counted frames) and TLS (imtcp with the OpenSSL
stream driver, a throw-away self-signed certificate for "localhost"), each input writing the fields rsyslog's
RFC 5424 parser found to a file of its own: PRI|TIMESTAMP|HOSTNAME|APP-NAME|PROCID|MSGID|MSG.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time


def available():
    if not shutil.which("rsyslogd"):
        return "rsyslog not installed (scripts/install-deps.sh --test installs rsyslog and rsyslog-openssl)"
    if not any(os.path.exists(os.path.join(d, "lmnsd_ossl.so")) for d in
               ("/usr/lib/x86_64-linux-gnu/rsyslog", "/usr/lib/aarch64-linux-gnu/rsyslog", "/usr/lib/rsyslog")):
        return "rsyslog's OpenSSL driver not installed (rsyslog-openssl)"
    if not shutil.which("openssl"):
        return "openssl not installed"
    return None


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rsyslog:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ww-rsyslog-")
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost", "-keyout", self.key, "-out", self.cert],
                       check=True, capture_output=True, timeout=60)
        self.ports = {"udp": free_port(socket.SOCK_DGRAM), "tcp": free_port(socket.SOCK_STREAM),
                      "tls": free_port(socket.SOCK_STREAM)}
        self.files = {kind: os.path.join(self.dir, kind + ".log") for kind in self.ports}
        conf = os.path.join(self.dir, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(f"""
global(workDirectory="{self.dir}" maxMessageSize="64k"
       DefaultNetstreamDriverCAFile="{self.cert}" DefaultNetstreamDriverCertFile="{self.cert}"
       DefaultNetstreamDriverKeyFile="{self.key}")
module(load="imudp")
module(load="imtcp" maxSessions="20")
template(name="fields" type="string"
         string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%msg%\\n")
""")
            for kind in self.ports:
                f.write(f'ruleset(name="{kind}") {{ action(type="omfile" file="{self.files[kind]}" template="fields") }}\n')
            f.write(f'input(type="imudp" address="127.0.0.1" port="{self.ports["udp"]}" ruleset="udp")\n')
            f.write(f'input(type="imtcp" address="127.0.0.1" port="{self.ports["tcp"]}" ruleset="tcp")\n')
            f.write(f'input(type="imtcp" address="127.0.0.1" port="{self.ports["tls"]}" ruleset="tls" '
                    'streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")\n')
        self.pidfile = os.path.join(self.dir, "rsyslogd.pid")
        check = subprocess.run(["rsyslogd", "-N1", "-f", conf], capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            raise RuntimeError("rsyslog configuration rejected: " + check.stderr)
        with open(os.path.join(self.dir, "stderr"), "w") as err:
            self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", self.pidfile],
                                         stdout=subprocess.DEVNULL, stderr=err)
        for kind in ("tcp", "tls"):
            self._wait_listening(self.ports[kind])

    def _wait_listening(self, port):
        deadline = time.time() + 20
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        with open(os.path.join(self.dir, "stderr")) as err:
            raise RuntimeError(f"rsyslog did not listen on {port}: {err.read()}")

    def url(self, kind):
        host = "localhost" if kind == "tls" else "127.0.0.1"  # TLS: the certificate's name
        return f"{kind}://{host}:{self.ports[kind]}"

    def lines(self, kind, at_least=0, timeout=10):
        """The lines rsyslog wrote for one input, waiting up to `timeout` for `at_least` of them."""
        deadline = time.time() + timeout
        while True:
            lines = []
            if os.path.exists(self.files[kind]):
                with open(self.files[kind], encoding="utf-8", errors="replace") as f:
                    lines = f.read().splitlines()
            if len(lines) >= at_least or time.time() > deadline:
                return lines
            time.sleep(0.1)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
