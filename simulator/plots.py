"""PNG charts of simulation results and staffing plans (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.results import SimulationResult


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt: Any, fig: Any, bottom: Any, x: list[int], labels: Sequence[str], path: Path) -> Path:
    """Label the shared interval axis on the bottom panel and write the PNG."""
    bottom.set_xticks(x, labels, rotation=45)
    bottom.set_xlabel("interval start")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _series(result: SimulationResult, kind: str, ident: str, metric: str) -> tuple[list[float], list[float]]:
    means: list[float] = []
    errs: list[float] = []
    for k in result.intervals():
        e = result.estimate((k, kind, ident), metric)
        means.append(float("nan") if e.mean is None else e.mean)
        errs.append(0.0 if e.ci95 is None else e.ci95)
    return means, errs


def plot_result(
    result: SimulationResult, path: Path, *, other: SimulationResult | None = None, other_tag: str = " (B)"
) -> Path:
    """Service level and answer rate per interval against the targets, queue length, occupancy per site.

    With ``other`` (``--compare``), both scenarios are drawn, B dashed.
    """
    plt = _pyplot()
    sc = result.scenario
    labels = [sc.interval_labels()[k] for k in result.intervals()]
    x = list(range(len(labels)))
    fig, axes = plt.subplots(3, 1, figsize=(11, 10), sharex=True)
    runs = [(result, "-", "")] + ([(other, "--", other_tag)] if other is not None else [])
    ax = axes[0]
    for res, style, tag in runs:
        sl, sl_err = _series(res, "all", "", "service_level")
        ar, ar_err = _series(res, "all", "", "answer_rate")
        ax.errorbar(x, sl, yerr=sl_err, fmt="o" + style, capsize=3, label=f"service level{tag}", color="tab:blue")
        ax.errorbar(x, ar, yerr=ar_err, fmt="s" + style, capsize=3, label=f"answer rate{tag}", color="tab:green")
    if sc.target_service_level is not None:
        ax.axhline(sc.target_service_level, color="tab:blue", linestyle=":", label="service-level target")
    if sc.target_answer_rate is not None:
        ax.axhline(sc.target_answer_rate, color="tab:green", linestyle=":", label="answer-rate target")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("fraction of offered calls")
    ax.set_title(f"{sc.name}: {result.replications} replications, 95% confidence intervals")
    ax.legend(loc="lower left", fontsize=8, ncols=3)
    ax.grid(alpha=0.3)
    ax = axes[1]
    for res, style, tag in runs:
        q, q_err = _series(res, "all", "", "queue_length")
        ax.errorbar(x, q, yerr=q_err, fmt="o" + style, capsize=3, color="tab:orange", label=f"calls waiting{tag}")
    ax.set_ylabel("calls waiting (mean)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    ax = axes[2]
    for res, style, tag in runs:
        for site in res.sites:
            occ, occ_err = _series(res, "site", site, "occupancy")
            ax.errorbar(x, occ, yerr=occ_err, fmt="o" + style, capsize=3, label=f"{site}{tag}")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("occupancy")
    ax.legend(loc="lower left", fontsize=8, ncols=4)
    ax.grid(alpha=0.3)
    return _save(plt, fig, ax, x, labels, path)


def plot_staffing(
    labels: Sequence[str],
    plan: Mapping[str, Sequence[int]],
    erlang: Sequence[int],
    service_level: Sequence[float | None],
    target: float | None,
    path: Path,
    title: str,
) -> Path:
    """Shift coverage: agents per site per interval (stacked), the Erlang A start, and the service level reached."""
    plt = _pyplot()
    x = list(range(len(labels)))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8), sharex=True, height_ratios=(2, 1))
    base = [0] * len(labels)
    for site, counts in plan.items():
        top.bar(x, counts, bottom=base, label=site, alpha=0.8)
        base = [b + c for b, c in zip(base, counts, strict=True)]
    top.step(x, erlang, where="mid", color="black", linestyle="--", label="Erlang A start (whole centre)")
    top.set_ylabel("agents on duty")
    top.set_title(title)
    top.legend(loc="upper left", fontsize=8)
    top.grid(alpha=0.3, axis="y")
    bottom.plot(x, [float("nan") if v is None else v for v in service_level], "o-", label="service level")
    if target is not None:
        bottom.axhline(target, linestyle=":", color="tab:red", label="target")
    bottom.set_ylim(0, 1.05)
    bottom.set_ylabel("service level")
    bottom.legend(loc="lower left", fontsize=8)
    bottom.grid(alpha=0.3)
    return _save(plt, fig, bottom, x, labels, path)
