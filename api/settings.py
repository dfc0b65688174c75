"""Service settings, read from the environment (prefix ``PLANNER_``) by pydantic-settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything an operator may change without touching code; each has a safe default."""

    model_config = SettingsConfigDict(env_prefix="PLANNER_", extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///planner.db",
        description="SQLAlchemy URL; a relative SQLite path is under the working directory.",
    )
    api_keys: str = Field(
        default="",
        description="Keys accepted besides those in the database: 'org:key,org2:key2'.",
    )
    scenarios_dir: Path = Field(
        default=PROJECT_ROOT / "scenarios", description="Folder of the bundled scenarios."
    )
    solver_processes: int = Field(default=2, ge=1, le=64, description="Processes that solve.")
    queue_depth: int = Field(
        default=14, ge=0, le=1000, description="Solves that may wait for a process before 503."
    )
    max_cities: int = Field(default=40, ge=1, description="Most cities a scenario may have.")
    max_horizon_days: int = Field(default=31, ge=1, description="Longest planning horizon.")
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Largest request body.")
    max_time_limit_s: float = Field(default=60.0, gt=0, description="Largest solver time limit.")
    default_time_limit_s: float | None = Field(
        default=None,
        gt=0,
        description="Solver time limit of a request that gives none; unset: the scenario's own "
        "(solver.time_limit_s), within max_time_limit_s.",
    )
    grace_s: float = Field(
        default=60.0,
        ge=0,
        description="Time beyond the solver limit for building the model before a request times out.",
    )
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After sent with 503 when busy.")
    max_solves_per_organisation: int = Field(
        default=8,
        ge=1,
        description="Solves one organisation may have running or waiting at once (its share of the "
        "solver processes and the waiting line); beyond it, 429.",
    )
    rate_per_key: int = Field(
        default=600, ge=0, description="Requests a minute one API key may make (0: no limit)."
    )
    rate_per_organisation: int = Field(
        default=1200,
        ge=0,
        description="Requests a minute all keys of one organisation may make together (0: no limit).",
    )
    auth_failures_per_client: int = Field(
        default=30,
        ge=0,
        description="Requests with an unknown or revoked key one client address may make a minute; "
        "beyond it, every request with a key from that address gets 429 (0: no limit).",
    )

    public_url: str | None = Field(
        default=None,
        description="The service's address as its users reach it (https://planner.example.org), for the "
        "calendar feed links of share tokens. Unset: the address of the request, with https.",
    )
    webhook_attempts: int = Field(
        default=6, ge=1, le=20, description="Attempts at delivering one notification to one webhook."
    )
    webhook_backoff_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="Wait before the second attempt of a delivery; it doubles before each further one.",
    )
    webhook_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="How long one delivery attempt waits for an answer."
    )
    webhook_threads: int = Field(
        default=4, ge=1, le=64, description="Deliveries to webhooks under way at once."
    )
    max_webhooks_per_organisation: int = Field(
        default=20, ge=1, le=1000, description="Webhooks one organisation may register."
    )

    risk_ray_address: str | None = Field(
        default=None,
        description="HOST:PORT of a Ray cluster's head node: reliability runs send their samples there "
        "(one actor per CPU of the cluster). Unset: they run in the solver pool's process.",
    )

    @model_validator(mode="after")
    def _ray_address_form(self) -> Settings:
        from planner.risk.ray_engine import address_problem

        if self.risk_ray_address is not None and (wrong := address_problem(self.risk_ray_address)):
            raise ValueError(f"PLANNER_RISK_RAY_ADDRESS {wrong}")
        return self

    @model_validator(mode="after")
    def _public_url_form(self) -> Settings:
        url = self.public_url
        if url is not None and (not url.startswith(("https://", "http://")) or any(c.isspace() for c in url)):
            raise ValueError("PLANNER_PUBLIC_URL is the service's https:// address, without spaces")
        return self

    @model_validator(mode="after")
    def _default_within_cap(self) -> Settings:
        if self.default_time_limit_s is not None and self.default_time_limit_s > self.max_time_limit_s:
            raise ValueError(
                f"PLANNER_DEFAULT_TIME_LIMIT_S ({self.default_time_limit_s:g}) is above "
                f"PLANNER_MAX_TIME_LIMIT_S ({self.max_time_limit_s:g})"
            )
        return self

    def configured_keys(self) -> dict[str, str]:
        """Key -> organisation, from ``api_keys``; raise ValueError naming a bad entry."""
        keys: dict[str, str] = {}
        for entry in filter(None, (part.strip() for part in self.api_keys.split(","))):
            organisation, sep, key = entry.partition(":")
            if not sep or not organisation.strip() or len(key.strip()) < 16:
                raise ValueError(
                    "PLANNER_API_KEYS: each entry is 'organisation:key' with a key of 16+ characters"
                )
            keys[key.strip()] = organisation.strip()
        return keys
