"""Writing a rule into a pack's file (TOML), keeping the rest of the file as the city wrote it.

A rule changed on its form is written back into the text of the version in force: its own
``[[rules]]`` block is replaced (or, for a new rule, one is added after the last rule of its
kind) and the version line is changed, so every other rule, the catalogue and the comments stay
as they were, and loading the new text is the same as uploading it. The result is checked by
reading it back; where the text cannot be edited in place (a hand-made layout), the whole file
is written anew from its data.
"""

import re
import tomllib

from .kinds import RuleKind, kind_params

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"-]+)\s*\]\]?\s*(#.*)?$")
_RULE_ORDER = ("key", "kind", "title", "source", "citation", "note", "enabled")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif char == "\t":
            escaped.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def value(item) -> str:
    """One TOML value (inline)."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        return repr(item)
    if isinstance(item, str):
        return _string(item)
    if isinstance(item, dict):
        return "{ " + ", ".join(f"{_key(k)} = {value(v)}" for k, v in item.items()) + " }" if item else "{}"
    if isinstance(item, list | tuple):
        if item and all(isinstance(v, dict) for v in item):
            return "[\n" + "".join(f"  {value(v)},\n" for v in item) + "]"
        return "[" + ", ".join(value(v) for v in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} into a rule pack")


def normal(rule: dict) -> dict:
    """The rule as its block reads back: no empty note or parameters, ``enabled`` only when false."""
    return {k: v for k, v in rule.items()
            if not ((k == "note" and not v) or (k == "params" and not v) or (k == "enabled" and v is True))}


def rule_block(rule: dict, kind: RuleKind | None = None) -> str:
    """A ``[[rules]]`` block, its fields in the usual order and its parameters in its kind's."""
    lines = ["[[rules]]"]
    for name in [*_RULE_ORDER, *(k for k in rule if k not in _RULE_ORDER and k != "params")]:
        if name not in rule or (name == "enabled" and rule[name] is True) or (name == "note" and not rule[name]):
            continue
        lines.append(f"{_key(name)} = {value(rule[name])}")
    params = rule.get("params") or {}
    if params:
        lines.append("[rules.params]")
        order = list(kind_params(kind, rule.get("key"))) if kind else []
        for name in [*(n for n in order if n in params), *(n for n in params if n not in order)]:
            lines.append(f"{_key(name)} = {value(params[name])}")
    return "\n".join(lines) + "\n"


def dumps(data: dict) -> str:
    """A whole pack file from its data (used where the text cannot be edited in place)."""
    from .kinds import RULE_KINDS

    out = [f"{_key(k)} = {value(v)}\n" for k, v in data.items() if not isinstance(v, dict | list) or
           (isinstance(v, list) and not all(isinstance(i, dict) for i in v))]
    for name, table in data.items():
        if isinstance(table, dict):
            out.append(f"\n[{_key(name)}]\n" + "".join(f"{_key(k)} = {value(v)}\n" for k, v in table.items()))
    for name, rows in data.items():
        if not (isinstance(rows, list) and rows and all(isinstance(i, dict) for i in rows)):
            continue
        for row in rows:
            if name == "rules":
                out.append("\n" + rule_block(row, RULE_KINDS.get(row.get("kind"))))
            else:
                out.append(f"\n[[{_key(name)}]]\n" + "".join(f"{_key(k)} = {value(v)}\n" for k, v in row.items()))
    return "".join(out)


def _rule_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first line, line after the last) of each ``[[rules]]`` block, without the comments and blank
    lines that end it (they introduce what follows)."""
    headers = [(i, m.group(0).strip().startswith("[["), m.group(1)) for i, line in enumerate(lines)
               if (m := _HEADER.match(line))]
    blocks = []
    for index, (start, is_array, name) in enumerate(headers):
        if not (is_array and name == "rules"):
            continue
        end = len(lines)
        for later, later_array, later_name in headers[index + 1:]:
            if later_array or not later_name.startswith("rules."):
                end = later
                break
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        blocks.append((start, end))
    return blocks


def _block_key(lines: list[str], start: int, end: int) -> str | None:
    try:
        parsed = tomllib.loads("".join(lines[start:end]))
    except tomllib.TOMLDecodeError:
        return None
    rules = parsed.get("rules") or [{}]
    return rules[0].get("key")


def _with_version(text: str, version: str) -> str:
    line = f"version = {_string(version)}"
    changed, count = re.subn(r'(?m)^version\s*=\s*"[^"\n]*"[ \t]*$', line, text, count=1)
    return changed if count else f"{line}\n{text}"


def with_rule(content: str, rule: dict, *, kind: RuleKind, version: str, after_key: str | None = None) -> str:
    """``content`` with ``rule`` in place of the rule of the same key (or added after ``after_key``,
    else at the end) and the version changed. The answer reads back as exactly that data."""
    rule = normal(rule)
    data = tomllib.loads(content)
    rules = list(data.get("rules", []))
    keys = [r.get("key") for r in rules]
    if rule["key"] in keys:
        rules[keys.index(rule["key"])] = rule
    elif after_key in keys:
        rules.insert(keys.index(after_key) + 1, rule)
    else:
        rules.append(rule)
    expected = {**data, "version": version, "rules": rules}

    lines = content.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = rule_block(rule, kind)
    spans = {_block_key(lines, start, end): (start, end) for start, end in _rule_blocks(lines)}
    if rule["key"] in spans:
        start, end = spans[rule["key"]]
        lines[start:end] = [block]
    elif after_key in spans:
        end = spans[after_key][1]
        lines[end:end] = ["\n", block]
    else:
        lines.append("\n" + block)
    text = _with_version("".join(lines), version)
    try:
        if tomllib.loads(text) == expected:
            return text
    except tomllib.TOMLDecodeError:
        pass
    return dumps(expected)
