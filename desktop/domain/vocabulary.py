"""Every enumerated vocabulary of CommitDesk, with a human label per key: the one place.

A vocabulary is a tuple of its keys (in the order the app shows them) that also knows each
key's label: ``BANDS.label("shortfall_risk") == "Shortfall risk"``. The domain computes keys;
the GUI, the brief and the text report show ``label(key)``; validation checks membership here.
A key that appears in two vocabularies ("none", "high") has the same label in both.
"""

from __future__ import annotations


class Vocabulary(tuple):
    """The keys of one vocabulary, in order, with ``labels`` (key -> human label)."""

    name: str
    labels: dict[str, str]

    def __new__(cls, name: str, pairs: tuple[tuple[str, str], ...]) -> Vocabulary:
        obj = super().__new__(cls, (k for k, _ in pairs))
        obj.name = name
        obj.labels = dict(pairs)
        return obj

    def __getnewargs__(self):  # pickling (results cross process boundaries in tests and bench)
        return (self.name, tuple(self.labels.items()))

    def label(self, key: str | None) -> str:
        return label(key) if key not in self.labels else self.labels[key]

    def one_of(self) -> str:
        """'a, b or c' for messages."""
        return ", ".join(self[:-1]) + f" or {self[-1]}" if len(self) > 1 else "".join(self)


def _v(name: str, *pairs: tuple[str, str]) -> Vocabulary:
    return Vocabulary(name, pairs)


# --- contracts ---------------------------------------------------------------------------------
BANDS = _v("pacing band",
           ("shortfall_risk", "Shortfall risk"), ("shortfall_watch", "Shortfall watch"),
           ("on_pace", "On pace"), ("overage_watch", "Overage watch"), ("overage_risk", "Overage risk"))
NO_BAND_LABEL = "No pace yet"  # band None: nothing expected yet (expected = 0)
RISK_BANDS = ("shortfall_risk", "overage_risk")  # escalate to escalation_owner
WATCH_BANDS = ("shortfall_watch", "overage_watch")  # escalate to owner
SHORTFALL_BANDS = ("shortfall_risk", "shortfall_watch")
OVERAGE_BANDS = ("overage_watch", "overage_risk")
# what an ended term (a period, or a contract whose every period has ended) came to; its band is None
OUTCOMES = _v("ended-term outcome", ("ended_met", "Ended: met"), ("ended_shortfall", "Ended: shortfall owed"),
              ("ended_carried", "Ended: shortfall carried"), ("ended_overage", "Ended: overage"))
PERIOD_STATUSES = _v("period status", ("ended", "Ended"), ("current", "Current"), ("future", "Future"))

# --- budgets -----------------------------------------------------------------------------------
SEVERITIES = _v("budget severity", ("high", "High"), ("medium", "Medium"), ("low", "Low"),
                ("none", "None"), ("under", "Under"))
ALERT_TIERS = _v("alert tier", ("hard_cap", "Hard cap"), ("hard_stop", "Hard stop"),
                 ("critical", "Critical"), ("warning", "Warning"), ("info", "Info"), ("none", "None"))
BUDGET_DIMENSIONS = _v("budget dimension", ("team", "Team"), ("project", "Project"),
                       ("cost_center", "Cost center"), ("gl_account", "GL account"), ("environment", "Environment"),
                       ("vendor", "Vendor"), ("model", "Model"), ("workload", "Workload"))

# --- invoices ----------------------------------------------------------------------------------
INVOICE_STATUSES = _v("invoice status", ("within_tolerance", "Within tolerance"),
                      ("overbilled", "Overbilled"), ("underbilled", "Underbilled"),
                      ("no_usage_period", "No usage in the period"))
LINE_FLAGS = _v("invoice line flag", ("double_billing", "Double billing"), ("duplicate_line", "Duplicate line"),
                ("duplicate_credit", "Duplicate credit"), ("list_price", "List price"), ("premium_rate", "Premium rate"),
                ("no_usage", "No usage"), ("cache_discount_missing", "Cache discount missing"),
                ("batch_discount_missing", "Batch discount missing"), ("tier_mismatch", "Tier not used"))
EXPECTED_BASES = _v("expected basis", ("period", "Whole period"), ("lines", "Usage its lines name"),
                    ("pro_rata", "Pro-rata share"))
LINE_TYPES = _v("invoice line type", ("usage", "Usage"), ("credit", "Credit"), ("tax", "Tax"),
                ("adjustment", "Adjustment"), ("commitment", "Commitment"), ("true_up", "True-up"))

# --- token-level rate cards and the three-way audit (desktop/domain/rate_audit.py) ------------
TOKEN_KINDS = _v("token kind", ("input", "Input"), ("cached_input", "Cached input"),
                 ("cache_write", "Cache write"), ("cache_write_1h", "Cache write (1 h)"), ("output", "Output"))
SERVICE_TIERS = _v("service tier", ("standard", "Standard"), ("batch", "Batch"), ("flex", "Flex"),
                   ("priority", "Priority"), ("provisioned", "Provisioned"))

# spellings the sources use, folded (casefold, '_', '-', '.' and runs of spaces -> one space)
_TOKEN_KIND_SPELLINGS = {
    "input": "input", "input tokens": "input", "uncached input": "input", "uncached input tokens": "input",
    "input uncached tokens": "input", "prompt": "input", "prompt tokens": "input", "text input": "input",
    "cached input": "cached_input", "cached input tokens": "cached_input", "input cached tokens": "cached_input",
    "cache read": "cached_input", "cache read input tokens": "cached_input", "cache read tokens": "cached_input",
    "cached": "cached_input", "cache hit": "cached_input",
    "cache write": "cache_write", "cache write input tokens": "cache_write", "cache write tokens": "cache_write",
    "input cache write tokens": "cache_write", "cache creation": "cache_write",
    "cache creation input tokens": "cache_write", "cache creation 5m input tokens": "cache_write",
    "cache creation ephemeral 5m input tokens": "cache_write", "cache write 5m": "cache_write",
    "cache creation 1h input tokens": "cache_write_1h", "cache creation ephemeral 1h input tokens": "cache_write_1h",
    "cache write 1h": "cache_write_1h",
    "output": "output", "output tokens": "output", "completion": "output", "completion tokens": "output",
    "text output": "output",
}
_TIER_SPELLINGS = {
    "standard": "standard", "default": "standard", "auto": "standard", "on demand": "standard",
    "ondemand": "standard", "pay as you go": "standard", "payg": "standard",
    "batch": "batch", "flex": "flex", "priority": "priority", "scale": "priority",
    "provisioned": "provisioned", "provisioned throughput": "provisioned", "ptu": "provisioned",
    "reserved": "provisioned",
}


def _fold(text) -> str:
    s = str(text).casefold().strip()
    return " ".join(s.replace("_", " ").replace("-", " ").replace(".", " ").split())


def token_kind_of(text) -> str | None:
    """A token-kind spelling ("cached input", "cache_read_input_tokens", "Cache Read Input
    Tokens", "input_cached_tokens" ...) -> its TOKEN_KINDS key; None when it is not one (a meter
    such as "requests"). A "(batch)" or tier word in the text is ignored here (see tier_in)."""
    if text is None:
        return None
    s = _fold(text)
    for word in ("batch", "priority", "flex", "scale", "standard"):
        s = " ".join(w for w in s.replace("(", " ").replace(")", " ").split() if w != word)
    return _TOKEN_KIND_SPELLINGS.get(s)


def service_tier_of(text) -> str | None:
    """A service-tier spelling ("default", "Batch", "scale", "PTU" ...) -> its SERVICE_TIERS key;
    None when it is not one."""
    if text is None:
        return None
    return _TIER_SPELLINGS.get(_fold(text))


def tier_in(text) -> str | None:
    """The service tier a line-item text names as a word ("input (batch)", "batch output"); None."""
    if text is None:
        return None
    words = _fold(text).replace("(", " ").replace(")", " ").split()
    for w in words:
        if w in ("batch", "flex", "priority", "scale"):
            return _TIER_SPELLINGS[w]
    return None


_UNIT_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000,
               "mtok": 1_000_000, "ktok": 1_000}


def tokens_per_unit(unit) -> int | None:
    """How many tokens one priced unit counts: "token(s)" 1; "1K tokens", "1000 tokens", "per
    1K tokens" 1,000; "1M tokens", "1000000 Tokens", "per million tokens", "MTok" 1,000,000.
    None when the unit is empty or not a number of tokens ("hours", "requests")."""
    if unit is None:
        return None
    words = _fold(unit).replace("/", " ").split()
    if words and words[0] == "per":
        words = words[1:]
    if not words:
        return None
    if len(words) == 1 and words[0] in ("mtok", "ktok"):
        return _UNIT_SCALE[words[0]]
    if words[-1] not in ("token", "tokens", "tok"):
        return None
    words = words[:-1]
    n = 1
    if words:
        head = words[0]
        scale = 1
        for suffix in ("k", "m"):
            if head.endswith(suffix) and head[:-1].replace(",", "").isdigit():
                head, scale = head[:-1], _UNIT_SCALE[suffix]
                break
        if head.replace(",", "").isdigit():
            n = int(head.replace(",", "")) * scale
            words = words[1:]
        elif head in _UNIT_SCALE:
            n = _UNIT_SCALE[head]
            words = words[1:]
        if words and words[0] in _UNIT_SCALE:
            n *= _UNIT_SCALE[words[0]]
            words = words[1:]
        if words or n <= 0:
            return None
    return n


# --- anomalies, workload shift -----------------------------------------------------------------
ANOMALY_DIMENSIONS = _v("anomaly dimension", ("model", "Model"), ("team", "Team"), ("vendor", "Vendor"))
SHIFT_BASES = _v("workload basis", ("workload", "Workload"), ("project", "Project"),
                 ("model", "Model"), ("vendor", "Vendor"))

# --- findings and actions ----------------------------------------------------------------------
FINDING_KINDS = _v("finding kind", ("budget", "Budget"), ("contract", "Contract"),
                   ("invoice_flag", "Invoice line"), ("invoice_variance", "Invoice variance"),
                   ("anomaly", "Anomaly"), ("notice", "Notice deadline"))
# what a finding's money at stake is (Finding.stake_kind; docs/domain.md "Money at stake")
STAKE_KINDS = _v("money at stake", ("avoidable_shortfall", "Avoidable shortfall penalty"),
                 ("overage_premium", "Overage premium"), ("leakage", "Invoice leakage"),
                 ("overbilling", "Over-billing"), ("budget_overrun", "Budget overrun forecast"),
                 ("excess_spend", "Spend above normal"))
ACTION_SEVERITIES = _v("action severity", ("high", "High"), ("medium", "Medium"), ("low", "Low"))
ACTION_STATUSES = _v("action status", ("open", "Open"), ("in_progress", "In progress"),
                     ("done", "Done"), ("wont_fix", "Won't fix"))
OPEN_ACTION_STATUSES = ("open", "in_progress")
CLOSED_ACTION_STATUSES = ("done", "wont_fix")
# how a closed action was resolved (Action.resolution): newer data no longer shows the finding, or a person closed it
RESOLUTIONS = _v("resolution", ("data", "By newer data"), ("analyst", "By a person"))

# --- workspace and import ----------------------------------------------------------------------
AS_OF_MODES = _v("as-of mode", ("latest_usage", "Latest usage date"), ("today", "Today"),
                 ("fixed", "Fixed date"))
TABLES = _v("table", ("commitments", "Commit schedule"), ("usage", "Usage"), ("invoices", "Invoices"),
            ("budgets", "Budgets"), ("rate_card", "Rate card"), ("org_map", "Org map"),
            ("fx_rates", "FX rates"))
# tables whose every row matters: a file of one of them with a rejected row is refused whole
REFERENCE_TABLES = ("commitments", "budgets", "rate_card", "org_map", "fx_rates")
FOCUS_COST_BASES = _v("FOCUS cost basis", ("EffectiveCost", "Effective cost"), ("BilledCost", "Billed cost"))
# provider exports (desktop/domain/snapshots.py, desktop/domain/tieout.py)
SNAPSHOT_RULES = _v("snapshot rule", ("export_time", "Later export time"),
                    ("later_data", "Data running to a later day"), ("import_order", "Imported later"))
TIE_MATCHES = _v("tie-out match", ("invoice_id", "Invoice id"), ("vendor_period", "Vendor and billing period"),
                 ("unmatched", "No invoice found"))
TIE_STATUSES = _v("tie-out status", ("tied", "Ties out"), ("residual", "Residual"),
                  ("no_invoice", "No invoice imported"), ("mixed_currency", "Currencies differ"))

# the settings (desktop.domain.settings.Settings fields) by name, as a reader sees them (the brief's
# Assumptions sheet); not an enumeration of values, so not part of VOCABULARIES below
SETTINGS = _v("setting",
              ("reporting_currency", "Reporting currency"),
              ("band_shortfall_risk_below", "Shortfall risk: pacing below"),
              ("band_shortfall_watch_below", "Shortfall watch: pacing below"),
              ("band_on_pace_max", "On pace: pacing up to"),
              ("band_overage_watch_max", "Overage watch: pacing up to"),
              ("run_rate_days", "Run-rate window (days)"),
              ("smoothing_alpha", "Smoothed run rate: smoothing factor"),
              ("invoice_tolerance_pct", "Invoice tolerance (share of expected)"),
              ("invoice_tolerance_abs", "Invoice tolerance (amount)"),
              ("premium_rate_tolerance_pct", "Premium-rate tolerance above the contracted price"),
              ("severity_high", "High severity: forecast over budget by"),
              ("severity_medium", "Medium severity: forecast over budget by"),
              ("severity_under", "Under budget (reallocate): variance at most"),
              ("tier_hard_cap", "Hard cap tier: utilization from"),
              ("tier_hard_stop", "Hard stop tier: utilization from"),
              ("tier_critical", "Critical tier: utilization from"),
              ("tier_warning", "Warning tier: utilization from"),
              ("tier_info", "Info tier: utilization from"),
              ("spike_pct", "Spike: forecast above last month by"),
              ("rca_high_hours", "Root-cause analysis due, high (hours)"),
              ("rca_medium_hours", "Root-cause analysis due, medium (hours)"),
              ("monitoring_recovery_days", "Days back under pace to end daily monitoring"),
              ("anomaly_min_history", "Anomalies: days of history needed"),
              ("anomaly_window", "Anomalies: window (days)"),
              ("anomaly_z", "Anomalies: flag above z-score"),
              ("renewal_baseline_days", "Renewal baseline: trailing days of usage"),
              ("renewal_days_per_month", "Renewal: days per month"),
              ("renewal_paths", "Renewal: simulated growth paths"),
              ("renewal_seed", "Renewal: simulation seed"),
              ("renewal_max_shortfall_probability", "Renewal safe level: P(shortfall) at most"),
              ("renewal_shortfall_limit_pct", "Negotiation: recommended level's P(shortfall) at most (%)"),
              ("batna_equivalents", "Walk-away: model equivalents (family=family, ...)"),
              ("focus_cost_basis", "FOCUS cost basis"),
              ("ai_services", "AI services: rule for cloud exports"),
              ("schema_version", "Settings schema version"))

VOCABULARIES: tuple[Vocabulary, ...] = (
    BANDS, OUTCOMES, PERIOD_STATUSES, SEVERITIES, ALERT_TIERS, BUDGET_DIMENSIONS, INVOICE_STATUSES, LINE_FLAGS,
    EXPECTED_BASES, LINE_TYPES, TOKEN_KINDS, SERVICE_TIERS, ANOMALY_DIMENSIONS, SHIFT_BASES, FINDING_KINDS, STAKE_KINDS, ACTION_SEVERITIES,
    ACTION_STATUSES, RESOLUTIONS,
    AS_OF_MODES, TABLES, FOCUS_COST_BASES, SNAPSHOT_RULES, TIE_MATCHES, TIE_STATUSES,
)

LABELS: dict[str, str] = {}
for _voc in VOCABULARIES:
    for _key, _text in _voc.labels.items():
        if LABELS.setdefault(_key, _text) != _text:  # pragma: no cover - caught by the tests
            raise ValueError(f"{_key!r} has two labels: {LABELS[_key]!r} and {_text!r}")
del _voc, _key, _text


def label(key: str | None) -> str:
    """The human label of any vocabulary key ('shortfall_risk' -> 'Shortfall risk'); a key no
    vocabulary knows is spelled in words ('foo_bar' -> 'Foo bar'); None -> ''."""
    if key is None:
        return ""
    if key in LABELS:
        return LABELS[key]
    s = str(key).replace("_", " ")
    return s[:1].upper() + s[1:]


def band_label(band: str | None) -> str:
    """A pacing band's label; None (nothing expected yet) -> 'No pace yet'."""
    return NO_BAND_LABEL if band is None else label(band)
