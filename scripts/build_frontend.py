"""Copy GOV.UK Frontend's built files where Django's static files can serve them.

Its stylesheet points at ``/assets/...``; under ``/static/`` those URLs would 404,
so they are rewritten to be relative to the stylesheet, which sits beside
``assets/``. Run by ``make``; the output folder is not committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
TARGET = ROOT / "build" / "frontend" / "govuk"
FILES = (
    "govuk-frontend.min.css",
    "govuk-frontend.min.css.map",
    "govuk-frontend.min.js",
    "govuk-frontend.min.js.map",
)


def main() -> int:
    if not SOURCE.is_dir():
        print("GOV.UK Frontend is not installed: run 'npm ci' first.", file=sys.stderr)
        return 1
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(SOURCE / name, TARGET / name)
    stylesheet = TARGET / "govuk-frontend.min.css"
    stylesheet.write_text(stylesheet.read_text().replace("url(/assets/", "url(assets/"))
    shutil.copytree(SOURCE / "assets", TARGET / "assets")
    print(f"GOV.UK Frontend copied to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
