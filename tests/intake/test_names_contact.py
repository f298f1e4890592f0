import pytest

from backend.intake.contact import normalize_email, normalize_phone
from backend.intake.names import UNKNOWN_CLIENT_NAME, name_from_email, normalize_name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("  Jérôme LEFÈVRE ", "Jérôme Lefèvre"),
        ("claire   martin", "Claire Martin"),
        ("Claire Martin", "Claire Martin"),
        ("AMÉLIE DUBOIS-NGUYEN", "Amélie Dubois-Nguyen"),
        ("D'ARTAGNAN", "D'Artagnan"),
        ("charles D'ARTAGNAN", "Charles d'Artagnan"),
        ("JEAN DE LA FONTAINE", "Jean de la Fontaine"),
        ("marie du PONT", "Marie du Pont"),
        ("LE NOIR", "Le Noir"),
        ("anne DES ROCHES", "Anne des Roches"),
        ("o'brien", "O'Brien"),
        ("Ronan McKENZIE", "Ronan McKENZIE"),
        ("Jean-Luc DeVille", "Jean-Luc DeVille"),
        ("   ", ""),
    ],
)
def test_normalize_name(raw: str, name: str) -> None:
    assert normalize_name(raw) == name


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("claire.martin@example.fr", "Claire Martin"),
        ("jean-luc_durand+devis@example.fr", "Jean Luc Durand Devis"),
        (None, UNKNOWN_CLIENT_NAME),
        ("", UNKNOWN_CLIENT_NAME),
    ],
)
def test_name_from_email(email: str | None, name: str) -> None:
    assert name_from_email(email) == name


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("  Jerome.Lefevre@Example.COM ", "jerome.lefevre@example.com"),
        ("claire.martin@example.fr", "claire.martin@example.fr"),
        ("a+devis@sous-domaine.example.org", "a+devis@sous-domaine.example.org"),
    ],
)
def test_normalize_email_valid(raw: str, email: str) -> None:
    value, problems = normalize_email(raw)
    assert value == email
    assert problems == []


@pytest.mark.parametrize(
    "raw",
    [
        "claire.martin",
        "claire@",
        "@example.fr",
        "claire martin@example.fr",
        "a@b",
        "a..b@x.fr",
        "a@@example.fr",
        ".a@example.fr",
        "a@-example.fr",
    ],
)
def test_normalize_email_invalid(raw: str) -> None:
    value, problems = normalize_email(raw)
    assert value is None
    assert [problem.code for problem in problems] == ["email_invalid"]
    assert problems[0].message == f'invalid email address: "{raw}"'
    assert problems[0].field == "email"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_normalize_email_empty(raw: str | None) -> None:
    assert normalize_email(raw) == (None, [])


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("06 00 00 00 01", "+33600000001"),
        ("+33 6 00 00 00 02", "+33600000002"),
        ("0033600000002", "+33600000002"),
        ("06.00.00.00.01", "+33600000001"),
        ("06-00-00-00-01", "+33600000001"),
        ("01 23 45 67 89", "+33123456789"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 212 555 0100", "+12125550100"),
    ],
)
def test_normalize_phone_valid(raw: str, phone: str) -> None:
    value, problems = normalize_phone(raw)
    assert value == phone
    assert problems == []


@pytest.mark.parametrize("raw", ["12", "0612", "abc", "06 00 00 00 0", "+33 6 00"])
def test_normalize_phone_invalid(raw: str) -> None:
    value, problems = normalize_phone(raw)
    assert value is None
    assert [problem.code for problem in problems] == ["phone_invalid"]
    assert problems[0].message == f'invalid phone number: "{raw}"'


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_normalize_phone_empty(raw: str | None) -> None:
    assert normalize_phone(raw) == (None, [])
