"""The alarm sound: a generated two-tone WAV, looped with QSoundEffect until stopped."""

import logging
import math
import struct
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

try:
    from PySide6.QtMultimedia import QSoundEffect
except ImportError:  # PySide6-Essentials without the Addons
    QSoundEffect = None  # type: ignore[assignment,misc]


def write_alarm_wav(path: Path, *, rate: int = 22050) -> Path:
    """Half a second of 880 Hz then 660 Hz, then a short pause: insistent, not shrill."""
    frames = bytearray()
    for freq, seconds in ((880, 0.25), (660, 0.25), (0, 0.2)):
        for i in range(int(rate * seconds)):
            fade = min(1.0, i / 200, (rate * seconds - i) / 200)
            value = 0.6 * fade * math.sin(2 * math.pi * freq * i / rate) if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


class AlarmSound(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.playing = False
        self._effect = None
        self._beeper = QTimer(self, interval=700)
        self._beeper.timeout.connect(QApplication.beep)
        if QSoundEffect is None:
            log.warning("Qt Multimedia is missing (install PySide6-Addons): beeping instead")
            return
        path = Path(tempfile.gettempdir()) / "trygg-alarm.wav"
        if not path.exists():
            write_alarm_wav(path)
        self._effect = QSoundEffect(self)
        self._effect.setSource(QUrl.fromLocalFile(str(path)))
        self._effect.setLoopCount(QSoundEffect.Loop.Infinite.value)
        self._effect.setVolume(1.0)

    def play(self) -> None:
        if self.playing:
            return
        self.playing = True
        if self._effect is not None:
            self._effect.play()
        else:
            self._beeper.start()

    def stop(self) -> None:
        self.playing = False
        if self._effect is not None:
            self._effect.stop()
        self._beeper.stop()
