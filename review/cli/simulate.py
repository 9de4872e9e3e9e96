"""`review simulate`: replay a finished screening in the model's order and say what ranking and
the stopping rule would have saved. Needs no review database."""

from __future__ import annotations

import json

import click

from review.ranking import models as ranking
from review.ranking import simulation, stopping
from review.ranking.plot import write_recall_png
from review.tabular import render

METRICS = (  # (label, key, format)
    ("WSS@95", "wss95", "{:.3f}"),
    ("WSS@100", "wss100", "{:.3f}"),
    ("recall at 10% screened", "recall_at_10", "{:.3f}"),
    ("records screened to 95% recall", "records_to_95", "{:.1f}"),
    ("records screened to 100% recall", "records_to_100", "{:.1f}"),
    ("stopping rule: records screened", "stop_at", "{:.1f}"),
    ("stopping rule: recall there", "recall_at_stop", "{:.3f}"),
    ("stopping rule: runs reaching the target", "stop_reached_target", "{:.2f}"),
    ("stopping rule: work saved", "work_saved_at_stop", "{:.3f}"),
)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--model", type=click.Choice((*ranking.MODEL_NAMES, "random")),
              default=ranking.DEFAULT_MODEL, show_default=True,
              help="Ranking model: the ensemble (logistic regression and linear SVM "
                   "averaged), naive Bayes, logistic regression, the linear SVM (the app's "
                   "default), or random order for comparison.")
@click.option("--seeds", type=click.IntRange(min=1), default=5, show_default=True,
              help="Replays from different random starts; figures are means over them.")
@click.option("--recall-target", type=click.FloatRange(0, 1, min_open=True),
              default=stopping.DEFAULT_TARGET, show_default=True,
              help="Recall the stopping rule must be confident of.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=stopping.DEFAULT_CONFIDENCE, show_default=True,
              help="Confidence of the stopping rule.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True, help="Output format.")
@click.option("--query", help="The review's own words (its title, question or include terms): "
                              "the first model run ranks by them, with no random start, as the "
                              "app does with the protocol's text.")
@click.option("--plot", "plot", type=click.Path(dir_okay=False),
              help="Also write the recall curves (records screened against includes found) "
                   "as a PNG.")
def simulate(file: str, model: str, seeds: int, recall_target: float, confidence: float,
             fmt: str, query: str | None, plot: str | None) -> None:
    """Replay the screening of FILE.csv in the model's order.

    FILE has title, abstract and label_included columns (1 include, 0 exclude); keywords and
    label_abstract_screening are used when present (the simulated reviewer then answers with
    the title/abstract decision). Each replay starts in seeded random order until one include
    and one exclude are found, or, with --query, from a model run on the query.
    """
    if query is not None and model == "random":
        raise click.UsageError("--query needs a ranking model, not random order")
    dataset = simulation.read_dataset(file)
    result = simulation.simulate(dataset, model, seeds, recall_target, confidence,
                                 query=query)
    summary = result.summary()
    if plot:
        write_recall_png(plot, dataset, result)
    if fmt == "json":
        out = {"file": file, "model": model, "seeds": seeds, "records": dataset.n_records,
               "label_column": dataset.label_column, "includes": int(dataset.labels.sum()),
               "final_includes": int(dataset.final.sum()), "recall_target": recall_target,
               "confidence": confidence, "query": query, "mean": summary,
               "runs": [simulation.run_record(r) for r in result.runs],
               "stopping_assumptions": _assumptions(model, query is not None)}
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{dataset.name}: {dataset.n_records} records, {int(dataset.labels.sum())} "
               f"includes by {dataset.label_column}; model {model}, means over {seeds} "
               f"seed(s); stopping rule at {recall_target:.0%} recall, "
               f"{confidence:.0%} confidence"
               + ("; no random start, the query ranks first, so every seed gives the same "
                  "replay" if query else ""))
    rows = [{"metric": label, "value": form.format(summary[key])}
            for label, key, form in METRICS]
    if dataset.label_column != "label_included":
        rows += [{"metric": f"final includes ({int(dataset.final.sum())}): {label}",
                  "value": form.format(summary["final_" + key])}
                 for label, key, form in METRICS[:5] + METRICS[6:7]]
    click.echo(render(rows, ("metric", "value"), "table"), nl=False)
    if plot:
        click.echo(f"Recall curves written to {plot}")


SIMULATE_COMMANDS = (simulate,)


def _assumptions(model: str, query: bool = False) -> list[str]:
    """The stopping rule's assumptions as the replays computed it: random order is a random
    draw throughout; a model's replay is ranked after its random start, or after its first
    include when a query ranked the first records."""
    if model == "random":
        return list(stopping.assumptions(1.0, 1, 1))
    first, *rest = stopping.ASSUMPTIONS
    if query:
        return [first + " The records each replay screened from the query alone, before its "
                "first include, were not placed by a model of the decisions: a sample reaching "
                "back to them is treated as a random draw (bias 1).", *rest]
    return [first + " The records of each replay's random start (until one include and one "
            "exclude are found) were not placed by the model: a sample reaching back to them "
            "is treated as a random draw (bias 1).", *rest]
