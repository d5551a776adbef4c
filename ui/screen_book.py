"""The till's screens, each built the first time it is needed instead of all at start.

Building all fourteen screens (their .kv rules, widget trees, textures) took about a third of
the time to the keypad and ~19 MB; most of them (history, refund, batch, technician, PIN…) are
opened a few times a day. ``screens[name]`` builds a screen on first use and adds it to the
ScreenManager, so every caller keeps indexing by name. ``built(name)`` answers without
building, for notifications that only matter to a screen somebody is looking at. ``warm``
builds the given screens one per frame once the till is idle, so the sale flow's screens are
ready before the first Charge without holding up the keypad.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kivy.clock import Clock


class ScreenBook:
    def __init__(self, *, names: Iterable[str], build: Callable[[str], Any], add: Callable[[Any], None],
                 remove: Callable[[Any], None]):
        self.names = tuple(names)
        self._build = build
        self._add = add
        self._remove = remove
        self._screens: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        screen = self._screens.get(name)
        if screen is None:
            if name not in self.names:
                raise KeyError(name)
            screen = self._build(name)
            self._screens[name] = screen
            self._add(screen)
        return screen

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self.names else default

    def built(self, name: str) -> Any:
        """The screen if it exists already, else None (never builds)."""
        return self._screens.get(name)

    def forget(self, name: str) -> None:
        """Drop a built screen; the next ``screens[name]`` builds it afresh."""
        screen = self._screens.pop(name, None)
        if screen is not None:
            self._remove(screen)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __bool__(self) -> bool:
        return True

    def warm(self, names: Iterable[str]) -> None:
        """Build these screens in later frames, one per frame (never one long stall)."""
        todo = [n for n in names if n not in self._screens]

        def next_one(_dt: float) -> None:
            while todo and todo[0] in self._screens:
                todo.pop(0)
            if todo:
                self[todo.pop(0)]
                Clock.schedule_once(next_one, 0)
        if todo:
            Clock.schedule_once(next_one, 0)
