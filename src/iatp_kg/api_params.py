"""Checking the REST facade's query parameters. Pure functions, no web imports.

Every invalid value raises :class:`~iatp_kg.errors.BadRequest` naming the parameter:

>>> country("co")
'co'
>>> country("Colombia")
Traceback (most recent call last):
...
iatp_kg.errors.BadRequest: country: 'Colombia' is not an ISO 3166-1 alpha-2 code (two letters, e.g. CO)
>>> bbox("-80,-5,-66,13")
(-80.0, -5.0, -66.0, 13.0)
>>> isic("c"), isic("01")
('C', '01')
"""

from __future__ import annotations

import math
import re
import unicodedata

from iatp_kg.errors import BadRequest

MAX_TEXT = 200  # characters of a free-text search
INITIATIVE_KINDS = (
    "cluster",
    "production-chain",
    "local-productive",
    "business-network",
    "supplier-development",
)
ACTOR_SECTORS = ("public", "private", "academic", "civil-society")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _bad(name: str, message: str) -> BadRequest:
    return BadRequest(f"{name}: {message}")


def text_value(name: str, value: str, max_length: int = 1000) -> str:
    """A parameter's text: no control characters, bounded length."""
    if len(value) > max_length:
        raise _bad(name, f"longer than {max_length} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise _bad(name, "contains control characters")
    return value


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (case-insensitive).

    >>> choice("kind", "Cluster", INITIATIVE_KINDS)
    'cluster'
    """
    v = value.strip().lower()
    if v not in allowed:
        shown = text_value(name, value[:40], 1000) if value.isprintable() else "the value"
        raise _bad(name, f"{shown!r} is not one of {', '.join(allowed)}")
    return v


def country(value: str, name: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code, lower-cased (the slug of ``id:country/{code}``)."""
    v = value.strip()
    if not re.fullmatch(r"[A-Za-z]{2}", v):
        raise _bad(name, f"{value[:40]!r} is not an ISO 3166-1 alpha-2 code (two letters, e.g. CO)")
    return v.lower()


def subdivision(value: str, name: str = "subdivision") -> str:
    """An ISO 3166-2 code such as ``CO-ANT``, lower-cased (the slug of ``id:subdivision/…``).

    >>> subdivision("CO-ANT")
    'co-ant'
    """
    v = value.strip()
    if not re.fullmatch(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}", v):
        raise _bad(name, f"{value[:40]!r} is not an ISO 3166-2 code (e.g. CO-ANT)")
    return v.lower()


def isic(value: str, name: str = "sector") -> str:
    """An ISIC Rev.4 code: a section letter (A–U) or a numeric code of 2 to 4 digits."""
    v = value.strip().upper()
    if not re.fullmatch(r"[A-U]|[0-9]{2,4}", v):
        raise _bad(
            name,
            f"{value[:40]!r} is not an ISIC Rev.4 code (a section A–U or a division such as 10)",
        )
    return v


def slug(value: str, name: str = "id") -> str:
    """The slug part of a data IRI: lowercase ASCII letters and digits joined by ``-``."""
    v = value.strip()
    if len(v) > 200 or not SLUG.fullmatch(v):
        raise _bad(name, f"{value[:40]!r} is not an identifier (lowercase letters, digits and -)")
    return v


def year(value: str, name: str) -> int:
    v = value.strip()
    if not re.fullmatch(r"[0-9]{1,4}", v):
        raise _bad(name, f"{value[:40]!r} is not a year (0–9999)")
    return int(v)


def year_range(low: str | None, high: str | None, names=("founded_from", "founded_to")):
    """Inclusive ``(from, to)``; either may be None; from must not be after to.

    >>> year_range("2000", None)
    (2000, None)
    """
    lo = year(low, names[0]) if low is not None else None
    hi = year(high, names[1]) if high is not None else None
    if lo is not None and hi is not None and lo > hi:
        raise _bad(names[0], f"{lo} is after {names[1]}={hi}")
    return lo, hi


def bbox(value: str) -> tuple[float, float, float, float]:
    """``minLon,minLat,maxLon,maxLat`` in WGS 84 degrees. A box whose minLon is greater than its
    maxLon crosses the antimeridian (as RFC 7946 allows)."""
    parts = value.split(",")
    if len(parts) != 4:
        raise _bad("bbox", "give four numbers: minLon,minLat,maxLon,maxLat")
    numbers = []
    for part in parts:
        p = part.strip()
        if not re.fullmatch(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", p):
            raise _bad("bbox", f"{part[:40]!r} is not a number")
        numbers.append(float(p))
    min_lon, min_lat, max_lon, max_lat = numbers
    if not all(math.isfinite(n) for n in numbers):
        raise _bad("bbox", "the numbers must be finite")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise _bad("bbox", "longitudes must be between -180 and 180")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise _bad("bbox", "latitudes must be between -90 and 90")
    if min_lat > max_lat:
        raise _bad("bbox", "minLat is greater than maxLat")
    return min_lon, min_lat, max_lon, max_lat


def limit(value: str | None, default: int, maximum: int) -> int:
    """A page size between 1 and ``maximum``.

    >>> limit(None, 20, 100), limit("100", 20, 100)
    (20, 100)
    """
    if value is None:
        return default
    v = value.strip()
    if not re.fullmatch(r"[0-9]{1,9}", v) or not 1 <= int(v) <= maximum:
        raise _bad("limit", f"{value[:40]!r} is not a whole number between 1 and {maximum}")
    return int(v)


# ---- free text ---------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower case without accents: the key names are compared and sorted by.

    >>> fold("Clúster Automotriz")
    'cluster automotriz'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
