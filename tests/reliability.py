"""Recording what the reliability suite tried, for RELIABILITY.md.

Each bad-input case, fault and load run calls :func:`record`. When the environment variable
``IATP_KG_RELIABILITY_LOG`` names a file, one JSON line per record is appended to it (safe from
several pytest-xdist workers: each line is one small ``write``); ``scripts/reliability`` turns
that file into RELIABILITY.md. Without the variable nothing is written.
"""

from __future__ import annotations

import json
import os


def record(section: str, case: str, **fields) -> None:
    path = os.environ.get("IATP_KG_RELIABILITY_LOG")
    if not path:
        return
    line = json.dumps({"section": section, "case": case, **fields}, ensure_ascii=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
