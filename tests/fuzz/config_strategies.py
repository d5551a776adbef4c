"""Hypothesis strategies for configuration files: TOML documents shaped like the terminal's
configuration (known sections and keys, values of any TOML type) and raw bytes. Shared by the
CI fuzz test and bench/fuzz_inputs.py."""
from __future__ import annotations

import datetime as dt

import tomli_w
from hypothesis import strategies as st

from terminal.config import Config

SECTIONS = {name: sorted(field.annotation.model_fields) for name, field in Config.model_fields.items()
            if hasattr(field.annotation, "model_fields")}

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.text(max_size=40), st.just(""), st.sampled_from(["USD", "CAD", "virtual", "file", "none",
                                                                      "127.0.0.1", "0.0.0.0", "12.50", "-1"]),
    st.dates(), st.datetimes(timezones=st.none() | st.just(dt.UTC)), st.times())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(min_size=1, max_size=8), inner, max_size=3), max_leaves=12)


@st.composite
def config_tables(draw) -> dict:
    """A dict with mostly real section/key names and arbitrary values (plus unknown keys)."""
    doc: dict = {}
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)) | st.text(min_size=1, max_size=8),
                                 max_size=5, unique=True)):
        keys = SECTIONS.get(section) or ["x"]
        table = draw(st.dictionaries(st.sampled_from(keys) | st.text(min_size=1, max_size=8), values, max_size=5))
        doc[section] = table
    return doc


def toml_text(doc: dict) -> str:
    return tomli_w.dumps(doc)


config_documents = config_tables().map(toml_text)
raw_files = st.one_of(st.binary(max_size=2048), st.text(max_size=2048).map(lambda t: t.encode("utf-8", "surrogatepass")))
