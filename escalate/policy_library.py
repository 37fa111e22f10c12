"""The policy files shipped with Escalate, found by short name or path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from escalate.domain.policy_loading import LoadResult, load_policy_text

SHIPPED_DIR = Path(__file__).resolve().parent / "policies" / "shipped"
TEMPLATE_NAME = "template.toml.example"


class PolicyNotFound(LookupError):
    pass


@dataclass(frozen=True)
class PolicyFile:
    path: Path
    result: LoadResult

    @property
    def origin(self) -> str:
        return str(self.path)


def shipped_paths() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.toml"))


def read_policy_file(path: Path) -> PolicyFile:
    """Load one file; unreadable files raise ``OSError`` or ``UnicodeDecodeError``."""
    return PolicyFile(path=path, result=load_policy_text(path.read_text(encoding="utf-8")))


def shipped_policies() -> list[PolicyFile]:
    return [read_policy_file(path) for path in shipped_paths()]


def find_policy(name_or_path: str) -> PolicyFile:
    """A shipped policy by short name, or any policy file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise PolicyNotFound(f"no policy file at {name_or_path}")
        return read_policy_file(candidate)
    for path in shipped_paths():
        if path.stem == name_or_path:
            return read_policy_file(path)
    known = ", ".join(path.stem for path in shipped_paths())
    raise PolicyNotFound(f"unknown policy {name_or_path!r}; shipped policies are: {known}")
