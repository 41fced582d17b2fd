"""A browser asking /sparql for HTML gets the YASGUI editor, preloaded with the named queries,
served from the package (no CDN)."""

from __future__ import annotations

import json
import re

import httpx

from iatp_kg.queries import load_named_queries

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_browser_gets_the_editor_with_every_named_query(server):
    r = httpx.get(f"{server}/sparql", headers={"accept": BROWSER, "accept-language": "es"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in r.headers
    embedded = re.search(
        r'<script id="example-queries" type="application/json">(.*?)</script>', r.text, re.S
    )
    examples = json.loads(embedded.group(1))
    assert [e["name"] for e in examples] == [q.name for q in load_named_queries()]
    assert examples[0]["title"] == load_named_queries()[0].title_es  # Accept-Language: es


def test_editor_assets_come_from_this_server(server):
    page = httpx.get(f"{server}/sparql", headers={"accept": BROWSER}).text
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for src in sources:
        asset = httpx.get(f"{server}{src}")
        assert asset.status_code == 200, src
        assert len(asset.content) > 10_000


def test_curl_default_accept_gets_the_service_description_not_html(server):
    r = httpx.get(f"{server}/sparql", headers={"accept": "*/*"})
    assert r.headers["content-type"].startswith("text/turtle")
