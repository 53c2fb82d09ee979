"""Unit tests run the domain with fakes: no sockets, so nothing reaches a network by accident."""

from __future__ import annotations

import socket

import pytest


class _NoNetwork(socket.socket):
    def connect(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests must not open network connections")


@pytest.fixture(autouse=True)
def _block_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _NoNetwork)
