"""Random travel matrices for TSPTW tests: asymmetric, with zeros, without the triangle inequality."""

from __future__ import annotations

import random


def random_matrix_and_order(rng: random.Random, size: int) -> tuple[list[list[int]], list[int]]:
    """A ``size`` x ``size`` matrix (node 0 the depot) whose entries are 0, short or long at random,
    and the customers in a random order (around whose times the caller places the windows)."""
    travel = [
        [0 if i == j else rng.choice([0, rng.randint(1, 40), rng.randint(1, 8)]) for j in range(size)]
        for i in range(size)
    ]
    planned = list(range(1, size))
    rng.shuffle(planned)
    return travel, planned
