"""pos-fleet: the console that enrols, watches and commands a fleet of terminals through an
MQTT broker (Mosquitto by default; any MQTT 3.1.1 broker with TLS and an ACL serves).

Layers: the console never imports `ui`, and the terminal never imports `fleet`: what both sides
must agree on (topics, the command envelope and its signature) lives in `terminal.fleet.protocol`
so the terminal's core stays free of the console.
"""
