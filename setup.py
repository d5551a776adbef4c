"""Packaging for the pos-terminal application (setuptools)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def requirements(name: str) -> list[str]:
    lines = (HERE / name).read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith(("#", "-r"))]


setup(
    name="pos-terminal",
    version="0.1.0",
    description="Point-of-sale payment terminal for wallet payment codes (Alipay, Alipay+, WeChat Pay)",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["terminal*", "drivers*", "ui*", "sandbox*"]),
    include_package_data=True,
    package_data={"ui": ["*.kv", "**/*.kv", "locale/*/LC_MESSAGES/*.mo", "fonts/*"]},
    install_requires=requirements("requirements.txt"),
    entry_points={"console_scripts": ["pos-terminal = terminal.cli.main:entry"]},
    license="Apache-2.0",
)
