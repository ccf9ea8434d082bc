"""The deploy files: they parse, they agree with the code, they install the package."""

from __future__ import annotations

import ast
import configparser
import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from apscheduler.triggers.cron import CronTrigger

from wirewatch.crawler.cli import build_parser
from wirewatch.crawler.config import load_config
from wirewatch.crawler.runner import project_settings
from wirewatch.crawler.schedule_config import ScheduleOptions, schedule_options

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
STOP_TIMEOUT = ScheduleOptions().stop_timeout.total_seconds()


def unit(path: Path) -> configparser.ConfigParser:
    # systemd allows repeated keys (Environment=); the last one is enough here.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def wirewatch_args(command: str) -> list[str]:
    """The arguments after the `wirewatch` executable of a shell command line."""
    words = shlex.split(command)
    index = next(i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] == "wirewatch")
    return words[index + 1 :]


def assert_valid_cli(args: list[str]) -> None:
    try:
        build_parser().parse_args(args)
    except SystemExit as exc:  # argparse rejects unknown commands and flags
        raise AssertionError(f"not a valid wirewatch command line: {args}") from exc


def test_the_schedule_service_runs_the_daemon_and_lets_crawls_finish() -> None:
    service = unit(DEPLOY / "systemd" / "wirewatch-schedule.service")
    exec_start = service["Service"]["ExecStart"]
    args = wirewatch_args(exec_start)
    assert_valid_cli(args)
    assert args[-1] == "schedule"
    # SIGTERM to the daemon only, which forwards exactly one to each crawl.
    assert service["Service"]["KillMode"] == "mixed"
    assert float(service["Service"]["TimeoutStopSec"]) > STOP_TIMEOUT
    assert service["Install"]["WantedBy"] == "multi-user.target"


def test_the_timer_alternative_runs_cron_mode() -> None:
    timer = unit(DEPLOY / "systemd" / "wirewatch-crawl.timer")
    service = unit(DEPLOY / "systemd" / "wirewatch-crawl.service")
    assert timer["Timer"]["OnUnitActiveSec"]
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert service["Service"]["Type"] == "oneshot"
    args = wirewatch_args(service["Service"]["ExecStart"])
    assert_valid_cli(args)
    assert args[-2:] == ["crawl", "--due"]
    assert_valid_cli(wirewatch_args(service["Service"]["ExecStartPost"].lstrip("-")))
    status = unit(DEPLOY / "systemd" / "wirewatch-status.service")
    assert_valid_cli(wirewatch_args(status["Service"]["ExecStart"]))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    # The units name /opt/wirewatch/venv; point them at an executable that exists here.
    for path in (DEPLOY / "systemd").iterdir():
        text = path.read_text(encoding="utf-8")
        (tmp_path / path.name).write_text(
            text.replace("/opt/wirewatch/venv/bin/wirewatch", sys.executable), encoding="utf-8"
        )
    names = sorted(p.name for p in tmp_path.iterdir())
    result = subprocess.run(
        ["systemd-analyze", "verify", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "wirewatch" not in result.stderr, result.stderr


def test_every_crontab_line_is_a_valid_schedule_and_command() -> None:
    lines = [
        line
        for line in (DEPLOY / "crontab.example").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line)
    ]
    assert lines
    commands = []
    for line in lines:
        fields = line.split(None, 5)
        CronTrigger.from_crontab(" ".join(fields[:5]))
        args = wirewatch_args(fields[5].split(">", 1)[0])
        assert_valid_cli(args)
        commands.append(args)
    assert [
        "--json-logs",
        "--log-file",
        "/var/log/wirewatch/crawl.log",
        "crawl",
        "--due",
        "--quiet",
    ] in commands


def test_compose_runs_wirewatch_with_postgresql_and_an_smtp_relay() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"wirewatch", "postgres", "smtp"}
    app = services["wirewatch"]
    assert (ROOT / "deploy" / Path(app["build"]["dockerfile"]).name).is_file()
    assert (DEPLOY / app["build"]["context"]).resolve() == ROOT
    assert_valid_cli(app["command"])
    assert "schedule" in app["command"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "@postgres:5432/" in app["environment"]["DATABASE_URL"]
    assert app["environment"]["WIREWATCH_SMTP_URL"].startswith("smtp://smtp:")
    grace = re.fullmatch(r"(\d+)m", app["stop_grace_period"])
    assert grace and int(grace.group(1)) * 60 > STOP_TIMEOUT
    assert "healthcheck" in services["postgres"]


def test_the_example_configuration_is_valid() -> None:
    config = load_config(DEPLOY / "wirewatch.example.toml")
    options = schedule_options(config)
    assert options.metrics_port == 9410
    assert {s.name for s in config.sources} >= set(options.source_bounds)


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """Instructions per stage, continuation lines joined."""
    stages: list[list[tuple[str, str]]] = []
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), rest.strip()))
    return stages


def test_the_image_installs_exactly_the_package(tmp_path: Path) -> None:
    """The Dockerfile builds one wheel from the package sources and installs only that.

    Building the package here (setuptools' build step, offline) from just the
    files the Dockerfile copies proves the copy list is complete: the SQL
    migrations and queries and the console script must all be there.
    """
    build, runtime = dockerfile_stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    copied = [rest.split()[0] for keyword, rest in build if keyword == "COPY"]
    builds = [rest for keyword, rest in build if keyword == "RUN"]
    assert builds == ["pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ."]
    installs = [rest for keyword, rest in runtime if keyword == "RUN" and "pip install" in rest]
    assert len(installs) == 1
    pip_args = installs[0].split("&&")[0].split()
    assert [a for a in pip_args if not a.startswith("-")][2:] == ["/tmp/wheels/wirewatch-*.whl"]
    assert ("USER", "wirewatch") in runtime
    assert ("ENTRYPOINT", '["wirewatch"]') in runtime

    context = tmp_path / "context"
    context.mkdir()
    for name in copied:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(  # links kept as links, as Docker's COPY keeps them
                source,
                context / name,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        else:
            shutil.copy2(source, context / name)
    built = tmp_path / "built"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from setuptools import setup; setup()",
            "-q",
            "egg_info",
            "--egg-base",
            str(tmp_path),
            "build_py",
            "--build-lib",
            str(built),
        ],
        cwd=context,
        check=True,
        capture_output=True,
        timeout=120,
    )
    names = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    for required in (
        "wirewatch/__init__.py",
        "wirewatch/crawler/cli.py",
        "wirewatch/crawler/scheduler.py",
        "wirewatch/pipelines/sql/migrations/0001_initial.sql",
        "wirewatch/pipelines/sql/queries/schedule.sql",
    ):
        assert required in names
    # One import package: nothing generic (``crawler``, ``pipelines``) in site-packages.
    assert {name.split("/")[0] for name in names} == {"wirewatch"}
    entry_points = (tmp_path / "wirewatch.egg-info" / "entry_points.txt").read_text()
    assert "wirewatch = wirewatch.crawler.cli:main" in entry_points


def test_the_docker_context_admits_only_what_the_dockerfile_copies() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    admitted = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    build, _ = dockerfile_stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    copied = {rest.split()[0] for keyword, rest in build if keyword == "COPY"}
    assert "**" in ignore
    assert admitted == copied | {"pyproject.toml", "README.md", "scrapy.cfg"}


def test_scrapyd_deploys_the_settings_and_finds_the_spiders() -> None:
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(DEPLOY / "scrapyd" / "scrapyd.conf", encoding="utf-8")
    assert conf["scrapyd"]["bind_address"] == "127.0.0.1"
    assert conf["scrapyd"]["items_dir"] == ""
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(DEPLOY / "scrapyd" / "scrapy.cfg", encoding="utf-8")
    assert cfg["settings"]["default"] == "wirewatch.crawler.settings"
    targets = [s for s in cfg.sections() if s.startswith("deploy:")]
    assert targets and cfg[targets[0]]["project"] == "wirewatch"
    setup = ast.parse((DEPLOY / "scrapyd" / "setup.py").read_text(encoding="utf-8"))
    literals = [ast.literal_eval(n) for n in ast.walk(setup) if isinstance(n, ast.Dict)]
    assert {"scrapy": ["settings = wirewatch.crawler.settings"]} in literals
    from scrapy.spiderloader import SpiderLoader

    spiders = SpiderLoader.from_settings(project_settings()).list()
    assert {"feed", "sitemap", "section"} <= set(spiders)


def test_logrotate_covers_every_log_file_the_crontab_writes() -> None:
    rules = (DEPLOY / "logrotate.d" / "wirewatch").read_text(encoding="utf-8")
    [pattern] = re.findall(r"^(/\S+)\s*\{", rules, re.M)
    crontab = (DEPLOY / "crontab.example").read_text(encoding="utf-8")
    files = re.findall(r"--log-file (\S+)", crontab)
    assert files and all(fnmatch.fnmatch(f, pattern) for f in files)
    # The handler reopens a moved file: truncating it in place would lose lines.
    directives = [line.split()[0] for line in rules.splitlines() if line.startswith("    ")]
    assert "copytruncate" not in directives
