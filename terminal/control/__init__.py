"""The local control API (terminal-interfaces.md §2) for cash registers and test rigs.

    create_app(terminal=, checkout=, token=, scans_enabled=)   the FastAPI application
    build_control(terminal, token=)                              app + checkout + scanner + event log
    ControlServer(app).start() / serve(config, terminal=)        uvicorn, loopback or TLS
    TerminalClient (client.py), pytest plugin (pytest_plugin.py) the rig kit
"""
from .app import create_app
from .server import ControlServer, check_bind, serve
from .wiring import build_control

__all__ = ["ControlServer", "build_control", "check_bind", "create_app", "serve"]
