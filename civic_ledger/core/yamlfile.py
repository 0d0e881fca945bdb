"""Configuration YAML read from the node tree (not plain `safe_load`), so every error names
the file and line: `config/catalogue.yaml:12: schema 'tax-penalty': unknown role 'X'`.

Used by the roles file (`civic_ledger.core.config`) and the city catalogue
(`civic_ledger.deploy.catalogue`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from civic_ledger.core.exceptions import ConfigFileError

Node = yaml.Node


def fail(
    path: Path, node: yaml.Node | None, message: str, error: type = ConfigFileError
) -> Exception:
    """An error naming `path` and the line of `node` (the message kept on one line)."""
    line = node.start_mark.line + 1 if node is not None else 1
    text = " ".join(message.split())  # a quoted value may hold newlines: keep one line
    return error(f"{path}:{line}: {text}")


def compose(path: Path, error: type = ConfigFileError, what: str = "file") -> yaml.Node | None:
    """The YAML node tree of `path` (None for an empty file); every defect raises `error`
    naming the file and line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    try:
        return yaml.compose(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not accept
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise error(
            f"{path}:{line}: not valid YAML: character {exc.character!r} is not allowed"
        ) from None
    except yaml.YAMLError as exc:
        # Point at where the broken construct starts (an unclosed quote or bracket) when YAML
        # knows it, rather than where the parser gave up (often the end of the file).
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = " ".join((f"{problem} ({context})" if context else problem).split())
        raise error(f"{path}:{line}: not valid YAML: {detail}") from None
    except RecursionError:
        raise error(f"{path}:1: not valid YAML: nested too deeply") from None


def mapping(
    path: Path, node: yaml.Node, what: str, error: type = ConfigFileError
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping node as {key: (key node, value node)}; duplicate and non-plain keys refused."""
    if not isinstance(node, yaml.MappingNode):
        raise fail(path, node, f"{what} must be a mapping (key: value)", error)
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            raise fail(path, key_node, f"{what}: keys must be plain names", error)
        if key in result:
            raise fail(path, key_node, f"{what}: duplicate key '{key}'", error)
        result[key] = (key_node, value_node)
    return result


def scalar(path: Path, node: yaml.Node, what: str, error: type = ConfigFileError) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise fail(path, node, f"{what} must be a single value", error)
    return str(node.value)


def integer(
    path: Path, node: yaml.Node, what: str, low: int, high: int, error: type = ConfigFileError
) -> int:
    text = scalar(path, node, what, error)
    try:
        value = int(text, 0)
    except ValueError:
        raise fail(path, node, f"{what} must be a whole number, got '{text}'", error) from None
    if not low <= value <= high:
        raise fail(path, node, f"{what} must be between {low} and {high}, got {value}", error)
    return value


def boolean(path: Path, node: yaml.Node, what: str, error: type = ConfigFileError) -> bool:
    text = scalar(path, node, what, error).lower()
    if text in ("true", "yes"):
        return True
    if text in ("false", "no"):
        return False
    raise fail(path, node, f"{what} must be true or false, got '{text}'", error)


def string_list(path: Path, node: yaml.Node, what: str, error: type = ConfigFileError) -> list[str]:
    if not isinstance(node, yaml.SequenceNode):
        raise fail(path, node, f"{what} must be a list", error)
    return [scalar(path, item, f"{what} item", error) for item in node.value]
