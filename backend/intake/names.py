"""Client names as typed in a form, tidied for the client record and the prestation name."""

import re

# Placeholder used when a submission gives neither a name nor an email address.
UNKNOWN_CLIENT_NAME = "Client inconnu"

# Particles written in lower case inside a French name ("Jean de la Fontaine").
NAME_PARTICLES = frozenset({"de", "du", "des", "le", "la", "d'"})

_LOCAL_PART_SEPARATORS = re.compile(r"[._+\-]+")


def normalize_name(raw: str) -> str:
    """Trim a name, collapse its spaces and capitalise words typed all in one case.

    A word in all capitals or all lower case is capitalised part by part around hyphens
    and apostrophes ("DUBOIS-NGUYEN" → "Dubois-Nguyen", "D'ARTAGNAN" → "D'Artagnan").
    Particles such as "de", "la" or "d'" stay in lower case unless they start the name.
    A word in mixed case ("McKenzie") is kept as typed.
    """
    tidied = []
    for position, word in enumerate(raw.split()):
        if not _is_single_case(word):
            tidied.append(word)
        elif position > 0 and word.lower() in NAME_PARTICLES:
            tidied.append(word.lower())
        elif position > 0 and word.lower().startswith(("d'", "d’")) and len(word) > 2:
            tidied.append(word[:2].lower() + _capitalise_parts(word[2:]))
        else:
            tidied.append(_capitalise_parts(word))
    return " ".join(tidied)


def name_from_email(email: str | None) -> str:
    """Build a stand-in client name from an email's local part ("claire.martin@…" →
    "Claire Martin"), or return UNKNOWN_CLIENT_NAME when there is no email."""
    if not email or "@" not in email:
        return UNKNOWN_CLIENT_NAME
    local_part = email.split("@", 1)[0]
    name = " ".join(part for part in _LOCAL_PART_SEPARATORS.split(local_part) if part)
    return normalize_name(name) or UNKNOWN_CLIENT_NAME


def _is_single_case(word: str) -> bool:
    return word == word.upper() or word == word.lower()


def _capitalise_parts(word: str) -> str:
    # Split on hyphens and apostrophes but keep them, so each part gets its capital.
    parts = re.split(r"([-'’])", word.lower())
    return "".join(part[:1].upper() + part[1:] for part in parts)
