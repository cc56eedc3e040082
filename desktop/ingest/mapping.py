"""Column mapping for any spreadsheet: multilingual synonyms and named mapping profiles.

A ``MappingProfile`` says, for one source shape, which source column feeds which canonical
column, and how to read what the file alone cannot settle (decimal separator, day/month order,
currency when the file has none). Profiles are plain dicts (``to_dict``/``from_dict``) that
desktop/store persists; ``signature(columns)`` identifies "a file of the same shape" (same
header names, whatever their order, case or spacing), so a saved profile applies by itself the
next time such a file comes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from desktop.domain import tables
from desktop.ingest.sniff import norm_name

# canonical column -> synonyms (normalised with norm_name). Several languages on purpose.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "usage_date", "datum", "tag", "fecha", "data", "giorno", "jour",
             "dia", "día", "usage_day", "billing_date", "timestamp", "start_time", "usage_start",
             "charge_date", "buchungsdatum", "leistungsdatum", "date_d_utilisation"),
    "vendor": ("vendor", "provider", "supplier", "anbieter", "lieferant", "fournisseur",
               "proveedor", "fornitore", "leverancier", "fornecedor", "service_provider",
               "publisher", "kreditor"),
    "cost": ("cost", "amount", "spend", "kosten", "betrag", "montant", "importe", "coste", "costo",
             "costi", "importo", "bedrag", "kosten_eur", "valor", "custo", "total_cost", "cost_usd",
             "amount_usd", "charges", "charge", "net_cost", "ausgaben", "dépense", "depense",
             "gasto", "spesa"),
    "amount": ("amount", "line_amount", "betrag", "montant", "importe", "importo", "bedrag",
               "valor", "net_amount", "total", "extended_amount", "nettobetrag", "montant_ht",
               "line_total", "cost", "kosten"),
    "currency": ("currency", "ccy", "cur", "währung", "wahrung", "waehrung", "devise", "moneda",
                 "divisa", "valuta", "moeda", "currency_code", "billing_currency"),
    "model": ("model", "modell", "modèle", "modele", "modelo", "modello", "model_name",
              "model_id"),
    "meter": ("meter", "sku", "line_item", "meter_name", "product", "produkt", "produit",
              "producto", "prodotto", "service", "item"),
    "quantity": ("quantity", "qty", "units", "menge", "anzahl", "quantité", "quantite",
                 "cantidad", "quantità", "quantita", "hoeveelheid", "quantidade", "usage_quantity",
                 "tokens"),
    "unit": ("unit", "uom", "unit_of_measure", "einheit", "unité", "unite", "unidad", "unità",
             "eenheid", "unidade"),
    "team": ("team", "équipe", "equipe", "equipo", "squadra", "abteilung", "department", "dept",
             "departement", "département", "departamento", "reparto"),
    "project": ("project", "projekt", "projet", "proyecto", "progetto", "project_name",
                "projeto"),
    "cost_center": ("cost_center", "cost_centre", "costcenter", "kostenstelle", "centre_de_coût",
                    "centre_de_cout", "centro_de_coste", "centro_de_costo", "centro_di_costo",
                    "kostenplaats", "centro_de_custo", "cc"),
    "environment": ("environment", "env", "umgebung", "environnement", "entorno", "ambiente",
                    "omgeving", "stage"),
    "api_key": ("api_key", "api_key_id", "key", "apikey", "api_key_name"),
    "workload": ("workload", "use_case", "application", "app", "anwendung", "application_name"),
    "contract_id": ("contract_id", "contract", "vertrag", "vertragsnummer", "contrat", "contrato",
                    "contratto", "contract_number", "agreement", "agreement_id"),
    "commit_eligible": ("commit_eligible", "eligible", "counts_toward_commit", "commit"),
    "invoice_id": ("invoice_id", "invoice", "invoice_number", "invoice_no", "rechnung",
                   "rechnungsnummer", "rechnungsnr", "facture", "numéro_de_facture",
                   "numero_de_factura", "factura", "fattura", "numero_fattura", "factuur",
                   "factuurnummer", "fatura", "invoiceid"),
    "invoice_date": ("invoice_date", "rechnungsdatum", "date_de_facture", "date_facture",
                     "fecha_de_factura", "fecha_factura", "data_fattura", "factuurdatum",
                     "data_da_fatura", "billing_date", "date"),
    "period_start": ("period_start", "start", "start_date", "from", "von", "beginn", "début",
                     "debut", "date_de_début", "inicio", "fecha_inicio", "inizio", "billing_period_start",
                     "service_period_start", "term_start"),
    "period_end": ("period_end", "end", "end_date", "to", "bis", "ende", "fin", "date_de_fin",
                   "fecha_fin", "fine", "billing_period_end", "service_period_end", "term_end"),
    "description": ("description", "beschreibung", "bezeichnung", "libellé", "libelle",
                    "descripción", "descripcion", "descrizione", "omschrijving", "descrição",
                    "line_description", "text"),
    "unit_price": ("unit_price", "price", "rate", "preis", "einzelpreis", "prix_unitaire", "prix",
                   "precio_unitario", "precio", "prezzo_unitario", "prezzo", "eenheidsprijs",
                   "preço_unitário", "price_per_unit"),
    "line_type": ("line_type", "type", "charge_type", "typ", "art", "type_de_ligne", "tipo"),
    "commitment": ("commitment", "commit", "commit_amount", "minimum", "minimum_commitment",
                   "verpflichtung", "mindestabnahme", "engagement", "compromiso", "impegno"),
    "discount_pct": ("discount_pct", "discount", "rabatt", "remise", "descuento", "sconto"),
    "overage_multiplier": ("overage_multiplier", "overage_rate_multiplier"),
    "shortfall_penalty_pct": ("shortfall_penalty_pct", "shortfall_penalty"),
    "rollover_pct": ("rollover_pct", "rollover"),
    "clause": ("clause", "klausel", "clausula", "cláusula", "clausola"),
    "owner": ("owner", "verantwortlich", "besitzer", "propriétaire", "responsable",
              "responsabile", "eigenaar", "dono"),
    "escalation_owner": ("escalation_owner", "escalation"),
    "notes": ("notes", "note", "notizen", "bemerkung", "remarques", "notas", "note_", "comments"),
    "allocation": ("allocation", "budget_line", "budget_name", "name", "zuordnung", "posten"),
    "month": ("month", "monat", "mois", "mes", "mese", "maand", "mês", "period", "budget_month"),
    "budget": ("budget", "budget_amount", "plan", "planned", "budgetbetrag", "presupuesto",
               "bilancio", "orçamento"),
    "dimension": ("dimension", "dimension_type", "by"),
    "value": ("value", "dimension_value", "wert", "valeur", "valor", "valore", "waarde"),
    "containment_owner": ("containment_owner",),
    "category": ("category", "kategorie", "catégorie", "categorie", "categoría", "categoria"),
    "gl_account": ("gl_account", "gl", "account", "sachkonto", "konto", "compte",
                   "compte_general", "cuenta", "cuenta_contable", "conto", "grootboekrekening"),
    "contracted_price": ("contracted_price", "contract_price", "negotiated_price", "vertragspreis",
                         "prix_contractuel", "precio_contratado", "prezzo_contrattuale", "rate",
                         "price", "unit_price"),
    "list_price": ("list_price", "listenpreis", "prix_catalogue", "precio_de_lista",
                   "prezzo_di_listino", "public_price"),
    "effective_from": ("effective_from", "valid_from", "gültig_ab", "gultig_ab", "from", "start"),
    "effective_to": ("effective_to", "valid_to", "gültig_bis", "gultig_bis", "to", "end"),
    "rate": ("rate", "fx_rate", "exchange_rate", "kurs", "wechselkurs", "taux", "taux_de_change",
             "tipo_de_cambio", "tasso_di_cambio", "wisselkoers", "taxa_de_câmbio"),
    "valid_from": ("valid_from", "from", "gültig_ab", "gultig_ab", "start", "effective_from"),
    "valid_to": ("valid_to", "to", "gültig_bis", "gultig_bis", "end", "effective_to"),
}


def known_names() -> set[str]:
    """Every name a header row may contain that we recognise (for header-row finding)."""
    out: set[str] = set()
    for spec in tables.SPECS.values():
        out.update(norm_name(c) for c in spec.names)
    for syns in SYNONYMS.values():
        out.update(norm_name(s) for s in syns)
    return out


def canonical_mapping(columns: list[str], kind: str) -> dict[str, str]:
    """Source columns whose normalised name is exactly a canonical column name of ``kind``."""
    spec = tables.SPECS[kind]
    wanted = {norm_name(n): n for n in spec.names}
    out: dict[str, str] = {}
    for c in columns:
        k = norm_name(c)
        if k in wanted and wanted[k] not in out.values():
            out[c] = wanted[k]
    return out


def suggest_mapping(columns: list[str], kind: str) -> dict[str, str]:
    """Source column -> canonical column suggestions from names and synonyms.

    Exact canonical names win; then synonyms in the order the canonical columns are listed (so
    required columns are served first); a source column is used once. Among several source
    columns matching one synonym, the leftmost wins; an exact name beats a decorated one
    ("Betrag (EUR)", "cost_usd_total").

    Linear in the number of columns: the source names are indexed once (exact normalised name,
    and every prefix/suffix cut at an ``_``), then each synonym is one dictionary look-up.
    """
    spec = tables.SPECS[kind]
    out = canonical_mapping(columns, kind)
    taken = set(out.values())
    exact: dict[str, list[str]] = {}
    decorated: dict[str, list[str]] = {}
    for c in columns:
        if c in out:
            continue
        k = norm_name(c)
        exact.setdefault(k, []).append(c)
        parts = k.split("_")
        if len(parts) > 1:
            pieces = {"_".join(parts[:i]) for i in range(1, len(parts))}
            pieces.update("_".join(parts[i:]) for i in range(1, len(parts)))
            for piece in pieces:
                if len(piece) >= 4:
                    decorated.setdefault(piece, []).append(c)

    def first_free(cands: list[str] | None) -> str | None:
        if not cands:
            return None
        return next((c for c in cands if c not in out), None)

    for col in spec.columns:
        if col.name in taken:
            continue
        for syn in SYNONYMS.get(col.name, ()):
            rank_syn = norm_name(syn)
            hit = first_free(exact.get(rank_syn))
            if hit is None and len(rank_syn) >= 4:
                # tolerate decorations like "Betrag (EUR)" or "cost_usd_total"
                hit = first_free(decorated.get(rank_syn))
            if hit is not None:
                out[hit] = col.name
                taken.add(col.name)
                break
    return out


def missing_required(mapping: dict[str, str], kind: str) -> list[str]:
    spec = tables.SPECS[kind]
    have = set(mapping.values())
    miss = [c for c in spec.required if c not in have]
    for group in spec.one_of:
        if not any(g in have for g in group):
            miss.append(" or ".join(group))
    return miss


def signature(columns: list[str]) -> str:
    """Shape id of a file: its header names, normalised and sorted, hashed."""
    names = sorted(norm_name(c) for c in columns if norm_name(c))
    return hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class MappingProfile:
    """How to read one source shape. Plain data; desktop/store keeps these as JSON."""

    name: str
    kind: str
    columns: dict[str, str]  # source column (as written in the header) -> canonical column
    signature: str = ""
    decimal: str | None = None  # "." or "," when the file cannot tell
    date_order: str | None = None  # "DMY" or "MDY" when the file cannot tell
    currency: str | None = None  # currency for rows that name none
    vendor: str | None = None  # vendor for rows that name none (a single-vendor export)
    sheet: str | None = None
    tag_keys: dict[str, str] = field(default_factory=dict)  # FOCUS/Azure tag key -> canonical col
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "columns": dict(self.columns),
            "signature": self.signature, "decimal": self.decimal, "date_order": self.date_order,
            "currency": self.currency, "vendor": self.vendor, "sheet": self.sheet,
            "tag_keys": dict(self.tag_keys), "version": self.version,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MappingProfile:
        if d.get("kind") not in tables.SPECS:
            raise ValueError(f"mapping profile {d.get('name')!r}: unknown table {d.get('kind')!r}")
        cols = d.get("columns") or {}
        bad = [v for v in cols.values() if v not in tables.SPECS[d["kind"]].names]
        if bad:
            raise ValueError(f"mapping profile {d.get('name')!r}: unknown column(s) {bad}")
        if d.get("decimal") not in (None, ".", ","):
            raise ValueError("decimal must be '.' or ','")
        if d.get("date_order") not in (None, "DMY", "MDY"):
            raise ValueError("date_order must be 'DMY' or 'MDY'")
        return cls(
            name=str(d.get("name") or "unnamed"), kind=d["kind"], columns=dict(cols),
            signature=str(d.get("signature") or ""), decimal=d.get("decimal"),
            date_order=d.get("date_order"), currency=d.get("currency"), vendor=d.get("vendor"),
            sheet=d.get("sheet"), tag_keys=dict(d.get("tag_keys") or {}),
            version=int(d.get("version") or 1),
        )

    @classmethod
    def from_columns(cls, name: str, kind: str, columns: list[str], mapping: dict[str, str],
                     **extra: Any) -> MappingProfile:
        return cls(name=name, kind=kind, columns=dict(mapping), signature=signature(columns), **extra)

    def matches(self, columns: list[str]) -> bool:
        return bool(self.signature) and self.signature == signature(columns)


def coerce_profile(profile: MappingProfile | dict | None) -> MappingProfile | None:
    if profile is None or isinstance(profile, MappingProfile):
        return profile
    return MappingProfile.from_dict(profile)
