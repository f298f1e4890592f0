"""Filters read from French and English queries, relative to a fixed today."""

from datetime import date

import pytest

from backend.search import SearchFilters, parse_query

TODAY = date(2026, 12, 5)

CASES = [
    ("mariages de plus de 100 personnes en juin 2027",
     {"date_from": date(2027, 6, 1), "date_to": date(2027, 6, 30), "guests_min": 101,
      "event_types": ["Mariage"]}),
    ("weddings in june 2027 with more than 100 guests",
     {"date_from": date(2027, 6, 1), "date_to": date(2027, 6, 30), "guests_min": 101,
      "event_types": ["Mariage"]}),
    ("the seminar in Confluence last autumn",
     {"date_from": date(2026, 9, 1), "date_to": date(2026, 11, 30),
      "event_types": ["Séminaire"]}),
    ("le séminaire à Confluence l'automne dernier",
     {"date_from": date(2026, 9, 1), "date_to": date(2026, 11, 30),
      "event_types": ["Séminaire"]}),
    ("last winter", {"date_from": date(2025, 12, 1), "date_to": date(2026, 2, 28)}),
    ("next summer", {"date_from": date(2027, 6, 1), "date_to": date(2027, 8, 31)}),
    ("winter 2027", {"date_from": date(2026, 12, 1), "date_to": date(2027, 2, 28)}),
    ("le mois dernier", {"date_from": date(2026, 11, 1), "date_to": date(2026, 11, 30)}),
    ("l'année prochaine", {"date_from": date(2027, 1, 1), "date_to": date(2027, 12, 31)}),
    ("au printemps", {"months": [3, 4, 5]}),
    ("en juin", {"months": [6]}),
    ("baptême 2025", {"date_from": date(2025, 1, 1), "date_to": date(2025, 12, 31),
                      "event_types": ["Baptême"]}),
    ("moins de 30 personnes", {"guests_max": 29}),
    ("au moins 50 invités", {"guests_min": 50}),
    ("between 40 and 60 guests", {"guests_min": 40, "guests_max": 60}),
    ("150+ guests", {"guests_min": 150}),
    ("plus de 5000 €", {}),
    ("prestations à vérifier", {"statuses": ["À vérifier"]}),
    ("mariages annulés", {"statuses": ["Annulée"], "event_types": ["Mariage"]}),
    ("claire.dupont@example.fr", {"client_email": "claire.dupont@example.fr"}),
    ("company party", {"event_types": ["Soirée d'entreprise"]}),
    ("cocktail dînatoire 12 pièces", {}),
    ("client who wanted gluten-free", {}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] for case in CASES])
def test_parse_query_finds_filters(query: str, expected: dict) -> None:
    parsed = parse_query(query, today=TODAY)

    assert parsed.filters == SearchFilters(**expected)


def test_parse_query_removes_filter_words_from_text() -> None:
    parsed = parse_query("mariages de plus de 100 personnes en juin 2027", today=TODAY)

    assert parsed.text == "mariages de"
    assert parsed.labels == ("≥ 101 guests", "June 2027", "Mariage")


def test_explicit_filters_take_precedence() -> None:
    parsed = parse_query("mariage juin 2027", today=TODAY)

    merged = parsed.filters.merged_with(SearchFilters(date_from=date(2027, 6, 10)))

    assert merged.date_from == date(2027, 6, 10)
    assert merged.date_to == date(2027, 6, 30)
    assert merged.event_types == ["Mariage"]
