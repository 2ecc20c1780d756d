"""Exponential backoff with jitter, so clients that lost the same server do not return in step."""

import random


class Backoff:
    def __init__(self, first: float = 0.5, cap: float = 8.0) -> None:
        self.first = first
        self.cap = cap
        self.attempt = 0

    def next_delay(self) -> float:
        """Half the exponential step fixed, half random ("equal jitter")."""
        step = min(self.cap, self.first * 2 ** self.attempt)
        self.attempt += 1
        return step / 2 + random.uniform(0, step / 2)

    def reset(self) -> None:
        self.attempt = 0
