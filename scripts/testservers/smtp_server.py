#!/usr/bin/env python3
"""Loopback SMTP relay for Encompass tests and benchmarks (Debian's python3-aiosmtpd).

By default it offers STARTTLS and refuses mail before it (530), like a relay that requires TLS.
Recipients steer its answers:
  an address containing "reject"   -> 550 at RCPT
  an address containing "greylist" -> 451 at RCPT the first --greylist-times times, then accepted
  an address containing "tarpit"   -> RCPT answered after --tarpit-seconds
With --require-fqdn-helo, every RCPT after an EHLO/HELO name without a dot gets 504, as Postfix's
reject_non_fqdn_helo_hostname answers; with --refuse-helo NAME, after that EHLO/HELO name.
  an address containing --hold's WORD -> its first RCPT is held (see --hold); later ones at once
  an address containing --hold-all's WORD -> every RCPT held until OUT/release is made, then
    answered as any other (a "reject" address then refused)
Each accepted message is written to OUT/<n>.eml, with a line in OUT/log.jsonl
({"n", "mail_from", "rcpt_tos", "message_id", "tls", "peer", "size"}); each "reject" refused, a line
{"refused": address} in OUT/refused.jsonl, as it is answered. A held RCPT writes a line
{"held": address} to OUT/held.jsonl the moment it is held, so a test can wait for that instead of a
time: the client is then surely in the middle of its run.
Prints "READY <port>" once listening; stops on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import collections
import email.parser
import email.policy
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Relay:
    def __init__(self, args):
        self.out = args.out
        self.greylist_times = args.greylist_times
        self.tarpit_seconds = args.tarpit_seconds
        self.implicit_tls = args.implicit_tls
        self.require_fqdn_helo = args.require_fqdn_helo
        self.refuse_helo = args.refuse_helo
        self.greylisted = collections.Counter()
        self.hold_word, _, hold_count = (args.hold or "").partition(":")
        self.hold_word = self.hold_word.lower()
        # None: held until the client goes away (it is killed); N: until N messages were accepted;
        # "release": until a file named `release` is made in the out folder (a test's own signal).
        self.hold_release = hold_count == "release"
        self.hold_until = int(hold_count) if hold_count and not self.hold_release else None
        self.held = collections.Counter()
        self.hold_all = (args.hold_all or "").lower()
        self.accepted = asyncio.Condition()
        self.count = 0
        os.makedirs(self.out, exist_ok=True)
        self.log = open(os.path.join(self.out, "log.jsonl"), "a", encoding="utf-8")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        lowered = address.lower()
        if (self.require_fqdn_helo and "." not in (session.host_name or "")) or \
                (self.refuse_helo and session.host_name == self.refuse_helo):
            return "504 5.5.2 <%s>: Helo command rejected: need fully-qualified hostname" % (session.host_name or "")
        if self.hold_all and self.hold_all in lowered:
            with open(os.path.join(self.out, "held.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps({"held": address}) + "\n")
            while not os.path.exists(os.path.join(self.out, "release")):
                await asyncio.sleep(0.02)
        if "reject" in lowered:
            with open(os.path.join(self.out, "refused.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps({"refused": address}) + "\n")
            return "550 5.1.1 Recipient address rejected"
        if "greylist" in lowered:
            self.greylisted[lowered] += 1
            if self.greylisted[lowered] <= self.greylist_times:
                return "451 4.7.1 Greylisted, please try again later"
        if "tarpit" in lowered:
            await asyncio.sleep(self.tarpit_seconds)
        if self.hold_word and self.hold_word in lowered:
            self.held[lowered] += 1
            if self.held[lowered] == 1:
                with open(os.path.join(self.out, "held.jsonl"), "a", encoding="utf-8") as f:
                    f.write(json.dumps({"held": address}) + "\n")
                if self.hold_release:
                    while not os.path.exists(os.path.join(self.out, "release")):
                        await asyncio.sleep(0.02)
                elif self.hold_until is None:
                    await asyncio.Event().wait()  # never set: only the client's end ends it
                else:
                    async with self.accepted:
                        await self.accepted.wait_for(lambda: self.count >= self.hold_until)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        content = envelope.original_content or envelope.content
        with open(os.path.join(self.out, f"{n}.eml"), "wb") as f:
            f.write(content)
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(content)
        record = {
            "n": n,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": str(headers.get("Message-ID", "")),
            "tls": session.ssl is not None or self.implicit_tls,
            "peer": list(session.peer)[:2],
            "size": len(content),
            "helo": session.host_name,
        }
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()
        async with self.accepted:
            self.accepted.notify_all()
        return "250 2.0.0 Message accepted for delivery"


class SlowSMTP(SMTP):
    """Answers every command after a fixed delay, as a relay across a network would."""

    reply_delay = 0.0

    async def push(self, status):
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        await super().push(status)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--cert", help="server certificate (PEM)")
    p.add_argument("--key", help="server key (PEM)")
    p.add_argument("--out", required=True, help="folder for received messages")
    p.add_argument("--no-starttls", action="store_true", help="offer no STARTTLS; take mail in plaintext")
    p.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps)")
    p.add_argument("--auth", help="USER:PASSWORD required (AUTH over TLS only)")
    p.add_argument("--delay-ms", type=float, default=0, help="delay before every reply")
    p.add_argument("--greylist-times", type=int, default=1)
    p.add_argument("--tarpit-seconds", type=float, default=30)
    p.add_argument("--require-fqdn-helo", action="store_true", help="504 at RCPT after a HELO name without a dot")
    p.add_argument("--refuse-helo", help="504 at RCPT after this HELO name")
    p.add_argument("--hold", metavar="WORD[:N|:release]",
                   help="hold the first RCPT to an address containing WORD until N messages were accepted "
                        "(without N: until the client goes away; with release: until a file named release "
                        "is made in the out folder); later RCPTs to it are answered at once")
    p.add_argument("--hold-all", metavar="WORD",
                   help="hold every RCPT to an address containing WORD until a file named release is made in "
                        "the out folder, each written to held.jsonl as it is held; then answer it as usual")
    args = p.parse_args()
    # A parent may start us with signals blocked (threads of a test runner often block them);
    # SIGTERM must work, or stopping the server would hang.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])

    tls = None
    if not args.no_starttls or args.implicit_tls:
        if not (args.cert and args.key):
            p.error("--cert and --key are needed unless --no-starttls")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)

    relay = Relay(args)
    SlowSMTP.reply_delay = args.delay_ms / 1000.0

    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    starttls = tls if (tls and not args.implicit_tls) else None

    def factory():
        return SlowSMTP(
            relay,
            hostname="localhost",
            tls_context=starttls,
            require_starttls=starttls is not None,
            authenticator=authenticator,
            auth_required=authenticator is not None,
            auth_require_tls=True,
            loop=loop,
        )

    server = loop.run_until_complete(
        loop.create_server(factory, args.host, args.port, ssl=tls if args.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print(f"READY {port}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        relay.log.close()


if __name__ == "__main__":
    sys.exit(main())
