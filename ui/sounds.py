"""Result sounds: short tones written once as WAV files into the UI cache and played through
Kivy's audio provider. No audio provider (or no sound card) means silence, logged once."""
from __future__ import annotations

import logging
import math
import struct
from pathlib import Path
from typing import Any

log = logging.getLogger("ui.sounds")
RATE = 22050
TONES = {"approved": [(880, 0.09), (1320, 0.14)], "declined": [(330, 0.18), (220, 0.25)],
         "unknown": [(660, 0.12), (660, 0.12)]}
_cache: dict[str, Any] = {}    # Kivy Sound objects
_failed = False


def _write(path: Path, tones: list[tuple[int, float]]) -> None:
    import wave  # once per install (the tones are cached as files), not at every start

    frames = bytearray()
    for freq, seconds in tones:
        n = int(RATE * seconds)
        for i in range(n):
            fade = min(1.0, i / 200, (n - i) / 200)
            frames += struct.pack("<h", int(9000 * fade * math.sin(2 * math.pi * freq * i / RATE)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))


def play(kind: str) -> None:
    global _failed
    if _failed or kind not in TONES:
        return
    try:
        sound = _cache.get(kind)
        if sound is None:
            from kivy.core.audio import SoundLoader

            from .i18n import cache_dir

            path = cache_dir().parent / f"sound-{kind}.wav"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                _write(path, TONES[kind])
            sound = SoundLoader.load(str(path))
            if sound is None:
                raise RuntimeError("no audio provider")
            _cache[kind] = sound
        sound.play()
    except Exception as exc:  # sound is a nicety: never let it disturb a sale  # noqa: BLE001
        _failed = True
        log.info("result sounds off: %s", exc)
