"""Every threshold of docs/domain.md as a typed, versioned setting. Defaults are the contract's."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from desktop.domain.ai_services import DEFAULT_RULE as _AI_RULE

SETTINGS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Settings:
    reporting_currency: str = "USD"
    # pacing bands (ratio thresholds)
    band_shortfall_risk_below: float = 0.80  # r < 0.80 -> shortfall_risk
    band_shortfall_watch_below: float = 0.90  # 0.80 <= r < 0.90 -> shortfall_watch
    band_on_pace_max: float = 1.10  # 0.90 <= r <= 1.10 -> on_pace
    band_overage_watch_max: float = 1.20  # 1.10 < r <= 1.20 -> overage_watch, above -> overage_risk
    # forecast
    run_rate_days: int = 14
    smoothing_alpha: float = 0.3  # exponential smoothing shown beside the run rate
    # invoice variance
    invoice_tolerance_pct: float = 0.01
    invoice_tolerance_abs: Decimal = Decimal("1.00")
    premium_rate_tolerance_pct: float = 0.005
    # budgets
    severity_high: float = 0.20
    severity_medium: float = 0.10
    severity_under: float = -0.20
    tier_hard_cap: float = 1.00
    tier_hard_stop: float = 0.95
    tier_critical: float = 0.90
    tier_warning: float = 0.70
    tier_info: float = 0.50
    spike_pct: float = 0.20
    rca_high_hours: int = 24
    rca_medium_hours: int = 72
    monitoring_recovery_days: int = 3
    # anomalies
    anomaly_min_history: int = 7
    anomaly_window: int = 30
    anomaly_z: float = 3.0
    # renewal
    renewal_baseline_days: int = 90
    renewal_days_per_month: Decimal = Decimal("30.4375")
    renewal_paths: int = 2000
    renewal_seed: int = 20261122
    renewal_max_shortfall_probability: float = 0.10
    renewal_shortfall_limit_pct: float = 10.0  # negotiation: recommend only levels with P(shortfall) <= this %
    # walk-away: model families another vendor prices alike ("gpt-4o=claude-sonnet-4, o3=claude-opus-4")
    batna_equivalents: str = ""
    # FOCUS import
    focus_cost_basis: str = "EffectiveCost"  # or "BilledCost"
    # which cloud-export rows are AI spend (desktop/domain/ai_services.py; "*" = every row)
    ai_services: str = _AI_RULE
    schema_version: int = field(default=SETTINGS_SCHEMA_VERSION)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = str(v) if isinstance(v, Decimal) else v
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Unknown keys are ignored (forward compatibility); types follow the defaults."""
        kwargs: dict[str, Any] = {}
        defaults = cls()
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            d = getattr(defaults, f.name)
            v = data[f.name]
            if isinstance(d, Decimal):
                v = Decimal(str(v))
            elif isinstance(d, bool):
                v = bool(v)
            elif isinstance(d, int):
                v = int(v)
            elif isinstance(d, float):
                v = float(v)
            else:
                v = str(v)
            kwargs[f.name] = v
        return cls(**kwargs)


DEFAULT_SETTINGS = Settings()
