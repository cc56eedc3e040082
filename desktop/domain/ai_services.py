"""Which usage rows are AI spend: the AI-service rule for cloud exports.

A cloud bill (Azure EA/MCA cost details, FOCUS from Azure, AWS or Google Cloud) lists every
service of the account: virtual machines, storage and databases beside Azure OpenAI, Amazon
Bedrock or Vertex AI. CommitDesk manages AI commitments, so a row of a cloud export counts as
AI spend only when its service (usage column ``service``: Azure "MeterCategory / MeterSubCategory",
FOCUS "ServiceCategory / ServiceName") is named by the rule. Rows that name no service (an OpenAI or Anthropic
export, the usage template without a service column) are the AI vendor's own spend and always
count.

The rule is one line of text, kept per workspace as the setting ``ai_services`` (shown and
edited in the import wizard and in Settings): terms separated by ``;`` (or new lines), each
matched case-insensitively as a part of the service name; a term written ``not X`` excludes
the services naming X even when another term names them. An empty rule (or ``*``) counts
every row. Example: ``Cognitive Services; Azure OpenAI; not Translator``.

What the classification changes (docs/domain.md "AI spend in cloud exports"): rows that are
not AI spend are kept (imported, listed, shown on the Usage page, billed on invoices) but draw
down no commitment and count in no budget, chargeback line, anomaly, renewal baseline or
workload-shift run rate. ``ai_mask`` is the one place that decides; the prepared usage carries
its answer as column ``_ai`` and desktop/domain/usage_index.py hands it to every selector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from desktop.domain.tables import text_codes

# The default rule: the AI services of the three clouds as their exports name them.
#   FOCUS (any provider): ServiceCategory "AI and Machine Learning", the specification's own
#          category (Azure OpenAI, Bedrock, Vertex AI, SageMaker, Azure Machine Learning ...).
#   Azure: MeterCategory "Azure OpenAI" / "Cognitive Services" (Azure AI services, Azure OpenAI
#          before it had its own category) / "Foundry Models" and "Foundry Tools" (Azure AI
#          Foundry) / "Azure AI services"; MeterSubCategory "Azure OpenAI" under Cognitive Services.
#   AWS:   ServiceName "Amazon Bedrock" (and Bedrock models sold through the AWS Marketplace).
#   Google Cloud: ServiceName "Vertex AI", "Gemini API", "Generative Language API" (Gemini).
DEFAULT_RULE = ("AI and Machine Learning; Azure OpenAI; Cognitive Services; Azure AI services; AI Foundry; "
                "Foundry Models; Foundry Tools; Bedrock; Vertex AI; Gemini; Generative Language; Generative AI")

EVERYTHING = "*"


@dataclass(frozen=True)
class AiRule:
    include: tuple[str, ...]  # terms as written (blanks collapsed); empty: every row counts
    exclude: tuple[str, ...] = ()

    @property
    def counts_everything(self) -> bool:
        return not self.include


def parse_rule(text: str | None) -> AiRule:
    """The rule written as text -> AiRule (blank terms and repeats dropped, order kept)."""
    include: list[str] = []
    exclude: list[str] = []
    seen: set[tuple[bool, str]] = set()  # terms compare case-insensitively
    for raw in str(text or "").replace("\n", ";").split(";"):
        term = " ".join(raw.split())
        if not term:
            continue
        if term == EVERYTHING:
            return AiRule(())
        negated = term.casefold().startswith("not ")
        t = term[4:].strip() if negated else term
        if t and (negated, t.casefold()) not in seen:
            seen.add((negated, t.casefold()))
            (exclude if negated else include).append(t)
    return AiRule(tuple(include), tuple(exclude))


def rule_text(rule: AiRule) -> str:
    """The canonical spelling of a rule (as saved)."""
    if rule.counts_everything:
        return EVERYTHING
    return "; ".join(list(rule.include) + [f"not {t}" for t in rule.exclude])


def describe(text: str | None) -> str:
    """The rule in a sentence, for the wizard, the import report and the docs."""
    rule = parse_rule(text)
    if rule.counts_everything:
        return "Every usage row counts as AI spend (no AI-service rule)."
    s = ("A cloud-export row counts as AI spend when its service names " +
         ", ".join(f"“{t}”" for t in rule.include))
    if rule.exclude:
        s += " and none of " + ", ".join(f"“{t}”" for t in rule.exclude)
    return s + "; rows that name no service (an AI vendor's own export) always count."


def _names(service: pd.Series, terms: tuple[str, ...]) -> np.ndarray:
    low = service.str.casefold()
    hit = np.zeros(len(service), dtype=bool)
    for t in terms:
        hit |= low.str.contains(t.casefold(), regex=False).fillna(False).to_numpy(dtype=bool)
    return hit


def ai_mask(usage: pd.DataFrame, text: str | None) -> np.ndarray:
    """Per usage row: does it count as AI spend under the rule ``text``? (THE rule.) A row
    without a service (column absent, empty or missing) counts."""
    n = len(usage)
    rule = parse_rule(text)
    if rule.counts_everything or "service" not in usage.columns or not n:
        return np.ones(n, dtype=bool)
    # one decision per distinct service name (trimmed; blank counts), spread back to the rows
    codes, uniques = text_codes(usage["service"])
    names = pd.Series(uniques, dtype="string").str.strip()
    keep = (_names(names, rule.include) & ~_names(names, rule.exclude)) | names.eq("").to_numpy(dtype=bool)
    return np.append(keep, True)[codes]


@dataclass(frozen=True)
class Split:
    """How a usage frame divides under a rule (the wizard's preview and the import report).
    Amounts are per currency (never added across currencies): ((currency, micros), ...)."""

    ai_rows: int
    ai_amounts: tuple[tuple[str, int], ...]
    other_rows: int
    other_amounts: tuple[tuple[str, int], ...]
    other_services: tuple[tuple[str, int], ...]  # (service, rows) of the rows not counted, most rows first


def _amounts(usage: pd.DataFrame, mask: np.ndarray) -> tuple[tuple[str, int], ...]:
    from desktop.domain.money import money_sum

    if not mask.any() or "cost" not in usage.columns:
        return ()
    cost = usage["cost"].to_numpy(dtype=np.int64)[mask]
    if "currency" not in usage.columns:
        return (("", money_sum(cost)),)
    codes, uniques = text_codes(usage["currency"])
    codes = codes[mask]
    names = [str(u) for u in uniques] + [""]  # missing: ""
    out: dict[str, int] = {}
    for c in np.unique(codes).tolist():
        out[names[c]] = out.get(names[c], 0) + money_sum(cost[codes == c])
    return tuple(sorted(out.items()))


def split(usage: pd.DataFrame, text: str | None) -> Split:
    """Rows are counted as source rows (``tables.source_row_count``: a daily rollup row stands
    for the rows it rolls up)."""
    from desktop.domain.tables import source_row_count

    mask = ai_mask(usage, text)
    others: tuple[tuple[str, int], ...] = ()
    if (~mask).any():
        codes, uniques = text_codes(usage["service"])
        codes = codes[~mask]
        weights = (usage["source_rows"].to_numpy(dtype=np.int64)[~mask] if "source_rows" in usage.columns
                   else np.ones(len(codes), dtype=np.int64))
        ok = codes >= 0
        rows = np.zeros(len(uniques), dtype=np.int64)
        np.add.at(rows, codes[ok].astype(np.int64), weights[ok])
        present = np.bincount(codes[ok].astype(np.int64), minlength=len(uniques)) > 0
        vc: dict[str, int] = {}
        for name, k, seen in zip(pd.Series(uniques, dtype="string").str.strip().tolist(), rows.tolist(),
                                 present.tolist(), strict=True):
            if seen:
                vc[name] = vc.get(name, 0) + k
        others = tuple(sorted(vc.items(), key=lambda kv: (-kv[1], kv[0])))
    return Split(source_row_count(usage, mask), _amounts(usage, mask), source_row_count(usage, ~mask),
                 _amounts(usage, ~mask), others)


def amounts_text(amounts: tuple[tuple[str, int], ...]) -> str:
    """'USD 8.55' or 'EUR 1.00 + USD 2.00' (per currency, to the cent)."""
    from desktop.domain.money import micros_to_cents

    return " + ".join(f"{c + ' ' if c else ''}{micros_to_cents(m):,}" for c, m in amounts) or "0.00"


SPLIT_NOTE_MARK = "rows are not AI services under the AI-service rule"


def is_split_note(text: str) -> bool:
    """Is this report line the one ``split_note`` wrote (the wizard shows the live split instead)?"""
    return SPLIT_NOTE_MARK in text


def split_note(s: Split, *, limit: int = 4) -> str | None:
    """'10 of 12 rows are not AI services under the AI-service rule (Storage 4, Virtual
    Machines 3, ...; USD 8.55): ...' (None when every row counts)."""
    if not s.other_rows:
        return None
    names = ", ".join(f"{k} {v}" for k, v in s.other_services[:limit])
    if len(s.other_services) > limit:
        names += f" and {len(s.other_services) - limit} more"
    total = s.ai_rows + s.other_rows
    return (f"{s.other_rows:,} of {total:,} {SPLIT_NOTE_MARK} "
            f"({names}; {amounts_text(s.other_amounts)}): imported and shown on the Usage page and in "
            "invoice checks, not counted as AI spend (commitments, budgets, chargeback, anomalies)")
