#!/usr/bin/env python3
"""The benchmark's baseline: Python's smtplib sending every .eml in a folder one after another on
one STARTTLS connection, as a simple script would. Prints "SENT <count> <seconds>".

usage: smtplib_sender.py --port PORT --ca CA.pem --folder DIR [--host 127.0.0.1]
The envelope recipient is each message's To header; the sender its From address.
"""
import argparse
import email.parser
import email.policy
import email.utils
import glob
import os
import smtplib
import ssl
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--folder", required=True)
    args = p.parse_args()

    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    messages = []
    for path in sorted(glob.glob(os.path.join(args.folder, "*.eml"))):
        with open(path, "rb") as f:
            raw = f.read()
        headers = parser.parsebytes(raw)
        sender = email.utils.parseaddr(str(headers["From"]))[1]
        recipient = email.utils.parseaddr(str(headers["To"]))[1]
        messages.append((sender, recipient, raw))

    context = ssl.create_default_context(cafile=args.ca)
    start = time.monotonic()
    with smtplib.SMTP(args.host, args.port) as smtp:
        smtp.starttls(context=context)
        for sender, recipient, raw in messages:
            smtp.sendmail(sender, [recipient], raw)
    print(f"SENT {len(messages)} {time.monotonic() - start:.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
