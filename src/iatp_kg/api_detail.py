"""One resource of the REST facade as a JSON-LD document: a CONSTRUCT with the resource's IRI
bound as a term (``?s``, never pasted text), framed around that IRI and compacted against the
published context, so that an initiative nests its territory, sectors and memberships (with
their actors, roles and period), and an actor nests the memberships it holds.

Contact predicates are left out of every CONSTRUCT as a second line of defence: the public
graphs hold none, and the executor reads only the public graphs.
"""

from __future__ import annotations

import asyncio

from iatp_kg import jsonld, reads
from iatp_kg.context import AppContext

# Never emitted, whatever a public graph might hold.
CONTACT = (
    "<https://schema.org/email>, <https://schema.org/telephone>, "
    "<http://www.w3.org/2006/vcard/ns#hasEmail>, <http://www.w3.org/2006/vcard/ns#hasTelephone>, "
    "<http://xmlns.com/foaf/0.1/mbox>, <http://xmlns.com/foaf/0.1/phone>, "
    "<https://w3id.org/iatp/ontology#contactPerson>"
)
_CONCEPT = (
    "iatp:sector|iatp:initiativeKind|iatp:status|iatp:maturityLevel|iatp:governanceModel"
    "|iatp:legalForm|iatp:lineOfAction|iatp:addressesChallenge|iatp:sourceSector"
    "|iatp:actorSector|iatp:firmSize"
)
INITIATIVE = f"""
CONSTRUCT {{
  ?s ?p ?o . ?g ?gp ?go . ?m ?mp ?mo . ?d ?dp ?do . ?x ?xp ?xo .
  ?a a ?atype ; rdfs:label ?alabel ; iatp:actorSector ?asec .
  ?t a ?ttype ; rdfs:label ?tlabel ; iatp:iso3166Alpha2 ?tcode ; iatp:iso3166_2Code ?tsub .
  ?c skos:prefLabel ?clabel ; skos:notation ?cnot .
}} WHERE {{
  {{ ?s ?p ?o FILTER(?p NOT IN ({CONTACT})) }}
  UNION {{ ?s geo:hasGeometry ?g . ?g ?gp ?go }}
  UNION {{ ?m org:organization ?s ; ?mp ?mo }}
  UNION {{ ?m org:organization ?s ; org:memberDuring ?d . ?d ?dp ?do }}
  UNION {{ ?m org:organization ?s ; org:memberDuring/(time:hasBeginning|time:hasEnd) ?x .
          ?x ?xp ?xo }}
  UNION {{ ?m org:organization ?s ; org:member ?a . ?a a ?atype ; rdfs:label ?alabel .
          OPTIONAL {{ ?a iatp:actorSector ?asec }} }}
  UNION {{ ?s iatp:country|iatp:locatedIn ?t . ?t a ?ttype ; rdfs:label ?tlabel .
          OPTIONAL {{ ?t iatp:iso3166Alpha2 ?tcode }} OPTIONAL {{ ?t iatp:iso3166_2Code ?tsub }} }}
  UNION {{ ?s {_CONCEPT} ?c . ?c skos:prefLabel ?clabel . OPTIONAL {{ ?c skos:notation ?cnot }} }}
  UNION {{ ?m org:organization ?s ; org:role|(org:member/iatp:actorSector) ?c .
          ?c skos:prefLabel ?clabel . OPTIONAL {{ ?c skos:notation ?cnot }} }}
}}"""
ACTOR = f"""
CONSTRUCT {{
  ?s ?p ?o . ?m ?mp ?mo . ?d ?dp ?do . ?x ?xp ?xo .
  ?i a ?itype ; rdfs:label ?ilabel .
  ?t a ?ttype ; rdfs:label ?tlabel ; iatp:iso3166Alpha2 ?tcode .
  ?c skos:prefLabel ?clabel ; skos:notation ?cnot .
  ?y rdfs:label ?ylabel .
}} WHERE {{
  {{ ?s ?p ?o FILTER(?p NOT IN ({CONTACT})) }}
  UNION {{ ?m org:member ?s ; ?mp ?mo }}
  UNION {{ ?m org:member ?s ; org:memberDuring ?d . ?d ?dp ?do }}
  UNION {{ ?m org:member ?s ; org:memberDuring/(time:hasBeginning|time:hasEnd) ?x . ?x ?xp ?xo }}
  UNION {{ ?m org:member ?s ; org:organization ?i . ?i a ?itype ; rdfs:label ?ilabel }}
  UNION {{ ?s iatp:country ?t . ?t a ?ttype ; rdfs:label ?tlabel .
          OPTIONAL {{ ?t iatp:iso3166Alpha2 ?tcode }} }}
  UNION {{ ?s {_CONCEPT} ?c . ?c skos:prefLabel ?clabel . OPTIONAL {{ ?c skos:notation ?cnot }} }}
  UNION {{ ?m org:member ?s ; org:role ?c . ?c skos:prefLabel ?clabel .
          OPTIONAL {{ ?c skos:notation ?cnot }} }}
  UNION {{ ?s org:subOrganizationOf ?y . ?y rdfs:label ?ylabel }}
}}"""
OTHER = f"""
CONSTRUCT {{ ?s ?p ?o . ?g ?gp ?go . ?x rdfs:label ?xlabel . ?c skos:prefLabel ?clabel ;
             skos:notation ?cnot }}
WHERE {{
  {{ ?s ?p ?o FILTER(?p NOT IN ({CONTACT})) }}
  UNION {{ ?s ?link ?g . FILTER(isIRI(?g) && STRSTARTS(STR(?g), CONCAT(STR(?s), "#")))
          ?g ?gp ?go FILTER(?gp NOT IN ({CONTACT})) }}
  UNION {{ ?s ?p2 ?x . ?x rdfs:label ?xlabel }}
  UNION {{ ?s ?p3 ?c . ?c skos:prefLabel ?clabel . OPTIONAL {{ ?c skos:notation ?cnot }} }}
}}"""
QUERIES = {"initiatives": INITIATIVE, "actors": ACTOR}
# Reverse properties are embedded only when the frame names them.
FRAMES = {"initiatives": {"memberships": {}}, "actors": {"memberOf": {}}}


async def document(ctx: AppContext, resource: str, iri: str) -> dict:
    """The framed, compacted node of ``iri`` with the context URL first."""
    query = QUERIES.get(resource, OTHER)
    nt = await reads.graph(ctx, query, "application/n-triples", s=reads.iri(iri))
    frame = {**FRAMES.get(resource, {}), "@requireAll": False}
    nodes = await asyncio.to_thread(
        jsonld.frame_nodes, nt.decode(), [iri], frame, ctx.settings.base_iri
    )
    node = nodes.get(iri) or {"id": iri}
    first = {k: node[k] for k in ("id", "type", "name") if k in node}
    return {"@context": jsonld.context_url(ctx.settings.base_iri), **first, **node}
