"""Concepts of the catering trade, in French and English, for the offline embedder.

A hashing embedder only matches spellings. This table gives words of one meaning a shared
concept ("wedding", "noces", "marions" → mariage), so "client who wanted gluten-free"
comes near "plusieurs invités cœliaques". Keys are unaccented lower-case word prefixes;
a word matches a concept when it starts with one of its prefixes.
"""

CONCEPTS: dict[str, tuple[str, ...]] = {
    "mariage": ("mariage", "mariee", "maries", "marier", "marions", "noce", "wedding", "marriage",
                "bride", "groom", "epoux"),
    "anniversaire": ("anniversaire", "anniv", "birthday", "bday"),
    "bapteme": ("bapteme", "baptism", "christening", "communion"),
    "seminaire": ("seminaire", "seminar", "conference", "congres", "formation", "offsite",
                  "workshop", "convention", "colloque"),
    "entreprise": ("entreprise", "corporate", "company", "societe", "salarie", "employe",
                   "collaborateur", "staff", "team", "equipe", "afterwork", "gala"),
    "famille": ("famille", "familial", "family", "cousin", "grand-parent", "reunion"),
    "cocktail": ("cocktail", "aperitif", "apero", "canape", "amuse", "finger"),
    "sans_gluten": ("gluten", "coeliaque", "celiac", "coeliac"),
    "vegetarien": ("vegetarien", "vegetarian", "veggie", "vegan", "vegetalien", "plant"),
    "halal": ("halal",),
    "allergie": ("allergi", "allerg", "arachide", "peanut", "noix", "nut", "lactose",
                 "intoleran"),
    "enfant": ("enfant", "child", "kid", "bebe", "baby"),
    "vin": ("vin", "wine", "champagne", "boisson", "drink", "alcool", "sommelier"),
    "dessert": ("dessert", "gateau", "cake", "montee", "patisserie", "pastry", "sucre"),
    "brunch": ("brunch", "breakfast", "petit-dejeuner"),
    "buffet": ("buffet",),
    "repas_assis": ("assis", "seated", "dinner", "diner", "dejeuner", "lunch", "menu"),
    "plateau": ("plateau", "lunchbox", "box", "tray"),
    "personnel": ("serveur", "waiter", "maitre", "service", "hotel"),
    "vaisselle": ("vaisselle", "tableware", "assiette", "plate", "verre", "glass",
                  "mange-debout", "mange"),
    "livraison": ("livraison", "delivery", "installation", "setup", "livrer", "deliver"),
    "exterieur": ("exterieur", "outdoor", "outside", "jardin", "garden", "plein", "terrasse",
                  "terrace", "parc", "park", "pelouse", "lawn"),
    "chateau": ("chateau", "castle", "domaine", "manoir", "estate", "manor"),
    "bateau": ("bateau", "peniche", "boat", "barge"),
    "grange": ("grange", "barn", "ferme", "farm"),
    "pluie": ("pluie", "rain", "chapiteau", "tente", "tent", "abri"),
    "musique": ("musique", "music", "dj", "orchestre", "band", "danse", "dance"),
    "budget": ("budget", "prix", "price", "cher", "cheap", "economique", "tarif", "cost",
               "cout", "devis", "quote"),
    "urgent": ("urgent", "vite", "rapide", "asap", "quickly"),
    "personnes": ("personne", "people", "guest", "invite", "convive", "participant",
                  "pax", "couvert"),
    "hiver": ("hiver", "winter", "noel", "christmas"),
    "printemps": ("printemps", "spring"),
    "ete": ("ete", "summer"),
    "automne": ("automne", "autumn", "fall"),
    "janvier": ("janvier", "january"),
    "fevrier": ("fevrier", "february"),
    "mars": ("mars", "march"),
    "avril": ("avril", "april"),
    "mai": ("mai", "may"),
    "juin": ("juin", "june"),
    "juillet": ("juillet", "july"),
    "aout": ("aout", "august"),
    "septembre": ("septembre", "september"),
    "octobre": ("octobre", "october"),
    "novembre": ("novembre", "november"),
    "decembre": ("decembre", "december"),
}

# Prefixes of three letters or fewer match only whole words ("vin" must not match "vingt").
_EXACT_ONLY = 3

_BY_PREFIX: list[tuple[str, str]] = sorted(
    ((prefix, concept) for concept, prefixes in CONCEPTS.items() for prefix in prefixes),
    key=lambda pair: -len(pair[0]),
)


def concepts_of(tokens: list[str]) -> list[str]:
    """Return the concepts of unaccented lower-case words, once per word that has one."""
    found: list[str] = []
    for token in tokens:
        for prefix, concept in _BY_PREFIX:
            exact = len(prefix) <= _EXACT_ONLY
            if token == prefix or (not exact and token.startswith(prefix)):
                found.append(concept)
                break
    return found
