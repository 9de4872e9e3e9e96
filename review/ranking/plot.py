"""The recall curve as a PNG: records screened against includes found, one line per replay, the
diagonal of random order, and where the stopping rule stopped. Matplotlib's Agg renderer, so it
needs no display and no system libraries."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from review.errors import ReviewError
from review.ranking.simulation import Dataset, Simulation


def write_recall_png(path: str | Path, dataset: Dataset, result: Simulation) -> None:
    import matplotlib  # start-up: matplotlib only for the plot

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # start-up: as above

    n = dataset.n_records
    total = int(dataset.labels.sum())
    fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
    try:
        ax.plot([0, n], [0, total], color="#888888", linestyle="--", linewidth=1,
                label="random order (expected)")
        ax.axhline(result.recall_target * total, color="#bbbbbb", linewidth=0.8)
        for i, run in enumerate(result.runs):
            found = np.concatenate(([0], np.cumsum(dataset.labels[np.asarray(run.order)])))
            ax.plot(np.arange(n + 1), found, color="#1f5fa8", linewidth=1.2, alpha=0.75,
                    label=f"{result.model}, {len(result.runs)} seed(s)" if i == 0 else None)
            if run.stop_at is not None:
                ax.plot([run.stop_at], [found[run.stop_at]], marker="o", color="#c0392b",
                        markersize=5, linestyle="none",
                        label="stopping rule says stop" if i == 0 else None)
        ax.set_xlim(0, n)
        ax.set_ylim(0, total * 1.03)
        ax.set_xlabel("records screened")
        ax.set_ylabel(f"includes found (of {total})")
        ax.set_title(f"{dataset.name}: recall curve")
        ax.legend(loc="lower right", frameon=False)
        ax.grid(alpha=0.25)
        fig.tight_layout()
        try:
            fig.savefig(path, format="png")
        except OSError as exc:
            raise ReviewError(f"{path}: cannot write the PNG ({exc.strerror})") from None
    finally:
        plt.close(fig)
