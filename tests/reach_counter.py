"""How many examples of each property test reach its final assertions (see conftest.py)."""

from __future__ import annotations

from collections import Counter

from hypothesis import event

MIN_REACH = 0.8
"""Share of a property test's examples that must reach its final assertions."""


class Reach:
    """Per property test: how many examples ran, and how many reached the final assertions.

    A property test calls ``tried(name)`` first and ``reached(name)`` right before its final
    assertions; an example that ends earlier (a typed error on an input the strategy meant to be
    valid, a configuration that does not fit) counts as tried only.
    """

    def __init__(self) -> None:
        self.tries: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()

    def tried(self, name: str) -> None:
        self.tries[name] += 1

    def reached(self, name: str) -> None:
        self.hits[name] += 1
        event("reached the final assertions")

    def missed(self, name: str, why: str) -> None:
        event(f"ended before the assertions: {why}")

    def ratios(self) -> dict[str, tuple[int, int]]:
        return {name: (self.hits[name], n) for name, n in sorted(self.tries.items())}

    def too_low(self) -> dict[str, float]:
        return {name: hits / n for name, (hits, n) in self.ratios().items() if hits < MIN_REACH * n}
