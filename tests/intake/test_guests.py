import pytest

from backend.intake.guests import parse_guests


@pytest.mark.parametrize(
    ("raw", "guests"),
    [
        (80, 80),
        ("80", 80),
        (" 80 ", 80),
        ("45 personnes", 45),
        ("1 personne", 1),
        ("30 invités", 30),
        ("25 pers.", 25),
        (45.0, 45),
        ("100-100", 100),
    ],
)
def test_parse_guests_exact(raw: int | float | str, guests: int) -> None:
    count = parse_guests(raw)
    assert count.guests == guests
    assert count.is_estimate is False
    assert count.problems == []


@pytest.mark.parametrize(
    "raw",
    [
        "entre 100 et 120",
        "100-120",
        "100 à 120",
        "100 a 120",
        "de 100 à 120 personnes",
        "120-100",
        "100 – 120",
        "between 100 and 120",
    ],
)
def test_parse_guests_range(raw: str) -> None:
    count = parse_guests(raw)
    assert count.guests == 120
    assert count.is_estimate is True
    assert [problem.code for problem in count.problems] == ["guests_range"]
    assert count.problems[0].message == "guests given as a range (100-120): priced for 120"
    assert count.problems[0].field == "guests"


@pytest.mark.parametrize(
    "raw", ["environ 50", "~50", "~ 50", "env. 50", "50 environ", "Environ 50 personnes"]
)
def test_parse_guests_estimate(raw: str) -> None:
    count = parse_guests(raw)
    assert count.guests == 50
    assert count.is_estimate is True
    assert [problem.code for problem in count.problems] == ["guests_estimate"]
    assert count.problems[0].message == f"guests given as an estimate ({raw}): priced for 50"


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("beaucoup", "guests_not_understood", 'guests not understood: "beaucoup"'),
        ("45.5", "guests_not_understood", 'guests not understood: "45.5"'),
        (45.5, "guests_not_understood", 'guests not understood: "45.5"'),
        ("plus de 50", "guests_not_understood", 'guests not understood: "plus de 50"'),
        (0, "guests_not_positive", "guests must be at least 1, got 0"),
        ("0", "guests_not_positive", "guests must be at least 1, got 0"),
        (-4, "guests_not_positive", "guests must be at least 1, got -4"),
        ("-4", "guests_not_positive", "guests must be at least 1, got -4"),
        (None, "guests_missing", "number of guests not given"),
        ("", "guests_missing", "number of guests not given"),
    ],
)
def test_parse_guests_problem(raw: int | float | str | None, code: str, message: str) -> None:
    count = parse_guests(raw)
    assert count.guests is None
    assert count.is_estimate is False
    assert [problem.code for problem in count.problems] == [code]
    assert count.problems[0].message == message


@pytest.mark.parametrize("raw", [1_000_000_000, "99999999999999999999999999", "5001"])
def test_guests_above_maximum_not_priced(raw):
    count = parse_guests(raw)

    assert count.guests is None
    assert [problem.code for problem in count.problems] == ["guests_too_many"]
