"""Secrets come only from the environment: none is written in the code, none has a default that
works in production, and production refuses to start on a guessable key."""

import ast
import re
import subprocess

import pytest

from tests.test_settings import PRODUCTION, ROOT, run_manage

SECRET_NAME = re.compile(r"SECRET|PASSWORD|(?:^|_)(?:TOKEN|KEY|KEY_ID)$")
NOT_SECRETS = {"CACHE_KEY_PREFIX"}  # names that merely contain the word
CREDENTIALS = [
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("an AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("a password in a URL", re.compile(r"\b(?:postgres(?:ql)?|redis|smtp|amqp)://[^/\s:@'\"]+:[^/\s@'\"]{6,}@")),
]


@pytest.mark.parametrize("key", ["development-only-key-linli-not-for-production-use-0123456789", "short-secret", "a" * 60])
def test_production_refuses_a_guessable_secret_key(key):
    result = run_manage("check", **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY must be a random string of at least 50 characters" in result.stderr


def test_every_secret_setting_is_read_from_the_environment_without_a_default():
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "").startswith("env_") and node.args:
            name = node.args[0].value if isinstance(node.args[0], ast.Constant) else ""
            if SECRET_NAME.search(name) and name not in NOT_SECRETS and len(node.args) > 1:
                default = node.args[1]
                if not (isinstance(default, ast.Constant) and default.value in ("", None)):
                    problems.append(f"{name} has a default ({ast.unparse(default)})")
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                name = getattr(target, "id", "")
                if SECRET_NAME.search(name) and name not in NOT_SECRETS and name != "DEVELOPMENT_SECRET_KEY" and node.value.value:
                    problems.append(f"{name} is written in settings.py")
    assert not problems


def test_no_credential_is_committed():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    found = []
    for name in files:
        path = ROOT / name
        if not name or not path.is_file() or path.stat().st_size > 2_000_000 or path.suffix in {".png", ".jpg", ".pbf", ".xlsx", ".mo"}:
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {what}" for what, pattern in CREDENTIALS if pattern.search(text)]
    assert not found
