"""Synthetic prestations and evaluation queries for search (seeded, so always the same).

`python tests/data/search/synthetic.py` rewrites eval_set.json beside this file. The
relevant prestations of each query are found by a condition on the generated fields,
not picked by hand, so they stay right when the generator changes.
"""

import json
import random
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EVAL_SET = HERE / "eval_set.json"
# Relative date phrases in the queries ("last autumn") count from this day.
EVAL_TODAY = date(2026, 12, 5)

FIRST_NAMES = (
    "Claire", "Marc", "Julie", "Thomas", "Sophie", "Paul", "Camille", "Lucas", "Emma", "Hugo",
    "Sarah", "Nicolas", "Laura", "Antoine", "Manon", "Pierre", "Élodie", "François", "Noémie",
    "Zoé", "Loïc", "Cécile", "Benoît", "Thérèse", "Agnès", "Mathéo", "Léa", "Chloé", "Anaïs",
    "Raphaël", "Inès", "Jérémy", "Maëlys", "Stéphane", "Hélène",
)
LAST_NAMES = (
    "Gauthier", "Rousseau", "Mercier", "Girard", "Bonnet", "Chevalier", "Fontaine", "Garnier",
    "Lambert", "Faure", "Brunet", "Blanc", "Guérin", "Boyer", "Roux", "Fournier", "Morel",
    "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Leroy", "David", "Bertrand", "Petit",
    "Durand", "Richard", "Perrin", "Clément", "Gérard", "Hébert", "Prévost", "Noël", "Renaud",
    "Dumas", "Barbier", "Marchand", "Lemaître", "Carré", "Rivière", "Aubert", "Crémieux",
)
EVENT_TYPES = (
    ("Mariage", 25), ("Anniversaire", 15), ("Baptême", 8), ("Séminaire", 18),
    ("Soirée d'entreprise", 12), ("Cocktail", 10), ("Repas de famille", 12),
)
PLACES = (
    "Domaine des Tilleuls, 12 route des Vignes, 69380 Lozanne",
    "Salle des fêtes, place de la Mairie, 69290 Craponne",
    "Espace Tête d'Or, 103 boulevard de Stalingrad, 69100 Villeurbanne",
    "Hôtel de ville, 1 place de la Comédie, 69001 Lyon",
    "Maison des associations, 28 rue Paul Bert, 69003 Lyon",
    "Le Grand Réfectoire, 1 place de l'Hôpital, 69002 Lyon",
    "Parc de la Tête d'Or, 69006 Lyon",
    "Campus Région, 101 cours Charlemagne, 69002 Lyon Confluence",
    "Pavillon 52, 52 quai Rambaud, 69002 Lyon Confluence",
    "Mas des Oliviers, chemin des Crêtes, 26110 Nyons",
    "Villa Florentine, 25 montée Saint-Barthélémy, 69005 Lyon",
    "Moulin de la Garde, 01600 Trévoux",
    "Ferme de la Cerisaie, 38200 Vienne",
    "Restaurant scolaire, 4 rue Pasteur, 69800 Saint-Priest",
    "Centre de congrès, 50 quai Charles de Gaulle, 69006 Lyon",
    "Jardin privé, 7 impasse des Lilas, 69570 Dardilly",
)
OPTIONS = (
    ("Cocktail dînatoire 12 pièces", 10), ("Cocktail dînatoire 18 pièces", 6),
    ("Buffet froid", 10), ("Buffet chaud et froid", 10), ("Menu assis 3 plats", 12),
    ("Plateaux-repas", 6), ("Brunch", 2), ("Buffet de desserts", 6), ("Pièce montée", 5),
    ("Forfait boissons sans alcool", 10), ("Forfait vins (1/2 bouteille par personne)", 8),
    ("Coupe de champagne", 6), ("Serveur / maître d'hôtel", 10),
    ("Location de vaisselle", 8), ("Location mange-debout", 5),
    ("Livraison et installation", 10),
)
MESSAGES = {
    "Mariage": (
        "Bonjour, nous nous marions et cherchons un traiteur pour le vin d'honneur et le dîner.",
        "Nous organisons notre mariage et aimerions un devis pour le repas.",
        "Bonjour, pour notre mariage nous voudrions un cocktail puis un repas assis.",
    ),
    "Anniversaire": (
        "Bonjour, je fête mes 40 ans et souhaite un buffet convivial.",
        "Anniversaire surprise pour ma mère, merci de nous proposer une formule.",
        "Pour les 18 ans de notre fille, nous cherchons un buffet sucré salé.",
    ),
    "Baptême": (
        "Bonjour, baptême de notre fils après la cérémonie, repas avec la famille.",
        "Nous cherchons un traiteur pour le baptême de notre petite fille.",
    ),
    "Séminaire": (
        "Séminaire d'équipe sur deux jours, il nous faut les pauses et le déjeuner.",
        "Bonjour, nous organisons une journée de formation pour nos collaborateurs.",
        "Réunion annuelle de nos commerciaux, déjeuner sur place souhaité.",
    ),
    "Soirée d'entreprise": (
        "Soirée de fin d'année pour nos salariés, ambiance conviviale.",
        "Nous fêtons les 10 ans de la société avec nos clients et partenaires.",
    ),
    "Cocktail": (
        "Inauguration de notre boutique, cocktail pour nos clients.",
        "Vernissage à la galerie, quelques pièces salées et sucrées.",
    ),
    "Repas de famille": (
        "Réunion de famille, nous serons trois générations autour de la table.",
        "Repas de famille pour les noces d'or de mes parents.",
    ),
}
NOTES = (
    "Client rappelé, attend le devis.", "Acompte reçu.", "Voir la salle avec le client.",
    "Relancer dans une semaine.", "",
)
STATUSES = (
    ("Nouvelle demande", 30), ("Devis envoyé", 30), ("Confirmée", 25), ("À vérifier", 10),
    ("Annulée", 5),
)

# Prestations planted for the queries about a client, a need or a place, with names and
# words that the background prestations never use.
PLANTED: tuple[dict[str, Any], ...] = (
    {"client": "Claire Dupont", "event_type": "Mariage", "date": "2027-06-19", "guests": 140,
     "message": "Mariage en plein air, prévoir un chapiteau en cas de pluie."},
    {"client": "Hélène Lefèvre", "event_type": "Anniversaire", "date": "2026-03-14",
     "guests": 35},
    {"client": "Hélène Lefèvre", "event_type": "Repas de famille", "date": "2027-01-09",
     "guests": 22},
    {"client": "Jérôme Bérenger", "event_type": "Séminaire", "date": "2026-10-13", "guests": 60,
     "address": "Pavillon 52, 52 quai Rambaud, 69002 Lyon Confluence"},
    {"client": "Gaëlle Ménétrier", "event_type": "Baptême", "date": "2026-05-24", "guests": 45},
    {"client": "Noé Pérignon", "event_type": "Cocktail", "date": "2027-02-11", "guests": 25},
    {"client": "Anne-Sophie Œuvray", "event_type": "Soirée d'entreprise", "date": "2026-12-11",
     "guests": 180},
    {"client": "Yannick Le Goëdec", "event_type": "Mariage", "date": "2025-09-06", "guests": 95,
     "address": "Grange de Vaux, 01390 Saint-André-de-Corcy",
     "message": "Mariage champêtre dans une grange rénovée."},
    {"client": "Bénédicte Forgeât", "event_type": "Anniversaire", "date": "2027-04-17",
     "guests": 60, "address": "Péniche La Vagabonde, quai Augagneur, 69003 Lyon",
     "message": "Anniversaire à bord d'une péniche sur le Rhône."},
    {"client": "Mathis Carrère", "event_type": "Repas de famille", "date": "2026-08-15",
     "guests": 30, "message": "Plusieurs invités sont cœliaques : repas entièrement sans gluten."},
    {"client": "Isabelle Vautrin", "event_type": "Séminaire", "date": "2027-03-03",
     "guests": 40, "message": "Deux participants ne mangent pas de gluten, merci d'adapter."},
    {"client": "Karim Benali", "event_type": "Mariage", "date": "2027-07-03", "guests": 220,
     "message": "Repas halal pour tous les invités, et une partie végétarienne."},
    {"client": "Ophélie Daumas", "event_type": "Anniversaire", "date": "2026-06-27",
     "guests": 50, "message": "Mon fils est allergique aux arachides, aucune trace svp."},
    {"client": "Grégoire Sainte-Marie", "event_type": "Soirée d'entreprise",
     "date": "2026-11-20", "guests": 120,
     "message": "Soirée dansante avec DJ jusqu'à 2 h du matin."},
    {"client": "Rémi Castaing", "event_type": "Séminaire", "date": "2026-11-05", "guests": 80,
     "address": "Campus Région, 101 cours Charlemagne, 69002 Lyon Confluence",
     "message": "Séminaire de direction, menu végétarien pour tout le monde."},
)


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    names = [name for name, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(names, weights)[0]


def make_prestation(rng: random.Random, number: int, **fields: Any) -> dict[str, Any]:
    """Build one prestation like the mirror stores it; `fields` replace the random ones."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    client = fields.pop("client", f"{first} {last}")
    event_type = fields.pop("event_type", _weighted(rng, EVENT_TYPES))
    day = fields.pop("date", None)
    if day is None:
        day = (date(2025, 1, 1) + timedelta(days=rng.randrange(3 * 365))).isoformat()
    guests = fields.pop("guests", min(190, max(8, int(rng.gauss(70, 40)))))
    options = sorted({_weighted(rng, OPTIONS) for _ in range(rng.randint(1, 4))})
    email_name = _ascii(client).lower().replace(" ", ".").replace("'", "")
    total_ttc = round(guests * rng.uniform(25, 95), 2)
    prestation = {
        "id": f"p{number:06d}",
        "client_name": client,
        "client_email": f"{email_name}@example.fr",
        "event_type": event_type,
        "event_date": day,
        "guests": guests,
        "address": rng.choice(PLACES),
        "options": options,
        "message": rng.choice(MESSAGES[event_type]),
        "notes": rng.choice(NOTES),
        "status": _weighted(rng, STATUSES),
        "total_ttc": f"{total_ttc:.2f}",
    }
    prestation.update(fields)
    when = date.fromisoformat(prestation["event_date"])
    prestation["name"] = f"{event_type} – {client} – {when:%d/%m/%Y}"
    return prestation


def _ascii(text: str) -> str:
    import unicodedata

    text = text.replace("Œ", "Oe").replace("œ", "oe")
    return "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )


def generate_prestations(count: int, *, seed: int = 5, planted: bool = True) -> list[dict]:
    """Return `count` background prestations, then the planted ones when `planted`."""
    rng = random.Random(seed)
    rows = [make_prestation(rng, number) for number in range(count)]
    if planted:
        for offset, fields in enumerate(PLANTED):
            rows.append(make_prestation(rng, count + offset, **dict(fields)))
    return rows


Predicate = Callable[[dict[str, Any]], bool]


def _in(day: str, first: str, last: str) -> bool:
    return first <= day <= last


def _query_table() -> list[tuple[str, str, Predicate]]:
    """(kind, query, condition a relevant prestation meets)."""
    def client(name: str) -> Predicate:
        return lambda p: p["client_name"] == name

    def says(*needles: str) -> Predicate:
        return lambda p: any(n in (p["message"] + " " + p["address"]).lower() for n in needles)

    return [
        ("name", "mariage Dupont", client("Claire Dupont")),
        ("name", "what did we quote the Dupont wedding?", client("Claire Dupont")),
        ("name", "helene lefevre", client("Hélène Lefèvre")),
        ("name", "Hélène Lefèvre", client("Hélène Lefèvre")),
        ("name", "jerome berenger", client("Jérôme Bérenger")),
        ("name", "seminaire berenger", client("Jérôme Bérenger")),
        ("name", "gaelle menetrier bapteme", client("Gaëlle Ménétrier")),
        ("name", "Noe Perignon", client("Noé Pérignon")),
        ("name", "anne-sophie oeuvray", client("Anne-Sophie Œuvray")),
        ("name", "le goedec", client("Yannick Le Goëdec")),
        ("name", "Forgeat", client("Bénédicte Forgeât")),
        ("name", "karim.benali@example.fr", client("Karim Benali")),
        ("paraphrase", "client who wanted gluten-free", says("gluten", "cœliaque")),
        ("paraphrase", "intolérance au gluten", says("gluten", "cœliaque")),
        ("paraphrase", "invités coeliaques", says("gluten", "cœliaque")),
        ("paraphrase", "vegetarian menu", says("végétarien")),
        ("paraphrase", "peanut allergy", says("arachide")),
        ("paraphrase", "enfant allergique", says("arachide")),
        ("paraphrase", "barn wedding", says("grange")),
        ("paraphrase", "mariage à la ferme dans une grange", says("grange")),
        ("paraphrase", "party on a boat", says("péniche")),
        ("paraphrase", "tent in case of rain", says("chapiteau")),
        ("paraphrase", "outdoor wedding with a marquee", says("chapiteau")),
        ("paraphrase", "dancing with a DJ", says("dj")),
        ("paraphrase", "halal catering", says("halal")),
        ("date", "le séminaire à Confluence l'automne dernier",
         lambda p: p["event_type"] == "Séminaire" and "Confluence" in p["address"]
         and _in(p["event_date"], "2026-09-01", "2026-11-30")),
        ("date", "the seminar in Confluence last autumn",
         lambda p: p["event_type"] == "Séminaire" and "Confluence" in p["address"]
         and _in(p["event_date"], "2026-09-01", "2026-11-30")),
        ("date", "baptême en mai 2026",
         lambda p: p["event_type"] == "Baptême" and p["event_date"].startswith("2026-05")),
        ("date", "company party in december 2026",
         lambda p: p["event_type"] == "Soirée d'entreprise"
         and p["event_date"].startswith("2026-12")),
        ("date", "repas de famille en janvier 2027",
         lambda p: p["event_type"] == "Repas de famille"
         and p["event_date"].startswith("2027-01")),
        ("date", "anniversaires de l'été dernier",
         lambda p: p["event_type"] == "Anniversaire"
         and _in(p["event_date"], "2026-06-01", "2026-08-31")),
        ("date", "cocktail février 2027",
         lambda p: p["event_type"] == "Cocktail" and p["event_date"].startswith("2027-02")),
        ("date", "weddings next summer",
         lambda p: p["event_type"] == "Mariage"
         and _in(p["event_date"], "2027-06-01", "2027-08-31")),
        ("numeric", "mariages de plus de 100 personnes en juin 2027",
         lambda p: p["event_type"] == "Mariage" and p["guests"] > 100
         and p["event_date"].startswith("2027-06")),
        ("numeric", "weddings in june 2027 with more than 100 guests",
         lambda p: p["event_type"] == "Mariage" and p["guests"] > 100
         and p["event_date"].startswith("2027-06")),
        ("numeric", "plus de 200 invités", lambda p: p["guests"] > 200),
        ("numeric", "more than 170 guests corporate evening",
         lambda p: p["guests"] > 170 and p["event_type"] == "Soirée d'entreprise"),
        ("numeric", "cocktail pour moins de 12 personnes",
         lambda p: p["event_type"] == "Cocktail" and p["guests"] < 12),
        ("numeric", "séminaire entre 35 et 45 personnes en 2027",
         lambda p: p["event_type"] == "Séminaire" and 35 <= p["guests"] <= 45
         and p["event_date"].startswith("2027")),
        ("place", "réception au Moulin de la Garde à Trévoux en 2025",
         lambda p: "Trévoux" in p["address"] and p["event_date"].startswith("2025")),
        ("place", "baptême à Nyons",
         lambda p: p["event_type"] == "Baptême" and "Nyons" in p["address"]),
        ("status", "mariages annulés",
         lambda p: p["event_type"] == "Mariage" and p["status"] == "Annulée"),
        ("status", "anniversaires à vérifier en 2027",
         lambda p: p["event_type"] == "Anniversaire" and p["status"] == "À vérifier"
         and p["event_date"].startswith("2027")),
        ("option", "brunch en 2026",
         lambda p: "Brunch" in p["options"] and p["event_date"].startswith("2026")),
    ]


def build_eval_set() -> dict[str, Any]:
    """Return the prestations and the queries with their relevant prestation ids."""
    prestations = generate_prestations(300)
    queries = []
    for kind, text, predicate in _query_table():
        relevant = [p["id"] for p in prestations if predicate(p)]
        queries.append({"kind": kind, "query": text, "relevant": relevant})
    return {"today": EVAL_TODAY.isoformat(), "prestations": prestations, "queries": queries}


def main() -> int:
    data = build_eval_set()
    empty = [q["query"] for q in data["queries"] if not q["relevant"]]
    EVAL_SET.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sizes = [len(q["relevant"]) for q in data["queries"]]
    print(f"{len(data['prestations'])} prestations, {len(sizes)} queries, "
          f"relevant per query min {min(sizes)} max {max(sizes)}; no relevant: {empty}")
    return 1 if empty else 0


if __name__ == "__main__":
    sys.exit(main())
