"""What a SPARQL request text is, without evaluating it: its form (SELECT, ASK, CONSTRUCT,
DESCRIBE), and whether it reaches outside (SERVICE, LOAD) or names its own dataset (FROM).

A lexical scan that skips IRIs, strings and comments decides quickly; only when it finds one of
those keywords is the text parsed (rdflib's SPARQL parser) to read the IRIs involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from iatp_kg.errors import BadRequest, Forbidden

_SKIP = re.compile(
    r"""
      <[^<>"{}|^`\\\s]*>                      # an IRI
    | '''(?:[^'\\]|\\.|'(?!''))*'''           # long strings
    | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
    | '(?:[^'\\\n]|\\.)*'                     # short strings
    | "(?:[^"\\\n]|\\.)*"
    | \#[^\n]*                                # a comment
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def keywords(text: str) -> list[str]:
    """The bare words of ``text`` outside IRIs, strings, comments, variables and prefixed
    names, upper-cased.

    >>> keywords('SELECT * WHERE { ?service <http://x/SERVICE> "SERVICE" ; service:x 1 } # SERVICE')
    ['SELECT', 'WHERE']
    """
    stripped = _SKIP.sub(" ", text)
    words = []
    for m in _WORD.finditer(stripped):
        before = stripped[m.start() - 1] if m.start() else " "
        after = stripped[m.end()] if m.end() < len(stripped) else " "
        if before in "?$:" or after == ":" or before.isdigit():
            continue
        words.append(m.group(0).upper())
    return words


_KEYWORDS = {
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "SERVICE", "FROM", "NAMED", "LOAD",
    "PREFIX", "BASE", "INSERT", "DELETE", "WITH", "USING", "CLEAR", "DROP", "CREATE", "ADD",
    "MOVE", "COPY",
}  # fmt: skip


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (raises BadRequest when none is found).

    >>> query_form("PREFIX s: <http://x/> # SELECT\\nCONSTRUCT WHERE { ?s ?p ?o }")
    'CONSTRUCT'
    >>> query_form("INSERT { <a:b> <a:c> ?o } WHERE { SELECT ?o WHERE { ?s ?p ?o } }")
    Traceback (most recent call last):
    iatp_kg.errors.BadRequest: this is a SPARQL update (INSERT), not a query; send it to /update
    """
    for word in keywords(text):
        if word in FORMS:
            return word
        if word in UPDATE_WORDS:
            raise BadRequest(f"this is a SPARQL update ({word}), not a query; send it to /update")
    raise BadRequest("the text is not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}


@dataclass(frozen=True)
class Reach:
    """The IRIs a request names outside the default dataset."""

    services: list[str] = field(default_factory=list)
    variable_service: bool = False
    from_default: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)


def _walk(node):
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple) or (
        hasattr(node, "__iter__") and not isinstance(node, str | bytes | dict)
    ):
        try:
            for value in node:
                yield from _walk(value)
        except TypeError:
            return


def reach(text: str, *, update: bool = False) -> Reach:
    """What ``text`` reaches beyond the default dataset; parsed only when a keyword calls for it."""
    words = set(keywords(text))
    if not words & {"SERVICE", "FROM", "LOAD"}:
        return Reach()
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.term import URIRef

    try:
        tree = parseUpdate(text) if update else parseQuery(text)
    except Exception as exc:  # rdflib's grammar is narrower than Oxigraph's
        raise BadRequest(
            "the request uses SERVICE, FROM or LOAD in a form this server cannot check; "
            f"it was not run ({type(exc).__name__})"
        ) from exc
    services, from_default, from_named, loads = [], [], [], []
    variable = False
    for node in _walk(tree):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            if isinstance(term, URIRef):
                services.append(str(term))
            else:
                variable = True
        elif node.name == "DatasetClause":
            if node.get("default") is not None:
                from_default.append(str(node.get("default")))
            if node.get("named") is not None:
                from_named.append(str(node.get("named")))
        elif node.name == "Load":
            loads.append(str(node.get("iri")))
    return Reach(services, variable, from_default, from_named, loads)


def check_outbound(r: Reach, allowlist: list[str]) -> None:
    """Refuse SERVICE to endpoints off the allow-list, SERVICE with a variable, and LOAD."""
    if r.loads:
        raise Forbidden("LOAD is refused: this server never fetches data from the web")
    if r.variable_service:
        raise Forbidden("SERVICE with a variable endpoint is refused")
    blocked = [s for s in r.services if s not in allowlist]
    if blocked:
        raise Forbidden(
            f"SERVICE <{blocked[0]}> is refused: federated queries may only call the endpoints "
            "on the IATP_KG_SERVICE_ALLOWLIST setting"
        )


_TOKEN = re.compile(
    _SKIP.pattern + r"| (?P<brace>[{}]) | (?P<word>[A-Za-z_][A-Za-z0-9_]*)", re.VERBOSE
)


def has_dataset_clause(update: str) -> bool:
    """True when an update names its own dataset (USING, USING NAMED or WITH).

    >>> has_dataset_clause("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    True
    """
    return bool({"USING", "WITH"} & set(keywords(update)))


def inject_using(update: str, default: list[str], named: list[str]) -> str:
    """Apply the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` to every
    DELETE/INSERT ... WHERE operation, as USING clauses placed before its WHERE.

    >>> inject_using("INSERT { ?s a <t> } WHERE { ?s ?p ?o }", ["http://g"], [])
    'INSERT { ?s a <t> } USING <http://g> WHERE { ?s ?p ?o }'
    """
    clause = " ".join([f"USING <{g}>" for g in default] + [f"USING NAMED <{g}>" for g in named])
    if not clause:
        return update
    out, last, depth, previous = [], 0, 0, None
    for m in _TOKEN.finditer(update):
        if m.group("brace"):
            depth += 1 if m.group("brace") == "{" else -1
            previous = m.group("brace") if depth == 0 else previous
            continue
        word = m.group("word")
        if word is None or depth != 0:
            continue
        if word.upper() == "WHERE" and previous == "}":
            out.append(update[last : m.start()] + clause + " ")
            last = m.start()
        previous = word.upper()
    out.append(update[last:])
    return "".join(out)


MAX_DEPTH = 100


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """400 when brackets nest deeper than ``limit`` (outside IRIs, strings and comments): a
    parser's recursion would otherwise overflow its stack.

    >>> check_depth("ASK { FILTER((1)) }")
    >>> check_depth("ASK " + "{" * 101 + "}" * 101)
    Traceback (most recent call last):
    iatp_kg.errors.BadRequest: the text nests brackets more than 100 levels deep
    """
    depth = deepest = 0
    for char in _SKIP.sub(" ", text):
        if char in "{([":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    raise BadRequest(f"the text nests brackets more than {limit} levels deep")
        elif char in "})]":
            depth -= 1


_AT = re.compile(r"at (\d+):(\d+)")


def syntax_location(message: str) -> tuple[str, int | None, int | None]:
    """Oxigraph's parser message, without its location, and the line and column it names.

    >>> syntax_location("error at 1:25: expected one of LATERAL, SERVICE")
    ('expected one of LATERAL, SERVICE', 1, 25)
    """
    m = _AT.search(message)
    if not m:
        return readable(message), None, None
    clean = _AT.sub("", message, count=1).removeprefix("error ").lstrip(": ")
    return readable(clean), int(m.group(1)), int(m.group(2))


_CHAR_CLASS = re.compile(r",?\s*\[[^\[\]]*(?:\|[^\[\]]*)*\]", re.S)


def readable(message: str) -> str:
    r"""The parser's message without the Unicode character classes it lists as alternatives
    (hundreds of characters that say "a name character"), and with "Prefix not found" said
    plainly.

    >>> readable(r"expected one of '}', ['0' ..= '9' | '\u{00B7}'], ['_']")
    "expected one of '}' or a name character"
    >>> readable("expected one of Prefix not found, ['%'], [':']")
    'an undeclared prefix is used (declare it with PREFIX)'
    """
    if "Prefix not found" in message:
        return "an undeclared prefix is used (declare it with PREFIX)"
    cleaned = _CHAR_CLASS.sub("", message).strip().rstrip(",")
    if cleaned != message.strip():
        cleaned = (
            cleaned + " or a name character"
            if not cleaned.endswith("one of")
            else cleaned.removesuffix(" one of") + " a name character"
        )
    return cleaned


# ---- binding values into route queries -------------------------------------------------------
_BIND_TOKEN = re.compile(
    _SKIP.pattern
    + r"""| (?P<var>[?$][A-Za-z_][A-Za-z0-9_]*)
          | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
          | (?P<open>[{(]) | (?P<close>[})])""",
    re.VERBOSE,
)


def bind_terms(query: str, terms: dict[str, str]) -> str:
    """The query with each variable of ``terms`` replaced by an RDF term in its SPARQL form,
    as Jena's ``ParameterizedSparqlString`` does: the values are typed terms that the caller
    made with pyoxigraph (which refuses an IRI holding ``>``, a space or a quote, and escapes
    literals), placed only where the variable token stands, never inside strings, IRIs or
    comments. A projected variable keeps its name: ``SELECT ?s`` becomes
    ``SELECT (<iri> AS ?s)``.

    Oxigraph evaluates ``substitutions=`` as a join after the fact, so a query whose first
    patterns do not name the variable runs over the whole store (600 ms instead of 1 ms at
    0.1 M triples, growing with the store); a constant in the pattern is used by the planner.

    >>> bind_terms("SELECT ?s ?o WHERE { ?s ?p ?o . ?sx ?p '?s' }", {"s": "<https://e.org/a>"})
    "SELECT (<https://e.org/a> AS ?s) ?o WHERE { <https://e.org/a> ?p ?o . ?sx ?p '?s' }"
    >>> bind_terms("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": "<x:a>"})
    'CONSTRUCT { <x:a> ?p ?o } WHERE { <x:a> ?p ?o }'
    >>> bind_terms("SELECT ?s ?x WHERE { { SELECT ?s ?x WHERE { ?x ?p ?s } } }", {"s": "<x:a>"})
    'SELECT (<x:a> AS ?s) ?x WHERE { { SELECT  ?x WHERE { ?x ?p <x:a> } } }'

    In ORDER BY and GROUP BY a term stands in brackets (a bare IRI there would read as a
    function call):

    >>> bind_terms("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?s ?o", {"s": "<x:a>"})
    'SELECT ?o WHERE { <x:a> ?p ?o } ORDER BY (<x:a>) ?o'
    """
    out: list[str] = []
    pos = 0
    projecting = False  # between SELECT and its WHERE / opening brace
    depth = 0  # parentheses inside a projection: (expr AS ?v) keeps ?v
    braces = 0  # a SELECT inside braces is a subquery: its projection just drops the variable
    outer = True
    modifier = False  # after ORDER BY or GROUP BY, until the next brace
    for m in _BIND_TOKEN.finditer(query):
        out.append(query[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if m.group("word"):
            upper = token.upper()
            if upper == "SELECT":
                projecting, depth, outer = True, 0, braces == 0
            elif upper == "WHERE":
                projecting = False
            elif upper in ("ORDER", "GROUP"):
                modifier = True
            out.append(token)
        elif m.group("open"):
            if token == "{":
                projecting = modifier = False
                braces += 1
            elif projecting:
                depth += 1
            out.append(token)
        elif m.group("close"):
            if token == ")" and projecting:
                depth -= 1
            elif token == "}":
                braces -= 1
                modifier = False
            out.append(token)
        elif m.group("var") and token[1:] in terms:
            value = terms[token[1:]]
            if projecting and depth == 0:
                out.append(f"({value} AS {token})" if outer else "")
            elif projecting:
                out.append(token)  # the name after AS inside (expr AS ?v)
            elif modifier:
                out.append(f"({value})")
            else:
                out.append(value)
        else:
            out.append(token)
    out.append(query[pos:])
    return "".join(out)
