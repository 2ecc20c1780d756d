"""`trygg demo` loads users whose passwords are public: never by accident in production."""

import os
import subprocess
import sys
from pathlib import Path

from app import demo

TRYGG = str(Path(sys.executable).with_name("trygg"))


def run(tmp_path, *args, environment=None):
    env = {k: v for k, v in os.environ.items() if k != "TRYGG_ENVIRONMENT"}
    env.update(TRYGG_DATA_DIR=str(tmp_path), TRYGG_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    if environment:
        env["TRYGG_ENVIRONMENT"] = environment
    return subprocess.run([TRYGG, *args], env=env, capture_output=True, text=True, timeout=120)


def test_demo_refuses_in_production_and_loads_nobody(tmp_path):
    refused = run(tmp_path, "demo")
    assert refused.returncode == 1
    assert "TRYGG_ENVIRONMENT" in refused.stderr and demo.DEMO_PASSWORD not in refused.stdout
    # Nothing was loaded: a later demo in development finds an empty database.
    loaded = run(tmp_path, "demo", environment="development")
    assert loaded.returncode == 0, loaded.stderr
    assert "Demo organisation loaded." in loaded.stdout and demo.DEMO_PASSWORD in loaded.stdout


def test_demo_loads_in_production_only_when_told_the_passwords_are_public(tmp_path):
    loaded = run(tmp_path, "demo", "--with-public-passwords", environment="production")
    assert loaded.returncode == 0, loaded.stderr
    assert "Demo organisation loaded." in loaded.stdout
