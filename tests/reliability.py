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


def _cell(value) -> str:
    """A table cell: one line, pipes escaped, control characters shown as escapes."""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def render(log: str, out: str) -> None:
    """Turn the recorded lines into RELIABILITY.md."""
    import datetime
    import platform
    import sys

    import pyoxigraph

    rows = []
    with open(log, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    sections: dict[str, list[dict]] = {}
    for row in rows:
        sections.setdefault(row["section"], []).append(row)
    bad = [r for s, rs in sections.items() if s.startswith("bad input") for r in rs]
    lines = [
        "# Reliability",
        "",
        "Written by `scripts/reliability` from what the suite recorded; do not edit by hand.",
        f"Run {datetime.date.today().isoformat()} on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, Python {sys.version.split()[0]}, pyoxigraph "
        f"{pyoxigraph.__version__}).",
        "",
        "| | count | nothing lost / held |",
        "|---|---|---|",
        f"| bad inputs tried | {len(bad)} | {sum(r['unchanged'] for r in bad)} "
        "left the store unchanged |",
        f"| faults survived | {len(sections.get('faults', []))} | "
        f"{sum(r['unchanged'] for r in sections.get('faults', []))} all-or-nothing |",
        f"| load runs | {len(sections.get('load', []))} | "
        f"{sum(r['unchanged'] for r in sections.get('load', []))} held |",
        "",
    ]
    for section, items in sections.items():
        lines += [f"## {section[0].upper()}{section[1:]} ({len(items)})", ""]
        entry = any("entry" in r for r in items)
        head = ["case", *(["entry"] if entry else []), "outcome", "message", "unchanged"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in items:
            cells = [r["case"], *([r.get("entry", "")] if entry else [])]
            cells += [
                r.get("outcome", ""),
                r.get("message", ""),
                "yes" if r["unchanged"] else "**no**",
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))


if __name__ == "__main__":
    import sys

    render(sys.argv[1], sys.argv[2])
