"""SHACL compiled to SPARQL and run by Oxigraph over the store: whole-store validation at scale.

pyshacl (``iatp_kg.validation``) is the reference: it copies the data into rdflib and walks
every focus node in Python, which took 92 s and 0.8 GiB at 0.6 M triples. Here each constraint
of ``shapes/*.ttl`` becomes one SPARQL SELECT that returns only the violations, evaluated by
Oxigraph's own engine over the store's public graphs; nothing is copied. The compiler knows the
SHACL Core constraints the shapes use (targets, ``sh:class``, ``sh:datatype``, ``sh:nodeKind``,
``sh:minCount``/``sh:maxCount``, value ranges, lengths, ``sh:pattern``, ``sh:in``,
``sh:hasValue``, ``sh:node``, ``sh:or``/``sh:and``/``sh:not``, qualified value shapes) and
SHACL-SPARQL constraints, and raises :class:`UnsupportedShape` for anything else, so a new
shape feature cannot be skipped silently. Tests hold it to pyshacl's results (focus node, path,
value, constraint component, and the nested results of ``sh:node``) on the seed data, on every
invalid example and on synthetic data with defects.

>>> checks = compile_shapes()
>>> len(checks) > 50 and all(c.query.lstrip().startswith(("SELECT", "PREFIX")) for c in checks)
True
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD

from iatp_kg.validation import (
    ValidationReport,
    Violation,
    load_reference,
    load_shapes,
    rdflib_to_quads,
)

__all__ = [
    "Check",
    "UnsupportedShape",
    "compile_shapes",
    "validate_graph_sparql",
    "validate_store_sparql",
]

_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

# Datatypes whose lexical forms Oxigraph can check by casting (an ill-typed literal such as
# "abc"^^xsd:integer fails the cast, as it is ill-typed for rdflib and so for pyshacl).
_CASTABLE = {
    str(XSD[n])
    for n in (
        "integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time",
        "gYear", "gYearMonth", "gMonth", "gDay", "gMonthDay", "duration",
    )
}  # fmt: skip

# Constraint parameters the compiler understands; anything else in a shape is refused.
_KNOWN = {
    SH[n]
    for n in (
        "path", "targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode", "property",
        "message", "name", "description", "order", "group", "severity", "deactivated",
        "class", "datatype", "nodeKind", "minCount", "maxCount", "minInclusive", "maxInclusive",
        "minExclusive", "maxExclusive", "minLength", "maxLength", "pattern", "flags", "in",
        "hasValue", "node", "or", "and", "not", "qualifiedValueShape", "qualifiedMinCount",
        "qualifiedMaxCount", "sparql", "defaultValue",
    )
}  # fmt: skip


# Parameters that say nothing about conformance (or are read with another parameter).
_ANNOTATIONS = {
    SH[n]
    for n in (
        "path", "targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode", "message",
        "name", "description", "order", "group", "severity", "flags", "deactivated",
        "defaultValue", "qualifiedMinCount", "qualifiedMaxCount",
    )
}  # fmt: skip


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature this compiler does not translate."""


@dataclass(frozen=True)
class Check:
    """One constraint as a query whose rows are violations: ``?this`` (the focus node),
    ``?value`` when the component reports one, and a SPARQL constraint's own variables."""

    shape: object  # the shape carrying the constraint (a property shape or a node shape)
    path: object | None  # an rdflib path term, or None
    component: str  # local name of the constraint component
    query: str
    has_value: bool
    messages: dict[str, str] = field(default_factory=dict)
    severity: str = "Violation"
    nested: tuple[Check, ...] = ()  # sh:node: the node shape's checks over every value
    # Several per-value constraints of one shape in one pass: ``(variable, component)``, a
    # row being a violation of each component whose variable is true.
    flags: tuple[tuple[str, str], ...] = ()


# ---- terms and paths -----------------------------------------------------------------------
def _term(node) -> str:
    if isinstance(node, URIRef | Literal):
        return node.n3()
    raise UnsupportedShape(f"a blank node {node} where a value was expected")


def _path(sg: Graph, path) -> str:
    """A SHACL property path as a SPARQL property path."""
    if isinstance(path, URIRef):
        return path.n3()
    if (path, RDF.first, None) in sg:
        return "(" + "/".join(_path(sg, p) for p in Collection(sg, path)) + ")"
    for pred, fmt in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = sg.value(path, pred)
        if inner is not None:
            return "(" + fmt.format(_path(sg, inner)) + ")"
    alternatives = sg.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path(sg, p) for p in Collection(sg, alternatives)) + ")"
    raise UnsupportedShape(f"unknown property path {path}")


def _subclasses(cls) -> str:
    """A placeholder for ``cls`` and its subclasses, filled from the data at run time
    (``rdf:type/rdfs:subClassOf*`` per node is many times slower in Oxigraph)."""
    return f"@@SUBCLASSES {_term(cls)}@@"


_PLACEHOLDER = re.compile(r"@@SUBCLASSES <([^>]*)>@@")
_NODES = "@@NODES@@"  # in a ``sh:node`` check: the values that failed the nested shape


class _Vars:
    """Fresh variable names for nested patterns."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"?_v{self.n}"


def _regex_literal(text: str) -> str:
    return Literal(text).n3()


# ---- per-value conditions ------------------------------------------------------------------
def _value_violation(sg: Graph, shape, pred, obj, v: str, fresh: _Vars) -> str | None:
    """A SPARQL expression true when the value ``v`` violates the parameter ``pred obj``, or
    None when ``pred`` is not a per-value constraint."""
    if pred == SH["class"]:
        t = fresh()
        return f"NOT EXISTS {{ {v} {_TYPE} {t} VALUES {t} {{ {_subclasses(obj)} }} }}"
    if pred == SH.datatype:
        dt = str(obj)
        if obj == RDF.langString:
            ok = f"(isLiteral({v}) && lang({v}) != '')"
        elif obj == XSD.string:
            ok = f"(isLiteral({v}) && datatype({v}) = {_term(obj)} && lang({v}) = '')"
        else:
            ok = f"(isLiteral({v}) && datatype({v}) = {_term(obj)})"
            if dt in _CASTABLE:
                ok = f"({ok} && COALESCE(isLiteral({_term(obj)}(STR({v}))), false))"
        return f"!{ok}"
    if pred == SH.nodeKind:
        kinds = {
            SH.IRI: f"isIRI({v})",
            SH.BlankNode: f"isBlank({v})",
            SH.Literal: f"isLiteral({v})",
            SH.BlankNodeOrIRI: f"!isLiteral({v})",
            SH.BlankNodeOrLiteral: f"!isIRI({v})",
            SH.IRIOrLiteral: f"!isBlank({v})",
        }
        return f"!({kinds[obj]})"
    if pred in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
        op = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">",
              SH.maxExclusive: "<"}[pred]  # fmt: skip
        return f"!COALESCE(isLiteral({v}) && {v} {op} {_term(obj)}, false)"
    if pred == SH.minLength:
        return f"(isBlank({v}) || STRLEN(STR({v})) < {int(obj)})"
    if pred == SH.maxLength:
        return f"(isBlank({v}) || STRLEN(STR({v})) > {int(obj)})"
    if pred == SH.pattern:
        flags = sg.value(shape, SH.flags)
        args = _regex_literal(str(obj)) + (f", {_regex_literal(str(flags))}" if flags else "")
        return f"(isBlank({v}) || !REGEX(STR({v}), {args}))"
    if pred == SH["in"]:
        members = list(Collection(sg, obj))
        same = " || ".join(f"sameTerm({v}, {_term(m)})" for m in members) or "false"
        return f"!({same})"
    if pred == SH.node:
        return f"!({_conforms(sg, obj, v, fresh)})"
    if pred == SH["or"]:
        alts = [_conforms(sg, s, v, fresh) for s in Collection(sg, obj)]
        return "!(" + " || ".join(alts) + ")"
    if pred == SH["and"]:
        parts = [_conforms(sg, s, v, fresh) for s in Collection(sg, obj)]
        return "!(" + " && ".join(parts) + ")"
    if pred == SH["not"]:
        return _conforms(sg, obj, v, fresh)
    return None


def _minus(sg: Graph, pred, obj, v: str, fresh: _Vars) -> str | None:
    """For ``sh:class``, and ``sh:or`` over shapes that are each one ``sh:class``: MINUS
    patterns that drop the rows whose ``v`` conforms, or None for any other parameter.

    The same rows as ``FILTER NOT EXISTS { v rdf:type C }``, as an anti-join: Oxigraph reads
    the instances of C once instead of looking each value up (7x faster at 10k initiatives
    for ``iatp:country``, 6x for a membership's member, an organisation or a person).
    """
    if pred == SH["class"]:
        t = fresh()
        return f"MINUS {{ {v} {_TYPE} {t} VALUES {t} {{ {_subclasses(obj)} }} }}"
    if pred != SH["or"]:
        return None
    parts = []
    for alternative in Collection(sg, obj):  # a value fails sh:or when it fails every one
        params = [
            (p, o)
            for p, o in sg.predicate_objects(alternative)
            if str(p).startswith(str(SH)) and p not in _ANNOTATIONS
        ]
        if len(params) != 1 or params[0][0] != SH["class"]:
            return None
        parts.append(_minus(sg, *params[0], v, fresh))
    return " ".join(parts) if parts else None


def _conforms(sg: Graph, shape, x: str, fresh: _Vars) -> str:
    """A SPARQL expression true when the node ``x`` conforms to ``shape`` (nested shapes)."""
    parts: list[str] = []
    path = sg.value(shape, SH.path)
    for pred, obj in sorted(sg.predicate_objects(shape)):
        if not str(pred).startswith(str(SH)) or pred in _ANNOTATIONS:
            continue
        if pred not in _KNOWN or pred in (SH.sparql, SH.qualifiedValueShape):
            raise UnsupportedShape(f"{pred} in a nested shape {shape}")
        if pred == SH.property:
            parts.append(_conforms(sg, obj, x, fresh))
            continue
        if path is None:
            cond = _value_violation(sg, shape, pred, obj, x, fresh)
            if cond is None:
                raise UnsupportedShape(f"{pred} on a nested node shape {shape}")
            parts.append(f"!({cond})")
            continue
        p = _path(sg, path)
        if pred == SH.minCount:
            if int(obj) > 1:
                raise UnsupportedShape(f"sh:minCount {obj} in a nested shape {shape}")
            if int(obj) == 1:
                parts.append(f"EXISTS {{ {x} {p} {fresh()} }}")
            continue
        if pred == SH.maxCount:
            a, b = fresh(), fresh()
            if int(obj) == 0:
                parts.append(f"NOT EXISTS {{ {x} {p} {a} }}")
            elif int(obj) == 1:
                parts.append(
                    f"NOT EXISTS {{ {x} {p} {a} . {x} {p} {b} FILTER (!sameTerm({a}, {b})) }}"
                )
            else:
                raise UnsupportedShape(f"sh:maxCount {obj} in a nested shape {shape}")
            continue
        if pred == SH.hasValue:
            parts.append(f"EXISTS {{ {x} {p} {_term(obj)} }}")
            continue
        v = fresh()
        cond = _value_violation(sg, shape, pred, obj, v, fresh)
        if cond is None:
            raise UnsupportedShape(f"{pred} in a nested shape {shape}")
        parts.append(f"NOT EXISTS {{ {x} {p} {v} FILTER ({cond}) }}")
    return "(" + " && ".join(parts) + ")" if parts else "true"


# ---- top-level shapes ----------------------------------------------------------------------
def _focus(sg: Graph, shape) -> str | None:
    """The group pattern binding ``?this`` to each focus node of a node shape, or None."""
    parts = []
    classes = list(sg.objects(shape, SH.targetClass))
    if (shape, RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class")) in sg:
        classes.append(shape)
    for n, c in enumerate(classes):
        parts.append(f"{{ ?this {_TYPE} ?_c{n} VALUES ?_c{n} {{ {_subclasses(c)} }} }}")
    for p in sg.objects(shape, SH.targetSubjectsOf):
        parts.append(f"{{ ?this {_term(p)} ?_t }}")
    for p in sg.objects(shape, SH.targetObjectsOf):
        parts.append(f"{{ ?_t {_term(p)} ?this }}")
    nodes = list(sg.objects(shape, SH.targetNode))
    if nodes:
        parts.append("{ VALUES ?this { " + " ".join(_term(n) for n in nodes) + " } }")
    if not parts:
        return None
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _targeted_path(sg: Graph, shape) -> str | None:
    """The predicate whose subjects are exactly the focus nodes (the only target is one
    ``sh:targetSubjectsOf``), or None: a value along that path needs no focus check."""
    targets = [(p, o) for p, o in sg.predicate_objects(shape) if p in _TARGETS]
    if len(targets) == 1 and targets[0][0] == SH.targetSubjectsOf:
        return _term(targets[0][1])
    return None


_TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}


def _messages(sg: Graph, node) -> dict[str, str]:
    return {(m.language or "en"): str(m) for m in sg.objects(node, SH.message)}


def _severity(sg: Graph, node) -> str:
    sev = sg.value(node, SH.severity)
    return str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation"


def _prefixes(sg: Graph, constraint) -> str:
    out = []
    for ontology in sg.objects(constraint, SH.prefixes):
        for decl in sg.objects(ontology, SH.declare):
            out.append(f"PREFIX {sg.value(decl, SH.prefix)}: <{sg.value(decl, SH.namespace)}>")
    return "\n".join(out)


def _shape_checks(
    sg: Graph, shape, focus: str, owner_messages: dict[str, str], targeted: str | None = None
) -> list[Check]:
    """Checks for one shape (node or property) over the focus pattern ``focus``; every
    subject of the predicate ``targeted`` is a focus node (see ``_targeted_path``)."""
    if (shape, SH.deactivated, Literal(True)) in sg:
        return []
    checks: list[Check] = []
    path = sg.value(shape, SH.path)
    messages = _messages(sg, shape) or owner_messages
    severity = _severity(sg, shape)
    fresh = _Vars()
    p = _path(sg, path) if path is not None else None
    values = f"?this {p} ?value ." if p else "BIND (?this AS ?value)"
    # Where a value implies its focus node (``sh:targetSubjectsOf rdfs:label`` and a label's
    # length), the focus pattern, a pass over the same predicate, is left out.
    value_focus = "" if p is not None and p == targeted else focus
    per_value: list[tuple[str, str]] = []  # (component, violation condition on ?value)
    for pred, obj in sorted(sg.predicate_objects(shape)):
        if not str(pred).startswith(str(SH)):
            continue
        if pred not in _KNOWN:
            raise UnsupportedShape(f"{pred} in {shape}")
        if pred in _ANNOTATIONS:
            continue

        def add(component: str, query: str, has_value: bool, nested=(), pred=pred) -> None:
            checks.append(
                Check(shape, path, component, query, has_value, messages, severity, nested)
            )

        if pred == SH.property:
            checks.extend(_shape_checks(sg, obj, focus, {}, targeted))
        elif pred == SH.minCount and p:
            n = int(obj)
            if n == 1:  # an anti-join: one pass over the path, not one lookup per node
                q = f"SELECT ?this WHERE {{ {focus} MINUS {{ ?this {p} ?_v }} }}"
            else:
                q = (
                    f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {p} ?_v }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) < {n})"
                )
            if n > 0:
                add("MinCountConstraintComponent", q, False)
        elif pred == SH.maxCount and p:
            # The nodes with too many values first (one grouped pass over the path), then
            # those of them that are focus nodes: few rows meet the focus pattern.
            n = int(obj)
            if n == 0:
                holders = f"SELECT DISTINCT ?this WHERE {{ ?this {p} ?_v }}"
            else:
                holders = (
                    f"SELECT ?this WHERE {{ ?this {p} ?_v }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) > {n})"
                )
            q = f"SELECT ?this WHERE {{ {{ {holders} }} {value_focus} }}"
            add("MaxCountConstraintComponent", q, False)
        elif pred == SH.hasValue:
            target = f"?this {p} {_term(obj)}" if p else f"FILTER (!sameTerm(?this, {_term(obj)}))"
            if p:  # as for sh:minCount, an anti-join (20x for a line of action's scheme)
                q = f"SELECT ?this WHERE {{ {focus} MINUS {{ {target} }} }}"
            else:
                q = f"SELECT ?this WHERE {{ {focus} {target} }}"
            add("HasValueConstraintComponent", q, False)
        elif pred == SH.qualifiedValueShape:
            if (shape, SH.qualifiedValueShapesDisjoint, Literal(True)) in sg:
                raise UnsupportedShape(f"sh:qualifiedValueShapesDisjoint in {shape}")
            ok = _conforms(sg, obj, "?_q", fresh)
            lo, hi = sg.value(shape, SH.qualifiedMinCount), sg.value(shape, SH.qualifiedMaxCount)
            if lo is not None:
                q = (
                    f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {p} ?_q FILTER ({ok}) }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_q) < {int(lo)})"
                )
                add("QualifiedMinCountConstraintComponent", q, False)
            if hi is not None:
                q = (
                    f"SELECT ?this WHERE {{ {focus} ?this {p} ?_q FILTER ({ok}) }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_q) > {int(hi)})"
                )
                add("QualifiedMaxCountConstraintComponent", q, False)
        elif pred == SH.sparql:
            select = str(sg.value(obj, SH.select))
            q = f"{_prefixes(sg, obj)}\nSELECT * WHERE {{ {focus} {{ {select} }} }}"
            checks.append(
                Check(
                    shape,
                    path,
                    "SPARQLConstraintComponent",
                    q,
                    True,
                    _messages(sg, obj) or messages,
                    _severity(sg, obj),
                )
            )
        elif pred in (SH.minCount, SH.maxCount):
            raise UnsupportedShape(f"{pred} without sh:path in {shape}")
        elif pred == SH.node:
            # Set-based: the nested shape's violations over every value of the path (these
            # are also pyshacl's nested results), then the focus nodes holding such a value.
            # ``_NODES`` stands for the failing values, given when the query runs.
            if p:
                inner = f"{{ SELECT DISTINCT ?this WHERE {{ ?_o {p} ?this }} }}"
                q = f"SELECT DISTINCT ?this ?value WHERE {{ {_NODES} ?this {p} ?value {focus} }}"
            else:
                inner = focus
                q = f"SELECT ?this WHERE {{ {_NODES} {focus} }}"
            nested = tuple(_shape_checks(sg, obj, inner, {}))
            add("NodeConstraintComponent", q, True, nested)
        else:
            minus = _minus(sg, pred, obj, "?value", fresh)
            cond = None if minus else _value_violation(sg, shape, pred, obj, "?value", fresh)
            if minus is None and cond is None:
                raise UnsupportedShape(f"{pred} in {shape}")
            name = {
                SH["class"]: "Class", SH.datatype: "Datatype", SH.nodeKind: "NodeKind",
                SH.minInclusive: "MinInclusive", SH.maxInclusive: "MaxInclusive",
                SH.minExclusive: "MinExclusive", SH.maxExclusive: "MaxExclusive",
                SH.minLength: "MinLength", SH.maxLength: "MaxLength", SH.pattern: "Pattern",
                SH["in"]: "In", SH.node: "Node", SH["or"]: "Or", SH["and"]: "And",
                SH["not"]: "Not",
            }[pred]  # fmt: skip
            if cond is not None:  # checked below, with the shape's other such conditions
                per_value.append((f"{name}ConstraintComponent", cond))
                continue
            if p:  # the failing values over the whole path first, then the focus nodes
                q = (
                    f"SELECT ?this ?value WHERE {{ {{ SELECT DISTINCT ?this ?value WHERE "
                    f"{{ ?this {p} ?value {minus} }} }} {value_focus} }}"
                )
            else:
                q = f"SELECT ?this ?value WHERE {{ {focus} BIND (?this AS ?value) {minus} }}"
            add(f"{name}ConstraintComponent", q, True)
    if per_value:
        # One pass over the values for all of them (a point's latitude: datatype and both
        # bounds), each condition bound to a flag the row carries.
        flags = tuple((f"?_f{n}", component) for n, (component, _) in enumerate(per_value))
        binds = " ".join(
            f"BIND ({cond} AS {var})" for (var, _), (_, cond) in zip(flags, per_value, strict=True)
        )
        row = f"?this ?value {' '.join(var for var, _ in flags)}"
        failing = f"{values} {binds} FILTER ({' || '.join(var for var, _ in flags)})"
        if p:  # as above, the failing values first: 2x faster for a membership's source
            q = f"SELECT {row} WHERE {{ {{ SELECT DISTINCT {row} WHERE {{ {failing} }} }} {value_focus} }}"
        else:
            q = f"SELECT DISTINCT {row} WHERE {{ {focus} {failing} }}"
        component = "+".join(c for _, c in flags)
        checks.append(Check(shape, path, component, q, True, messages, severity, flags=flags))
    return checks


def compile_shapes(shapes: Graph | None = None) -> tuple[Check, ...]:
    """Every constraint of every targeted shape (of ``shapes/`` by default), as a violation
    query. Raises :class:`UnsupportedShape` for a feature the compiler does not translate."""
    return _compile(load_shapes()) if shapes is None else _compile(shapes)


@cache
def _compile(sg: Graph) -> tuple[Check, ...]:
    checks: list[Check] = []
    for shape in sorted(set(sg.subjects(RDF.type, SH.NodeShape)), key=str):
        focus = _focus(sg, shape)
        if focus is not None:
            checks.extend(_shape_checks(sg, shape, focus, {}, _targeted_path(sg, shape)))
    return tuple(checks)


# ---- running -------------------------------------------------------------------------------
def _text(term) -> str | None:
    return None if term is None else term.value


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(message: str, row: dict) -> str:
    def sub(m: re.Match) -> str:
        value = row.get(m.group(1))
        return value.value if value is not None else m.group(0)

    return _TEMPLATE.sub(sub, message)


@dataclass
class _Result:
    check: Check
    component: str
    focus: object  # pyoxigraph term
    value: object | None
    path: object | None
    messages: dict[str, str]
    details: list[_Result] = field(default_factory=list)


class _Runner:
    """Runs checks over one store and dataset, filling the subclass placeholders once."""

    def __init__(self, store, graphs) -> None:
        self.store = store
        self.graphs = graphs  # None: the union of all graphs
        self._subclasses: dict[str, str] = {}
        # A nested shape reached through the same path from two shapes (a geometry's point,
        # from initiatives and from municipalities) is the same query: run it once.
        self._nested: dict[str, list[_Result]] = {}
        self._nested_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _query(self, text: str, substitutions=None):
        text = _PLACEHOLDER.sub(lambda m: self.subclasses(m.group(1)), text)
        return self.store.query(
            text,
            default_graph=self.graphs,
            union_default_graph=self.graphs is None,
            substitutions=substitutions,
        )

    def subclasses(self, cls: str) -> str:
        if cls not in self._subclasses:
            rows = self._query(f"SELECT DISTINCT ?c WHERE {{ ?c {_SUBCLASS}* <{cls}> }}")
            found = {r["c"] for r in rows if isinstance(r["c"], ox.NamedNode)}
            found.add(ox.NamedNode(cls))
            self._subclasses[cls] = " ".join(sorted(str(c) for c in found))
        return self._subclasses[cls]

    def rows(self, text: str, substitutions=None) -> list[dict]:
        solutions = self._query(text, substitutions)
        names = [v.value for v in solutions.variables]
        return [{n: sol[n] for n in names} for sol in solutions]

    def run(self, check: Check) -> list[_Result]:
        if check.nested:
            return self._run_node(check)
        out = []
        for row in self.rows(check.query):
            if not check.flags:
                out.append(self._result(check, row))
                continue
            for var, component in check.flags:
                flag = row.get(var[1:])
                if flag is not None and flag.value == "true":
                    out.append(self._result(check, row, component))
        return out

    def _result(self, check: Check, row: dict, component: str | None = None) -> _Result:
        this = row["this"]
        value = row.get("value") if check.has_value else None
        path = check.path
        if check.component == "SPARQLConstraintComponent":
            value = value or this
            if row.get("path") is not None:
                path = _to_rdflib(row["path"])
        messages = {lang: _fill(m, row) for lang, m in check.messages.items()}
        return _Result(check, component or check.component, this, value, path, messages)

    def _run_once(self, check: Check) -> list[_Result]:
        with self._lock:
            lock = self._nested_locks.setdefault(check.query, threading.Lock())
        with lock:  # another thread running the same query: wait for its results
            if check.query not in self._nested:
                self._nested[check.query] = self.run(check)
            return self._nested[check.query]

    def _run_node(self, check: Check) -> list[_Result]:
        """``sh:node``: the values that violate the nested shape, then who holds them."""
        failing: dict[object, list[_Result]] = {}
        for nested in check.nested:
            for r in self._run_once(nested):
                failing.setdefault(r.focus, []).append(r)
        # Who holds them: one query for all the named ones (a query per value evaluated the
        # focus pattern each time: 52 failing periods took 19 of 28 CPU seconds at 10k
        # initiatives); a blank node cannot be written in VALUES, so it is bound instead.
        var = "value" if check.path is not None else "this"
        named = [v for v in failing if not isinstance(v, ox.BlankNode)]
        rows = []
        if named:
            values = f"VALUES ?{var} {{ {' '.join(str(v) for v in named)} }}"
            rows += self.rows(check.query.replace(_NODES, values))
        for value in failing:
            if isinstance(value, ox.BlankNode):
                bound = self.rows(check.query.replace(_NODES, ""), {ox.Variable(var): value})
                rows += [{**r, var: value} for r in bound]
        out = []
        for row in rows:
            value = row[var]
            result = self._result(check, {**row, "value": value})
            result.details = failing[value]
            out.append(result)
        return out


def _dataset(store):
    """The public graphs, or None (the union of all graphs, several times faster in Oxigraph)
    when the store has no private graph."""
    public = store.public_graphs()
    return None if len(public) == len(store.named_graphs()) else public


def _run_all(runner: _Runner, checks: Sequence[Check], workers: int) -> list[_Result]:
    for check in checks:  # fill the placeholders before the threads share the cache
        _PLACEHOLDER.sub(lambda m: runner.subclasses(m.group(1)), check.query)
    if workers <= 1:  # a small graph: no pool (its hand-offs cost more than the queries)
        return [r for check in checks for r in runner.run(check)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        batches = list(pool.map(runner.run, checks))
    return [r for batch in batches for r in batch]


def _report(results: Iterable[_Result]) -> ValidationReport:
    """A ValidationReport (graph, text, violations) in pyshacl's vocabulary; ``sh:node``
    failures carry their nested results as ``sh:detail``, as pyshacl's do."""
    g = Graph()
    g.bind("sh", SH)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    violations: list[Violation] = []
    lines = []

    def add(r: _Result, parent) -> None:
        node = BNode()
        g.add((parent, SH.detail if parent != report else SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, _to_rdflib(r.focus)))
        if r.path is not None:
            g.add((node, SH.resultPath, r.path))
        if r.value is not None:
            g.add((node, SH.value, _to_rdflib(r.value)))
        g.add((node, SH.resultSeverity, SH[r.check.severity]))
        g.add((node, SH.sourceShape, r.check.shape))
        g.add((node, SH.sourceConstraintComponent, SH[r.component]))
        for lang, text in r.messages.items():
            g.add((node, SH.resultMessage, Literal(text, lang=lang)))
        violations.append(
            Violation(
                focus=_text(r.focus) or "",
                path=None if r.path is None else str(r.path),
                value=_text(r.value),
                severity=r.check.severity,
                message_en=r.messages.get("en") or next(iter(r.messages.values()), ""),
                message_es=r.messages.get("es") or r.messages.get("en") or "",
                shape=str(r.check.shape),
                constraint=r.component,
            )
        )
        lines.append(f"{r.component}: {_text(r.focus)} {r.path or ''} {_text(r.value) or ''}")
        for d in r.details:
            add(d, node)

    for r in results:
        add(r, report)
    conforms = not any(v.severity == "Violation" for v in violations)
    g.add((report, SH.conforms, Literal(conforms)))
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message_en))
    text = f"Validation Report\nConforms: {conforms}\nResults ({len(lines)}):\n" + "\n".join(lines)
    return ValidationReport(conforms, g, text, violations)


def validate_store_sparql(
    store, *, focus_graph: ox.NamedNode | None = None, workers: int = 2
) -> ValidationReport:
    """Validate the union of the store's public graphs, in Oxigraph.

    The store must hold the ontology and the SKOS schemes (a seeded store does): subclass
    axioms and value sets are read from it. ``focus_graph`` keeps only results about nodes
    described in that graph (a batch checked against everything else). ``workers`` threads
    run the queries (pyoxigraph evaluates them without holding the GIL).
    """
    results = _run_all(_Runner(store, _dataset(store)), compile_shapes(), workers)
    if focus_graph is not None:
        described: dict[object, bool] = {}
        for r in results:
            if r.focus not in described:
                described[r.focus] = (
                    next(iter(store.quads(r.focus, None, None, focus_graph)), None) is not None
                )
        results = [r for r in results if described[r.focus]]
    return _report(results)


_GRAPH = "urn:x-iatp:validation"


@cache
def _reference_quads() -> tuple[ox.Quad, ...]:
    return tuple(rdflib_to_quads(load_reference(), _GRAPH))


def validate_graph_sparql(
    data: Graph, *, context: Graph | None = None, whole: bool = False
) -> ValidationReport:
    """The SPARQL engine on an rdflib graph, as ``validation.validate_graph`` runs pyshacl:
    ``data`` with ``context`` and the reference vocabularies, in an in-memory store. Only
    results about subjects of ``data`` are kept, unless ``whole``."""
    from iatp_kg.store import Store

    store = Store.in_memory()  # straight into Oxigraph: merging rdflib graphs cost more
    quads = rdflib_to_quads(data, _GRAPH)
    if context is not None:
        quads += rdflib_to_quads(context, _GRAPH)
    store.add_quads([*quads, *_reference_quads()])
    results = _run_all(_Runner(store, None), compile_shapes(), 1)
    if not whole:
        subjects = {str(s) for s in data.subjects()}
        results = [r for r in results if str(_to_rdflib(r.focus)) in subjects]
    return _report(results)
