"""Where the bundled files (ontology, shapes, queries, pipelines) are.

In a source checkout they are the folders at the repository root; in an installed wheel they
are copied under ``iatp_kg/_bundled/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE.parents[1]


def bundled(name: str) -> Path:
    """The folder ``name`` (``ontology``, ``shapes``, ``queries``, ``pipelines``).

    >>> bundled("ontology").name
    'ontology'
    """
    for candidate in (_PACKAGE / "_bundled" / name, _REPO_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE}")


def static_dir() -> Path:
    return _PACKAGE / "static"
