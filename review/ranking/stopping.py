"""When to stop prioritised screening: the hypergeometric stopping rule of Callaghan and
Müller-Hansen (2020, "Statistical stopping criteria for automated screening in systematic
reviews", Systematic Reviews 9:273; the "buscar" rule), in its form for screening already done
in ranked order.

The question is whether the recall target (say 95% of the includes) has been reached. The rule
tests the null hypothesis that it has NOT, and stops when that hypothesis is rejected with the
stated confidence (say 95%, i.e. p < 0.05):

- r records included so far. Under the null, the total number of includes is at least
  K = floor(r / target) + 1 (that many or more would put recall r/K below the target).
- Take the last n screened records as if they had been a random sample, drawn without
  replacement, from the records that were left when they were drawn: the n themselves plus
  every record not yet screened. If k of them were includes, and r - k includes had been found
  before them, the null needs at least K - (r - k) includes in that population.
- The p-value for that sample is the probability of finding k or fewer includes in n draws
  from such a population (the smallest K is the null's least favourable case); the rule takes
  the smallest p over every n (the paper's ranked quasi-sampling, as buscar does).

How those n draws are modelled is the rule's one assumption, said wherever the estimate is
shown. The paper's form (bias 1) treats them as a random draw: the hypergeometric
distribution, which assumes the ranking at the end is no better than random among what is
left. It is safe but wasteful: while the model still puts includes first, the recent records
are richer in includes than the rest, and with a few dozen includes it has to see most of the
records left after the last include before it can rule out the two or three that would break
95% recall. The buscar package offers a bias parameter for exactly this (a biased urn). Here
the default is bias 2 with Fisher's noncentral hypergeometric distribution: among the
records left when the sample began, the ranking still drew an include with at least twice the
odds of an exclude. A ranking that is still learning does far better than that; the
assumption fails only if the model's order of the last records was worse than half as good as
a coin for the includes that remain. On the four development sets, with the default model,
bias 2 stopped at 95% recall or more in every run and saved about 28% of the screening against
17% for bias 1 (the README's ranking section has the figures and the other biases tried).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, logsumexp
from scipy.stats import hypergeom

from review.errors import ReviewError

DEFAULT_TARGET = 0.95
DEFAULT_CONFIDENCE = 0.95
DEFAULT_BIAS = 2.0

def _odds(bias: float) -> str:
    return "twice" if bias == 2.0 else f"{bias:g} times"


def _ranked_draw(bias: float) -> str:
    return (f"drawn by a ranking that still gave each include at least {_odds(bias)} the odds "
            f"of an exclude of being drawn (bias {bias:g}, Fisher's noncentral hypergeometric "
            "distribution); a ranking that had stopped learning, no better than random at the "
            "end, would break it")


_RANDOM_DRAW = ("a random draw (bias 1, the hypergeometric distribution of the paper): it holds "
                "when the records were screened in random order, or in an order unrelated to "
                "whether they are included; an order that put likely includes first or last "
                "(one database's records first, sorted by year or title) would break it")

_COMMON = (
    "Every record screened so far has a final decision (include or exclude), and the records "
    "not yet screened are all the review's remaining records.",
    "It is a statistical test, not a guarantee: at 95% confidence about 1 review in 20 that "
    "stops here could still be below the recall target, if the assumptions hold.",
)


def assumptions(bias: float = DEFAULT_BIAS, ranked_from: int = 0,
                n_screened: int | None = None) -> tuple[str, ...]:
    """The rule's assumptions as computed: `bias` for samples of ranked records, and bias 1
    for samples reaching back before `ranked_from` (the records screened in random or import
    order, before a ranking model placed them) out of `n_screened` decided so far."""
    ranked_all = ranked_from <= 0
    ranked_none = n_screened is not None and ranked_from >= n_screened
    if bias == 1.0 or ranked_none:
        first = ("The last records screened are treated as a sample of the records left when "
                 f"they were screened, taken as {_RANDOM_DRAW}.")
        if bias != 1.0:
            first += (f" No record has been placed by a ranking model yet, so the bias of "
                      f"{bias:g} assumed for ranked screening does not apply.")
    elif ranked_all:
        first = ("The last records screened are treated as a sample of the records left when "
                 f"they were screened, {_ranked_draw(bias)}.")
    else:
        first = (f"The first {ranked_from} records decided were screened before a ranking "
                 "model placed them (random order before the first model run, an order from "
                 "the protocol's words alone before the first include, or before ranking was "
                 "switched on); every record decided after them was placed by a "
                 "ranking model. A sample of the last records made only of ranked records is "
                 f"treated as {_ranked_draw(bias)}. A sample that reaches back into the first "
                 f"{ranked_from} is treated as {_RANDOM_DRAW}.")
    return (first, *_COMMON)


ASSUMPTIONS = assumptions(DEFAULT_BIAS)  # ranked screening throughout, the default bias


WHY_THIS_RULE = (
    "Why this rule: it was compared with the target method (Cormack & Grossman 2016), which "
    "screens a random sample of the records until it holds {targets} includes and then the "
    "ranked queue until all of them are screened, and assumes only that the sample is random. "
    "To promise {recall:.0%} recall with {confidence:.0%} confidence that sample must find "
    "{targets} includes, which on a review with a few dozen includes means screening most of "
    "it at random; on the development sets this rule saved more screening while reaching the "
    "target as often."
)

WHY_THE_BIAS = (
    " The bias of {bias:g} for ranked records (the ranking still at least {odds} as likely to "
    "draw an include as an exclude) replaces the paper's bias of 1 (a random draw): on the "
    "development sets bias 2 saved about 28% of the screening instead of 17%, still at 95% "
    "recall or more in every run (figures in the README's ranking section)."
)

WHY_NO_BIAS = (
    " Here it uses the paper's bias of 1 (a random draw){where}: no ranking chose the "
    "records, so nothing says the recent ones are richer in includes than the rest."
)


def why_this_rule(recall_target: float = DEFAULT_TARGET,
                  confidence: float = DEFAULT_CONFIDENCE, bias: float = DEFAULT_BIAS,
                  ranked_from: int = 0, n_screened: int | None = None) -> str:
    """Why buscar and not the target method, with this review's figures and the bias used
    (arguments as for `assumptions`)."""
    targets = target_size(min(recall_target, 0.999), confidence)
    text = WHY_THIS_RULE.format(targets=targets, recall=recall_target, confidence=confidence)
    ranked_none = n_screened is not None and ranked_from >= n_screened
    if bias == 1.0 or ranked_none:
        return text + WHY_NO_BIAS.format(where="")
    text += WHY_THE_BIAS.format(bias=bias, odds=_odds(bias))
    if ranked_from > 0:
        text += WHY_NO_BIAS.format(where=f" for samples reaching back into the first "
                                         f"{ranked_from} records")
    return text


class StoppingError(ReviewError):
    """The stopping rule cannot be computed as asked."""


@dataclass(frozen=True)
class StoppingEstimate:
    """The rule's answer at one point of screening."""

    recall_target: float
    confidence: float
    n_records: int
    n_screened: int
    n_included: int
    p_value: float
    sample_size: int
    min_includes_if_missed: int
    bias: float = 1.0
    ranked_from: int = 0

    @property
    def sample_bias(self) -> float:
        """The bias the p-value was computed with: `bias` if every record of the sample was
        placed by a ranking model, 1 if the sample reaches back into screening done in
        random or import order (before `ranked_from`)."""
        start = self.n_screened - self.sample_size
        return self.bias if start >= self.ranked_from else 1.0

    @property
    def mixed(self) -> bool:
        """Some of the screening was ranked and some not: samples get different biases."""
        return self.bias != 1.0 and 0 < self.ranked_from < self.n_screened

    @property
    def target_reached(self) -> bool:
        """True when the null (recall below target) is rejected at the confidence level."""
        return self.p_value < 1.0 - self.confidence

    @property
    def n_unscreened(self) -> int:
        return self.n_records - self.n_screened

    def summary(self) -> str:
        target = f"{self.recall_target:.0%}"
        source = (f" The p-value comes from the last {self.sample_size} records decided, "
                  f"with bias {self.sample_bias:g}." if self.sample_size else "")
        if self.target_reached:
            return (f"Recall of at least {target} reached with {self.confidence:.0%} confidence "
                    f"(p = {self.p_value:.3g}); {self.n_unscreened} records unscreened."
                    + source)
        return (f"Not yet confident that {target} recall is reached (p = {self.p_value:.3g}, "
                f"needs p < {1 - self.confidence:.3g})." + source)


def _check(recall_target: float, confidence: float, bias: float = 1.0) -> None:
    if not (math.isfinite(bias) and bias >= 1.0):
        raise StoppingError(f"the bias must be 1 (a random draw) or more, not {bias}")
    if not 0.0 < recall_target <= 1.0:
        raise StoppingError(f"the recall target must be above 0 and at most 1, "
                            f"not {recall_target}")
    if not 0.0 < confidence < 1.0:
        raise StoppingError(f"the confidence must be between 0 and 1, not {confidence}")


def _labels(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    array = np.asarray(labels, dtype=np.int64)
    if array.ndim != 1 or (array.size and not np.isin(array, (0, 1)).all()):
        raise StoppingError("screening decisions must be a sequence of 1 (include) and "
                            "0 (exclude) in the order screened")
    return array


def _floor_min_total(n_included: int, recall_target: float) -> int:
    # floor(r / target) + 1, guarded against 0.95 * 20 = 19.000000000000004 style rounding.
    ratio = n_included / recall_target
    nearest = round(ratio)
    whole = nearest if math.isclose(ratio, nearest, rel_tol=0, abs_tol=1e-9) else math.floor(ratio)
    return int(whole) + 1


def _sample_bias(starts: np.ndarray, bias: float, ranked_from: int) -> np.ndarray:
    """`bias` for samples that start at or after `ranked_from` (every record in them placed by
    a ranking), 1 for samples reaching back into screening in random or import order."""
    return np.where(starts >= ranked_from, bias, 1.0)


def _check_ranked_from(ranked_from: int) -> int:
    if int(ranked_from) != ranked_from or ranked_from < 0:
        raise StoppingError(f"ranked_from must be a position in the screening order (0 or "
                            f"more), not {ranked_from}")
    return int(ranked_from)


def p_values(labels: Sequence[int] | np.ndarray, n_records: int,
             recall_target: float = DEFAULT_TARGET, bias: float = 1.0,
             ranked_from: int = 0) -> np.ndarray:
    """The p-value for every sample size n = 1..len(labels) (the last n screened): the
    reference computation, linear in the records screened. `estimate` gives the same minimum
    faster. Samples that start before `ranked_from` are computed with bias 1."""
    y = _labels(labels)
    _check(recall_target, 0.5, bias)
    ranked_from = _check_ranked_from(ranked_from)
    t = y.size
    if t == 0:
        return np.ones(0)
    r = int(y.sum())
    total = _floor_min_total(r, recall_target)
    sizes = np.arange(1, t + 1)
    k = np.cumsum(y[::-1])
    population = n_records - (t - sizes)
    needed = total - (r - k)
    return _cdf(k, population, needed, sizes, _sample_bias(t - sizes, bias, ranked_from))


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return np.asarray(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1))


_CHUNK = 1 << 18  # (row, count) terms evaluated at once: about 20 MB of working arrays


def fisher_cdf(k: np.ndarray, population: np.ndarray, needed: np.ndarray, sizes: np.ndarray,
               odds: float) -> np.ndarray:
    """P(X <= k) for X following Fisher's noncentral hypergeometric distribution: `sizes`
    records drawn from `population` of which `needed` are includes, each include drawn with
    `odds` times the odds of an exclude (odds 1: the ordinary hypergeometric). Exact: the sum
    runs over every possible count of includes drawn, max(0, sizes - (population - needed))
    to min(needed, sizes), for each row only over its own counts and in chunks of rows, so
    memory stays bounded whatever the number of includes (log-factorials looked up in one
    table instead of computed per term)."""
    k, population, needed, sizes = (np.asarray(a, dtype=np.int64).reshape(-1)
                                    for a in (k, population, needed, sizes))
    if k.size == 0:
        return np.ones(0)
    low = np.maximum(0, sizes - (population - needed))
    high = np.minimum(needed, sizes)
    p = np.where(k < low, 0.0, 1.0)  # no count at or below k is possible / every count is
    todo = np.flatnonzero((k >= low) & (k < high))
    if todo.size == 0:
        return p
    # log(n!) for every n a term can need: gammaln(n + 1), as the dense form computed it
    log_factorial = gammaln(np.arange(int(population[todo].max()) + 1, dtype=np.float64) + 1)
    log_odds = math.log(odds)
    widths = high[todo] - low[todo] + 1
    offsets = np.concatenate(([0], np.cumsum(widths)))
    first = 0
    while first < todo.size:
        last = int(np.searchsorted(offsets, offsets[first] + _CHUNK, side="right")) - 1
        last = min(max(last, first + 1), todo.size)
        rows = todo[first:last]
        width = widths[first:last]
        starts = offsets[first:last] - offsets[first]
        row = np.repeat(np.arange(rows.size), width)
        x = np.arange(int(width.sum()), dtype=np.int64) - starts[row] + low[rows][row]
        inc = needed[rows][row]
        exc = (population - needed)[rows][row]
        drawn_exc = sizes[rows][row] - x
        log_weight = ((log_factorial[inc] - log_factorial[x] - log_factorial[inc - x])
                      + (log_factorial[exc] - log_factorial[drawn_exc]
                         - log_factorial[exc - drawn_exc])
                      + x * log_odds)
        top = np.maximum.reduceat(log_weight, starts)
        whole = np.add.reduceat(np.exp(log_weight - top[row]), starts)
        below = np.where(x <= k[rows][row], log_weight, -np.inf)
        top_below = np.maximum.reduceat(below, starts)  # finite: k >= low for these rows
        part = np.add.reduceat(np.exp(below - top_below[row]), starts)
        p[rows] = np.exp((np.log(part) + top_below) - (np.log(whole) + top))
        first = last
    return np.clip(p, 0.0, 1.0)


def fisher_cdf_dense(k: np.ndarray, population: np.ndarray, needed: np.ndarray,
                     sizes: np.ndarray, odds: float) -> np.ndarray:
    """The straightforward form of `fisher_cdf` (one dense row per case, every term from
    gammaln): the reference the tests compare it with; memory grows with rows x includes."""
    k, population, needed, sizes = (np.asarray(a, dtype=np.int64).reshape(-1)
                                    for a in (k, population, needed, sizes))
    if k.size == 0:
        return np.ones(0)
    x = np.arange(int(needed.max()) + 1)[None, :]
    low = np.maximum(0, sizes - (population - needed))[:, None]
    high = np.minimum(needed, sizes)[:, None]
    valid = (x >= low) & (x <= high)
    xs = np.where(valid, x, 0)
    log_weight = (_log_choose(needed[:, None], xs)
                  + _log_choose((population - needed)[:, None], sizes[:, None] - xs)
                  + xs * math.log(odds))
    log_weight = np.where(valid, log_weight, -np.inf)
    below = np.where(x <= k[:, None], log_weight, -np.inf)
    return np.clip(np.exp(logsumexp(below, axis=1) - logsumexp(log_weight, axis=1)), 0.0, 1.0)


def _cdf(k: np.ndarray, population: np.ndarray, needed: np.ndarray,
         sizes: np.ndarray, bias: float | np.ndarray = 1.0) -> np.ndarray:
    """The p-value of each sample; `bias` one value for all, or one per sample."""
    # A null that needs more includes than the population holds is impossible: p = 0.
    possible = needed <= population
    biases = np.broadcast_to(np.asarray(bias, dtype=np.float64), k.shape)
    p = np.zeros(k.shape, dtype=np.float64)
    random_draw = possible & (biases == 1.0)
    if random_draw.any():
        p[random_draw] = hypergeom.cdf(k[random_draw], population[random_draw],
                                       needed[random_draw], sizes[random_draw])
    for odds in np.unique(biases[possible & (biases != 1.0)]):
        rows = possible & (biases == odds)
        p[rows] = fisher_cdf(k[rows], population[rows], needed[rows], sizes[rows], float(odds))
    return np.clip(p, 0.0, 1.0)


def estimate(labels: Sequence[int] | np.ndarray, n_records: int,
             recall_target: float = DEFAULT_TARGET,
             confidence: float = DEFAULT_CONFIDENCE, bias: float = DEFAULT_BIAS,
             ranked_from: int = 0) -> StoppingEstimate:
    """The rule at this point: `labels` are the decisions in the order screened (1 include,
    0 exclude), `n_records` the review's records, screened or not; `bias` the odds with which
    the ranking is assumed to still draw an include rather than an exclude (1: a random draw,
    the paper's hypergeometric test); `ranked_from` the position in `labels` from which every
    record was placed by a ranking model: a sample that starts before it reaches back into
    screening in random or import order, where no ranking chose the records, and gets bias 1.

    Only r + 2 sample sizes need testing: lengthening a sample by an exclude never raises its
    p-value (a draw more from a population with one exclude more finds no more includes), as
    long as its bias stays the same, so the minimum is at a sample that starts just after an
    include, at `ranked_from`, or at the whole sequence."""
    _check(recall_target, confidence, bias)
    ranked_from = _check_ranked_from(ranked_from)
    y = _labels(labels)
    t = int(y.size)
    if n_records < t:
        raise StoppingError(f"{t} records screened but only {n_records} in the review")
    r = int(y.sum())
    total = _floor_min_total(r, recall_target)
    if t == 0:
        return StoppingEstimate(recall_target, confidence, n_records, 0, 0, 1.0, 0, total,
                                bias, ranked_from)
    positions = np.flatnonzero(y)  # index of each include, in screening order
    starts = np.concatenate(([0], positions + 1))
    if bias != 1.0 and 0 < ranked_from < t:
        starts = np.union1d(starts, [ranked_from])
    starts = starts[starts < t]
    sizes = t - starts
    # includes inside each sample = includes at or after its start
    k = r - np.searchsorted(positions, starts, side="left")
    population = n_records - starts
    needed = total - (r - k)
    p = _cdf(k, population, needed, sizes, _sample_bias(starts, bias, ranked_from))
    best = int(np.argmin(p))
    return StoppingEstimate(recall_target, confidence, n_records, t, r, float(p[best]),
                            int(sizes[best]), int(total), bias, ranked_from)


def first_stop(labels: Sequence[int] | np.ndarray, n_records: int,
               recall_target: float = DEFAULT_TARGET, confidence: float = DEFAULT_CONFIDENCE,
               check_every: int = 1, start: int = 1, bias: float = DEFAULT_BIAS,
               ranked_from: int = 0) -> int | None:
    """How many records had been screened when the rule first said stop, checking after every
    `check_every` records (as a reviewer looking at the progress page would); None if it never
    did before the end of `labels`. `ranked_from`: where ranking began (see `estimate`)."""
    _check(recall_target, confidence, bias)
    y = _labels(labels)
    step = max(1, int(check_every))
    for n in range(max(1, start), y.size + 1, step):
        if estimate(y[:n], n_records, recall_target, confidence, bias,
                    ranked_from).target_reached:
            return n
    return None


def recall_curve(labels: Sequence[int] | np.ndarray) -> list[tuple[int, int]]:
    """(records screened, includes found) after each record: the curve the progress page
    draws against the diagonal of random order."""
    y = _labels(labels)
    found = np.cumsum(y)
    return [(i + 1, int(found[i])) for i in range(y.size)]


# --- the target method, compared with buscar -----------------------------------------------


def target_size(recall_target: float = DEFAULT_TARGET,
                confidence: float = DEFAULT_CONFIDENCE) -> int:
    """How many includes ("targets") the random sample of the target method must find: the
    smallest T with recall_target ** T <= 1 - confidence. Each target is an include drawn at
    random, so it lies in the part of the ranking before the recall target with probability at
    most recall_target; stopping once all T are screened misses the target only if all T fell
    there (95% recall with 95% confidence: T = 59)."""
    _check(recall_target, confidence)
    if recall_target >= 1.0:
        raise StoppingError("the target method cannot promise 100% recall short of screening "
                            "everything")
    return int(math.ceil(math.log(1.0 - confidence) / math.log(recall_target) - 1e-12))


@dataclass(frozen=True)
class TargetOutcome:
    """Where the target method stopped: `sample` records were screened at random first (until
    `targets` includes were found), then the ranked order up to `ranked_at` (None: the sample
    never found enough targets, so everything is screened). `screened` counts both, once."""

    n_records: int
    sample: int
    targets: int
    ranked_at: int | None
    screened: int
    recall: float

    @property
    def work_saved(self) -> float:
        return 1.0 - self.screened / self.n_records


def target_stop(ranked: Sequence[int], labels: Sequence[int] | np.ndarray,
                sample_order: Sequence[int], recall_target: float = DEFAULT_TARGET,
                confidence: float = DEFAULT_CONFIDENCE) -> TargetOutcome:
    """The target method (Cormack & Grossman 2016) on a finished screening: `ranked` is every
    row in the model's order, `labels` the answer of each row (1 include), `sample_order` the
    rows in an independent random order from which the random sample is drawn until
    `target_size` includes are found. Screening stops at the first point in the ranked order
    where every target has been screened; the sample's records count as screened too."""
    y = _labels(labels)
    n = int(y.size)
    if sorted(ranked) != list(range(n)) or sorted(sample_order) != list(range(n)):
        raise StoppingError("the ranked order and the sample order must each hold every row once")
    needed = target_size(recall_target, confidence)
    total = int(y.sum())
    screened = np.zeros(n, dtype=bool)
    targets: list[int] = []
    drawn = 0
    for row in sample_order:
        drawn += 1
        screened[row] = True
        if y[row]:
            targets.append(int(row))
            if len(targets) == needed:
                break
    if len(targets) < needed:
        return TargetOutcome(n, n, len(targets), None, n, 1.0 if total else 0.0)
    position = np.empty(n, dtype=np.int64)
    position[np.asarray(ranked, dtype=np.int64)] = np.arange(n)
    ranked_at = int(position[targets].max()) + 1
    screened[np.asarray(ranked[:ranked_at], dtype=np.int64)] = True
    found = int(y[screened].sum())
    return TargetOutcome(n, drawn, len(targets), ranked_at, int(screened.sum()),
                         found / total if total else 1.0)
