"""The named queries of ``queries/``: their text and their bilingual header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from iatp_kg.paths import bundled

_HEADER = re.compile(r"^#\s*(?P<key>[\w-]+)\s*:\s*(?P<value>.*)$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title_es: str
    title_en: str
    description_es: str
    description_en: str
    params: str
    text: str

    def title(self, lang: str = "en") -> str:
        return self.title_es if lang == "es" else self.title_en


def parse_named_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            key = m["key"].lower()
            header[key] = (header.get(key, "") + " " + m["value"].strip()).strip()
    return NamedQuery(
        name=path.stem,
        title_es=header.get("title-es", ""),
        title_en=header.get("title-en", ""),
        description_es=header.get("es", ""),
        description_en=header.get("en", ""),
        params=header.get("params", ""),
        text=text,
    )


@cache
def load_named_queries() -> list[NamedQuery]:
    """Every ``queries/*.rq`` (not the checks), sorted by name."""
    return [parse_named_query(p) for p in sorted(bundled("queries").glob("*.rq"))]
