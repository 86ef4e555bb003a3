"""A real SMTP submission server for the email channel's tests (aiosmtpd).

STARTTLS is required before anything else and AUTH only after it, as a relay
should. Each accepted message is printed on stdout as one JSON line; "ready"
comes first. Runs until stdin closes or the process is signalled.

usage: smtp-server.py PORT CERT KEY USER PASSWORD
"""
import json
import ssl
import sys
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

port, cert, key, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Handler:
    async def handle_DATA(self, server, session, envelope):
        # Decoded too, so tests read the text as a person would (the wire has quoted-printable).
        # The plain part when there is one; else the HTML (Alertmanager's default email is HTML only).
        msg = message_from_bytes(envelope.content, policy=policy.default)
        part = msg.get_body(preferencelist=("plain", "html"))
        emit({
            "subject": str(msg["subject"]),
            "body": part.get_content() if part is not None else "",
            "kind": "message",
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "data": envelope.content.decode("utf8", "replace"),
        })
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False)


class RelaySMTP(SMTP):
    # AUTH LOGIN prompts as Postfix (Cyrus SASL) and Exchange send them. aiosmtpd's own
    # "User Name\0" is refused by clients that match the prompt, Alertmanager's among them.
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"


class RelayController(Controller):
    def factory(self):
        return RelaySMTP(self.handler, **self.SMTP_kwargs)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
controller = RelayController(
    Handler(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=ctx,
    require_starttls=True,
    authenticator=authenticator,
    auth_require_tls=True,
    # The controller's own readiness probe connects in plain text; let it.
    ready_timeout=10,
)
controller.start()
emit({"kind": "ready", "port": int(port)})
try:
    sys.stdin.read()
finally:
    controller.stop()
