"""Sign-ups of interest in news and events (e-mail, country, interests), kept only in the
private graph ``…/graph/private/interest``, and the signed unsubscribe tokens that remove them.

A person is one node, ``id:interest/{key}``, where ``key`` is an HMAC of the lower-cased e-mail
address under a secret key: signing up again replaces the earlier sign-up, and nothing public
reveals the address. The unsubscribe token is ``{key}.{HMAC of the key}``: only the server can
make one, and it names one person. The secret is made once (256 random bits) and kept in the
store itself, in the private graph ``…/graph/private/keys``, so it is in every backup and every
unsubscribe link keeps working after a restore.

>>> secret = b"k" * 32
>>> t = unsubscribe_token(secret, person_key(secret, "Ana@Example.org"))
>>> verify_token(secret, t) == person_key(secret, "ana@example.org")
True
>>> verify_token(secret, t[:-1] + ("A" if t[-1] != "A" else "B")) is None
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from rdflib import Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCTERMS, RDF, XSD

from iatp_kg.namespaces import ID, PRIVATE_GRAPH_PREFIX, SCHEMA
from iatp_kg.pipelines import registry
from iatp_kg.registration import Problem, isic_codes, lac_codes

__all__ = [
    "INTEREST_GRAPH",
    "KEYS_GRAPH",
    "InterestSignup",
    "check",
    "key_triples",
    "person_iri",
    "person_key",
    "signup_triples",
    "unsubscribe_token",
    "verify_token",
]

INTEREST_GRAPH = URIRef(f"{PRIVATE_GRAPH_PREFIX}interest")
KEYS_GRAPH = URIRef(f"{PRIVATE_GRAPH_PREFIX}keys")
KEY_NODE = URIRef(f"{KEYS_GRAPH}#interest-unsubscribe")
FOAF_INTEREST = URIRef("http://xmlns.com/foaf/0.1/topic_interest")
LINES = tuple(sorted(registry.CODES["line-of-action"]))
_KEY = re.compile(r"^[0-9a-f]{32}$")

EXAMPLE = {"email": "persona@example.org", "country": "CO", "interests": ["training", "62"]}


class InterestSignup(BaseModel):
    """Someone who wants news and events: private, never published."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    email: EmailStr = Field(description="Where to write (private).")
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 code of a LAC country."
    )
    interests: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)]] = (
        Field(
            min_length=1,
            max_length=30,
            description=f"Lines of action ({', '.join(LINES)}) or ISIC Rev.4 sections and "
            "divisions (`C`, `62`).",
        )
    )
    lang: Literal["es", "en"] = Field("es", description="The language to write in.")


def check(signup: InterestSignup) -> list[Problem]:
    """The country must be in LAC; each interest a line of action or an ISIC code."""
    problems = []
    country = signup.country.upper()
    if country not in lac_codes():
        problems.append(
            Problem(
                "country",
                f"unknown country {country!r} (an ISO 3166-1 alpha-2 code of a LAC country)",
                f"país desconocido {country!r} (un código ISO 3166-1 alfa-2 de un país de "
                "América Latina y el Caribe)",
            )
        )
    for value in signup.interests:
        if value not in LINES and value.upper() not in isic_codes():
            problems.append(
                Problem(
                    "interests",
                    f"{value!r} is neither a line of action ({', '.join(LINES)}) nor an ISIC "
                    "Rev.4 section or division",
                    f"{value!r} no es una línea de acción ({', '.join(LINES)}) ni una sección "
                    "o división de la CIIU Rev.4",
                )
            )
    return problems


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def key_triples(secret: bytes) -> Graph:
    g = Graph()
    g.add((KEY_NODE, RDF.value, RdfLiteral(base64.b64encode(secret).decode())))
    return g


def secret_from(keys: Graph) -> bytes | None:
    value = keys.value(KEY_NODE, RDF.value)
    return None if value is None else base64.b64decode(str(value))


def person_key(secret: bytes, email: str) -> str:
    """The key of a person: an HMAC of the lower-cased address (never the address itself)."""
    mac = hmac.new(secret, b"person:" + email.strip().lower().encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def person_iri(key: str) -> URIRef:
    return ID[f"interest/{key}"]


def _signature(secret: bytes, key: str) -> str:
    mac = hmac.new(secret, b"unsubscribe:" + key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def unsubscribe_token(secret: bytes, key: str) -> str:
    return f"{key}.{_signature(secret, key)}"


def verify_token(secret: bytes, token: str) -> str | None:
    """The person's key when ``token`` was signed with ``secret``, else None."""
    key, _, signature = token.partition(".")
    if not _KEY.match(key) or not hmac.compare_digest(signature, _signature(secret, key)):
        return None
    return key


def signup_triples(key: str, signup: InterestSignup, when: str) -> Graph:
    """The private triples of one sign-up."""
    g = Graph()
    node = person_iri(key)
    g.add((node, RDF.type, SCHEMA.Person))
    g.add((node, SCHEMA.email, RdfLiteral(signup.email)))
    g.add((node, SCHEMA.addressCountry, ID[f"country/{signup.country.lower()}"]))
    g.add((node, DCTERMS.language, RdfLiteral(signup.lang)))
    g.add((node, DCTERMS.created, RdfLiteral(when, datatype=XSD.dateTime)))
    for value in dict.fromkeys(signup.interests):
        topic = ID[f"line-of-action/{value}"] if value in LINES else ID[f"isic/{value.upper()}"]
        g.add((node, FOAF_INTEREST, topic))
    return g
