"""Reliability reports of plan versions (``POST /v1/plans/{id}/versions/{n}/risk``).

One row per finished risk run: the version it ran on, its policy, samples and seed, and the report
as JSON. The lengths are written out, not taken from the models or from constants: a revision
records what the database was, and must not change when the code does.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "plan_risk_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=10), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_risk_reports_plan_id", "plan_risk_reports", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_risk_reports_plan_id", table_name="plan_risk_reports")
    op.drop_table("plan_risk_reports")
