#!/usr/bin/env python3
"""Decodes an .eml file with Python's email package and prints what tests check, as JSON:
decoded headers, each body part's type, charset, transfer encoding and decoded text, and the
raw header lines (to check that non-ASCII text was encoded, not sent raw)."""
import email
import email.policy
import json
import sys


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    head = raw.split(b"\r\n\r\n", 1)[0]
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            # Canonical CRLF line ends, read back as the "\n" a program writes.
            "text": part.get_content().replace("\r\n", "\n"),
        })
    print(json.dumps({
        "subject": str(message["Subject"]),
        "from": str(message["From"]),
        "to": str(message["To"]),
        "date": str(message["Date"]),
        "message_id": str(message["Message-ID"]),
        "content_type": message.get_content_type(),
        "parts": parts,
        "raw_headers_ascii": all(b < 128 for b in head),
        "defects": [type(d).__name__ for d in message.defects],
        "crlf_only": b"\n" not in raw.replace(b"\r\n", b""),
        "max_line_length": max(len(line) for line in raw.split(b"\r\n")),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
