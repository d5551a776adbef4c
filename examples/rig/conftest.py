# The rig kit's fixtures: `terminal` (a TerminalClient) and `code_for`. In a rig repository of
# your own, put `pytest_plugins = ["terminal.control.pytest_plugin"]` in the root conftest.py;
# here the suite sits inside the project's tests, so the plugin is imported.
from terminal.control.pytest_plugin import *
