"""The terminal's side of fleet management: an MQTT agent (paho-mqtt, imported lazily) that
publishes status, heartbeats and events and executes commands signed by the fleet operator.

Off unless `[fleet]` is configured. Nothing here runs on a sale's path: the agent reads the
Terminal from its own thread, and a journal event reaches it only as a counter bump.
"""
