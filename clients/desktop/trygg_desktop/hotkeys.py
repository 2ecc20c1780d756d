"""Global hotkeys that must be held for a moment, so a bumped key raises nothing.

`HoldDetector` is plain Python (fed key names); `GlobalHotkeys` feeds it from `pynput`, and is
switched off with a log line where pynput cannot work (no display, no X server)."""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

DEFAULT_HOTKEYS = {"yellow": "<ctrl>+<shift>+<f9>", "red": "<ctrl>+<shift>+<f12>"}
HOLD_S = 0.5
ALIASES = {"ctrl_l": "ctrl", "ctrl_r": "ctrl", "shift_l": "shift", "shift_r": "shift",
           "alt_l": "alt", "alt_r": "alt", "alt_gr": "alt",
           "cmd_l": "cmd", "cmd_r": "cmd"}


def parse_combo(text: str) -> frozenset[str]:
    """"<ctrl>+<shift>+<f9>" → {"ctrl", "shift", "f9"} (pynput's notation)."""
    keys = [part.strip().strip("<>").lower() for part in text.split("+") if part.strip()]
    if not keys:
        raise ValueError(f"empty hotkey {text!r}")
    return frozenset(ALIASES.get(k, k) for k in keys)


class HoldDetector:
    """Calls `on_fire(name)` once when all keys of a combo have been held for `hold_s`."""

    def __init__(self, combos: dict[str, str], on_fire: Callable[[str], None],
                 hold_s: float = HOLD_S) -> None:
        self.combos = {name: parse_combo(text) for name, text in combos.items()}
        self.on_fire = on_fire
        self.hold_s = hold_s
        self.pressed: set[str] = set()
        self._armed: dict[str, int] = {}  # combo name → generation of the press that armed it
        self._generation = 0
        self._lock = threading.Lock()

    def press(self, key: str) -> None:
        with self._lock:
            self.pressed.add(ALIASES.get(key, key))
            for name, combo in self.combos.items():
                if combo <= self.pressed and name not in self._armed:
                    self._generation += 1
                    self._armed[name] = self._generation
                    timer = threading.Timer(self.hold_s, self._check, (name, self._generation))
                    timer.daemon = True
                    timer.start()

    def release(self, key: str) -> None:
        with self._lock:
            self.pressed.discard(ALIASES.get(key, key))
            for name, combo in self.combos.items():
                if not combo <= self.pressed:
                    self._armed.pop(name, None)

    def _check(self, name: str, generation: int) -> None:
        with self._lock:
            held = self._armed.get(name) == generation and self.combos[name] <= self.pressed
        if held:
            log.info("hotkey %s held for %.1f s", name, self.hold_s)
            self.on_fire(name)


def key_name(key: object) -> str:
    """A pynput Key or KeyCode as a name HoldDetector knows."""
    name = getattr(key, "name", None)
    if name:
        return ALIASES.get(name, name)
    char = getattr(key, "char", None)
    if char:
        return char.lower()
    return f"vk{getattr(key, 'vk', '?')}"


class GlobalHotkeys:
    def __init__(self, combos: dict[str, str], on_fire: Callable[[str], None]) -> None:
        self.detector = HoldDetector(combos, on_fire)
        self.listener = None
        self.error: str | None = None

    def start(self) -> bool:
        """Listen system-wide; False (and logged) where the platform does not allow it."""
        try:
            from pynput import keyboard

            self.listener = keyboard.Listener(
                on_press=lambda key: self.detector.press(key_name(key)),
                on_release=lambda key: self.detector.release(key_name(key)))
            self.listener.start()
            self.listener.wait()
            if not self.listener.running:
                raise RuntimeError("the keyboard listener stopped at once")
        except Exception as exc:  # ImportError, Xlib display errors, missing permissions
            self.error = f"{type(exc).__name__}: {exc}"
            self.listener = None
            log.warning("global hotkeys are off: %s", self.error)
            return False
        log.info("global hotkeys on: %s", ", ".join(
            f"{name} {'+'.join(sorted(keys))}" for name, keys in self.detector.combos.items()))
        return True

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
