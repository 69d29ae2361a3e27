"""Figures of simulated calls, per interval and in total, with 95% confidence intervals.

The definitions are the centre's (:mod:`routing.figures`): wait runs from
queue entry to answer, ringing included; service level is calls answered
within the threshold ÷ offered, abandoned calls counting against it; ASA is
the mean wait of answered calls; AHT is talk + wrap-up; occupancy is time on
calls and in wrap-up ÷ time available. A test checks these against
:func:`routing.figures.summarize` on the same calls.

A call belongs to the interval it arrived in. Each figure is computed per
replication; the estimate is the mean over replications, and its 95%
confidence interval is Student's t over them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.model import ABANDONED, ANSWERED, NO_AGENT, RunRecord
from simulator.scenario import DAY_S, Scenario

#: Figures of a set of calls (offered to the centre, for the whole centre or one system).
CALL_KEYS = (
    "offered",
    "answered",
    "abandoned",
    "redials",
    "p_wait",
    "answer_rate",
    "p_abandon",
    "service_level",
    "asa_s",
    "wait_p90_s",
    "aht_s",
    "occupancy",
    "queue_length",
)
#: Figures of a site: the calls its agents answered, and their occupancy.
SITE_KEYS = ("answered", "asa_s", "wait_p90_s", "aht_s", "occupancy")
TOTAL = -1

Key = tuple[int, str, str]  # (interval or TOTAL, "all" | "system" | "site", id)
Sample = dict[str, float | None]


def _mean(x: np.ndarray) -> float | None:
    return float(x.mean()) if len(x) else None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _call_figures(
    outcome: np.ndarray,
    wait: np.ndarray,
    handle: np.ndarray,
    redial: np.ndarray,
    waited: np.ndarray,
    threshold: float,
    occupancy: float | None,
    queue_length: float | None,
) -> Sample:
    offered = len(outcome)
    answered_mask = outcome == ANSWERED
    answered = int(answered_mask.sum())
    abandoned = int(((outcome == ABANDONED) | (outcome == NO_AGENT)).sum())
    waits = wait[answered_mask]
    return {
        "offered": float(offered),
        "answered": float(answered),
        "abandoned": float(abandoned),
        "redials": float(redial.sum()),
        "p_wait": _ratio(float(waited.sum()), offered),
        "answer_rate": _ratio(answered, offered),
        "p_abandon": _ratio(abandoned, offered),
        "service_level": _ratio(float((waits <= threshold).sum()), offered),
        "asa_s": _mean(waits),
        "wait_p90_s": float(np.percentile(waits, 90)) if len(waits) else None,
        "aht_s": _mean(handle[answered_mask]),
        "occupancy": occupancy,
        "queue_length": queue_length,
    }


def _site_figures(wait: np.ndarray, handle: np.ndarray, occupancy: float | None) -> Sample:
    return {
        "answered": float(len(wait)),
        "asa_s": _mean(wait),
        "wait_p90_s": float(np.percentile(wait, 90)) if len(wait) else None,
        "aht_s": _mean(handle),
        "occupancy": occupancy,
    }


def replication_figures(
    rec: RunRecord, scenario: Scenario, systems: Sequence[str], sites: Sequence[str], *, by_interval: bool = True
) -> dict[Key, Sample]:
    """Every figure of one replication, keyed by (interval, kind, id)."""
    threshold = scenario.threshold_s + 1e-9
    k_count = scenario.intervals_per_day
    tod = rec.arrived - np.floor(rec.arrived / DAY_S) * DAY_S
    stats_from = scenario.open_s + scenario.warmup_s
    counted = (tod >= stats_from) & (tod < scenario.close_s)
    interval = np.clip(((tod - scenario.open_s) // scenario.interval_s).astype(np.int64), 0, k_count - 1)
    outcome = rec.outcome[counted]
    wait = (rec.answered_at - rec.arrived)[counted]
    handle = rec.handle[counted]
    redial = rec.redial[counted]
    waited = rec.waited[counted]
    system = rec.system[counted]
    site = rec.site[counted]
    interval = interval[counted]
    exposure = rec.exposure
    out: dict[Key, Sample] = {}

    def occupancy(site_rows: slice | int, k: int | None) -> float | None:
        if k is None:
            return _ratio(float(rec.busy[site_rows].sum()), float(rec.available[site_rows].sum()))
        return _ratio(float(rec.busy[site_rows, k].sum()), float(rec.available[site_rows, k].sum()))

    def queue(rows: slice | int, k: int | None) -> float | None:
        if k is None:
            return _ratio(float(rec.queue_area[rows].sum()), float(exposure.sum()))
        return _ratio(float(rec.queue_area[rows, k].sum()), float(exposure[k]))

    answered = outcome == ANSWERED
    ks: list[int | None] = [None, *(range(k_count) if by_interval else [])]
    for k in ks:
        in_k = np.ones(len(outcome), dtype=bool) if k is None else interval == k
        key_k = TOTAL if k is None else k
        out[(key_k, "all", "")] = _call_figures(
            outcome[in_k],
            wait[in_k],
            handle[in_k],
            redial[in_k],
            waited[in_k],
            threshold,
            occupancy(slice(None), k),
            queue(slice(None), k),
        )
        for s, name in enumerate(systems):
            m = in_k & (system == s)
            out[(key_k, "system", name)] = _call_figures(
                outcome[m], wait[m], handle[m], redial[m], waited[m], threshold, None, queue(s, k)
            )
        for s, name in enumerate(sites):
            m = in_k & answered & (site == s)
            out[(key_k, "site", name)] = _site_figures(wait[m], handle[m], occupancy(s, k))
    return out


# ----------------------------------------------------------------------
# Across replications
# ----------------------------------------------------------------------

#: Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(df: int) -> float:
    """Two-sided 95% quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("at least one degree of freedom")
    if df <= len(_T95):
        return _T95[df - 1]
    z = 1.959964
    # Cornish-Fisher expansion; within 1e-4 of the exact value beyond 30 df.
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True, slots=True)
class Estimate:
    """The mean over replications and the half-width of its 95% confidence interval."""

    mean: float | None
    ci95: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Estimate:
        xs = [v for v in values if v is not None and not math.isnan(v)]
        if not xs:
            return cls(None, None, 0)
        mean = math.fsum(xs) / len(xs)
        if len(xs) < 2:
            return cls(mean, None, len(xs))
        var = math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
        return cls(mean, t95(len(xs) - 1) * math.sqrt(var / len(xs)), len(xs))

    def as_dict(self) -> dict[str, float | None]:
        """``{"mean": ..., "ci95": ...}``: the shape every estimated figure has in JSON (``ci95`` the half-width)."""
        return {"mean": self.mean, "ci95": self.ci95}

    @property
    def significant(self) -> bool:
        """For a paired difference: the 95% interval excludes zero."""
        return self.mean is not None and self.ci95 is not None and abs(self.mean) > self.ci95


@dataclass
class SimulationResult:
    """Figures of every replication, and their estimates."""

    scenario: Scenario
    systems: tuple[str, ...]
    sites: tuple[str, ...]
    samples: list[dict[Key, Sample]] = field(default_factory=list)
    calls_simulated: int = 0
    seconds: float = 0.0

    @property
    def replications(self) -> int:
        return len(self.samples)

    def estimate(self, key: Key, metric: str) -> Estimate:
        return Estimate.of(s[key].get(metric) for s in self.samples if key in s)

    def values(self, key: Key, metric: str) -> list[float | None]:
        return [s[key].get(metric) for s in self.samples if key in s]

    def group(self, key: Key) -> dict[str, Estimate]:
        keys = SITE_KEYS if key[1] == "site" else CALL_KEYS
        return {m: self.estimate(key, m) for m in keys}

    def intervals(self) -> list[int]:
        return [k for k in range(self.scenario.intervals_per_day) if self.samples and (k, "all", "") in self.samples[0]]

    # ------------------------------------------------------------------
    # Output
    # ------------------------------------------------------------------

    def _estimates(self, key: Key) -> dict[str, dict[str, float | None]]:
        return {m: e.as_dict() for m, e in self.group(key).items()}

    def _block(self, k: int) -> dict[str, object]:
        """One interval's (or the total's) figures, each ``{"mean", "ci95"}``, then by system and by site."""
        return {
            **self._estimates((k, "all", "")),
            "by_system": {s: self._estimates((k, "system", s)) for s in self.systems},
            "by_site": {s: self._estimates((k, "site", s)) for s in self.sites},
        }

    def as_dict(self) -> dict[str, object]:
        sc = self.scenario
        labels = sc.interval_labels()
        return {
            "scenario": sc.name,
            "replications": self.replications,
            "seed": sc.seed,
            "days": sc.days,
            "threshold_s": sc.threshold_s,
            "target_service_level": sc.target_service_level,
            "target_answer_rate": sc.target_answer_rate,
            "total": self._block(TOTAL),
            "intervals": [{"start": labels[k], **self._block(k)} for k in self.intervals()],
        }

    def csv_rows(self) -> list[dict[str, object]]:
        """One row per (interval or total) × (centre, system or site), each figure with its CI half-width."""
        labels = self.scenario.interval_labels()
        rows: list[dict[str, object]] = []
        for k in [TOTAL, *self.intervals()]:
            start = "total" if k == TOTAL else labels[k]
            groups: list[Key] = [(k, "all", ""), *((k, "system", s) for s in self.systems)]
            groups += [(k, "site", s) for s in self.sites]
            for key in groups:
                row: dict[str, object] = {"interval": start, "group": key[1], "id": key[2] or "centre"}
                for m in CALL_KEYS:
                    e = self.estimate(key, m) if (m in SITE_KEYS or key[1] != "site") else Estimate(None, None, 0)
                    row[m] = e.mean
                    row[f"{m}_ci95"] = e.ci95
                rows.append(row)
        return rows


def paired_difference(a: SimulationResult, b: SimulationResult, key: Key, metric: str) -> Estimate:
    """B − A per replication (same seeds, so common random numbers), with its 95% interval."""
    va, vb = a.values(key, metric), b.values(key, metric)
    diffs = [y - x for x, y in zip(va, vb, strict=False) if x is not None and y is not None]
    return Estimate.of(diffs)


def summary_line(result: SimulationResult) -> Mapping[str, Estimate]:
    return result.group((TOTAL, "all", ""))
