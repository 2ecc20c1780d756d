"""Who is online, across every server process.

Each process knows its own connections exactly. It tells the others over the bus which
responders of each office it has online, when that changes and again every heartbeat interval;
what another process said expires after two intervals, so a process that dies stops counting
within two intervals of its last word.
"""

import time
import uuid
from collections import defaultdict


class Presence:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        # office -> user -> number of this process's open connections
        self.local: dict[uuid.UUID, dict[uuid.UUID, int]] = defaultdict(dict)
        # office -> process -> (users online there, when that stops counting)
        self.remote: dict[uuid.UUID, dict[str, tuple[frozenset[uuid.UUID], float]]] = (
            defaultdict(dict))

    def users(self, office: uuid.UUID) -> set[uuid.UUID]:
        online = set(self.local.get(office, ()))
        for users, _ in self.remote.get(office, {}).values():
            online |= users
        return online

    def count(self, office: uuid.UUID) -> int:
        return len(self.users(office))

    def local_users(self, office: uuid.UUID) -> list[str]:
        return sorted(str(u) for u in self.local.get(office, ()))

    def add_local(self, office: uuid.UUID, user: uuid.UUID) -> bool:
        """Count one more connection; True when the user just came online here."""
        counts = self.local[office]
        counts[user] = counts.get(user, 0) + 1
        return counts[user] == 1

    def remove_local(self, office: uuid.UUID, user: uuid.UUID) -> bool:
        """Count one connection less; True when the user just went offline here."""
        counts = self.local.get(office, {})
        if user not in counts:
            return False
        counts[user] -= 1
        if counts[user] > 0:
            return False
        del counts[user]
        return True

    def apply_remote(self, process: str, office: uuid.UUID, users: list[str]) -> None:
        self.remote[office][process] = (frozenset(uuid.UUID(u) for u in users),
                                        time.monotonic() + self.ttl_s)

    def forget_process(self, process: str) -> set[uuid.UUID]:
        offices = {office for office, by in self.remote.items() if process in by}
        for office in offices:
            del self.remote[office][process]
        return offices

    def expire(self) -> set[uuid.UUID]:
        """Drop what other processes said too long ago; the offices whose view changed."""
        now = time.monotonic()
        changed = set()
        for office, by_process in self.remote.items():
            for process in [p for p, (_, until) in by_process.items() if until <= now]:
                del by_process[process]
                changed.add(office)
        return changed

    def offices(self) -> list[uuid.UUID]:
        return list(self.local)
