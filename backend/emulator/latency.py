"""Injected response latency per service, to make timings of a run repeatable offline."""

import json
import math
import random
from dataclasses import dataclass, field

SERVICES = ("notion", "drive", "sheets", "calendar", "gmail")

# Median per call in ms. An estimate: published figures for these APIs are scarce.
REALISTIC_MS = {"notion": 350.0, "drive": 250.0, "sheets": 250.0, "calendar": 250.0, "gmail": 400.0}
REALISTIC_JITTER = 0.2


@dataclass
class LatencyProfile:
    """Delay added to each API call of a service.

    `jitter` is the sigma of a log-normal factor around the configured median
    (0 gives the exact value every call).
    """

    per_service_ms: dict[str, float] = field(default_factory=dict)
    jitter: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        unknown = set(self.per_service_ms) - set(SERVICES)
        if unknown:
            raise ValueError(
                f"unknown service in latency profile: {sorted(unknown)}; use {list(SERVICES)}"
            )
        self._random = random.Random(self.seed)

    @classmethod
    def none(cls) -> "LatencyProfile":
        return cls()

    @classmethod
    def realistic(cls, seed: int | None = None) -> "LatencyProfile":
        return cls(dict(REALISTIC_MS), jitter=REALISTIC_JITTER, seed=seed)

    @classmethod
    def parse(cls, spec: str | None) -> "LatencyProfile":
        """Build a profile from `none`, `realistic` or a JSON object of ms per service.

        The JSON object may carry a `jitter` key (log-normal sigma, default 0).
        """
        text = (spec or "none").strip()
        if text.lower() == "none":
            return cls.none()
        if text.lower() == "realistic":
            return cls.realistic()
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"invalid latency profile {text!r}: expected none, realistic or a JSON "
                'object such as {"notion": 350, "sheets": 250}'
            ) from error
        if not isinstance(values, dict):
            raise ValueError(f"invalid latency profile {text!r}: expected a JSON object")
        jitter = float(values.pop("jitter", 0.0))
        return cls({str(key): float(value) for key, value in values.items()}, jitter=jitter)

    def delay_seconds(self, service: str) -> float:
        median_ms = self.per_service_ms.get(service, 0.0)
        if median_ms <= 0:
            return 0.0
        if self.jitter <= 0:
            return median_ms / 1000.0
        factor = math.exp(self._random.gauss(0.0, self.jitter))
        return median_ms * factor / 1000.0

    def update(self, other: "LatencyProfile") -> None:
        """Take another profile's values in place; the running middleware keeps this object."""
        self.per_service_ms = dict(other.per_service_ms)
        self.jitter = other.jitter
