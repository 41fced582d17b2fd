"""Server-rendered HTML pages (Jinja2)."""

from __future__ import annotations

from functools import cache

from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape

from iatp_kg.queries import load_named_queries


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("iatp_kg", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language(request: Request) -> str:
    """es or en: the ``lang`` parameter, else the Accept-Language header (by q-value; the
    first listed wins a tie), else English.

    >>> class R:
    ...     query_params = {}
    ...     headers = {"accept-language": "fr;q=1, en;q=0.5, es-CO;q=0.8"}
    >>> language(R())
    'es'
    """
    wanted = request.query_params.get("lang")
    if wanted in ("es", "en"):
        return wanted
    best, best_q = "en", 0.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.lower().split("-")[0]
        if primary in ("es", "en") and q > best_q:
            best, best_q = primary, q
    return best


def render_editor(request: Request) -> str:
    lang = language(request)
    examples = [
        {"name": q.name, "title": q.title(lang) or q.name, "text": q.text}
        for q in load_named_queries()
    ]
    return (
        environment()
        .get_template("editor.html")
        .render(lang=lang, examples=examples, endpoint=str(request.url).split("?", 1)[0])
    )
