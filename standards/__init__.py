"""National occupational standards as versioned data files: levels, components, eligibility, pass/fail."""

from __future__ import annotations

from standards.evaluation import ComponentResult, Outcome, evaluate
from standards.levels import LEVELS, LevelInfo, level_info, level_label
from standards.loader import DATA_DIR, load_catalogue, load_file
from standards.model import (
    COMPONENT_KINDS,
    Component,
    Level,
    StandardFileError,
    StandardVersion,
    canonical_json,
    hash_content,
    version_from_content,
)

__all__ = [
    "COMPONENT_KINDS",
    "DATA_DIR",
    "LEVELS",
    "Component",
    "ComponentResult",
    "Level",
    "LevelInfo",
    "Outcome",
    "StandardFileError",
    "StandardVersion",
    "canonical_json",
    "evaluate",
    "hash_content",
    "level_info",
    "level_label",
    "load_catalogue",
    "load_file",
    "version_from_content",
]
