"""Build hooks for setuptools; the metadata lives in pyproject.toml [project].

setup.py stays (the design card requires it) for one job the declarative config cannot do:
while the wheel is built, compile the UI catalogs (ui/locale/*/LC_MESSAGES/pos.po -> pos.mo,
with Babel, a build requirement) and copy the configuration profiles (config/*.toml) into the
package as terminal/profiles/, so an installed terminal reads both through importlib.resources
and a French or Chinese kiosk installed from the wheel speaks French or Chinese.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        if self.editable_mode:    # an editable install reads config/ and compiles catalogs at run time
            return
        build_lib = Path(self.build_lib)
        self._compile_catalogs(build_lib / "ui" / "locale")
        self._copy_profiles(build_lib / "terminal" / "profiles")

    @staticmethod
    def _compile_catalogs(target: Path) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        sources = sorted((HERE / "ui" / "locale").glob("*/LC_MESSAGES/pos.po"))
        if not sources:
            raise SystemExit("no UI catalogs found under ui/locale: the wheel would show English only")
        for po in sources:
            lang = po.parent.parent.name
            mo = target / lang / "LC_MESSAGES" / "pos.mo"
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as f:
                catalog = read_po(f, locale=lang)
            with mo.open("wb") as f:
                write_mo(f, catalog)

    @staticmethod
    def _copy_profiles(target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        profiles = sorted((HERE / "config").glob("*.toml"))
        if not profiles:
            raise SystemExit("no configuration profiles found under config/")
        for path in [*profiles, HERE / "config" / "README.md"]:
            shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildWithCatalogs})
