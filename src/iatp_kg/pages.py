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
    """es or en: the ``lang`` parameter, else the Accept-Language header, else English."""
    wanted = request.query_params.get("lang")
    if wanted in ("es", "en"):
        return wanted
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("es"):
            return "es"
        if tag.startswith("en"):
            return "en"
    return "en"


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
