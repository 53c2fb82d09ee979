"""The statistics behind the reports: pure functions on counts, no dependencies beyond the stdlib.

- Proportions: Wilson score intervals, and Newcombe's hybrid score interval for a difference of
  two independent proportions (Newcombe 1998, "Interval estimation for the difference between
  independent proportions: comparison of eleven methods", Stat. Med. 17:873-890, method 10).
- Sample size for a two-sided two-proportion z-test (pooled variance under the null).
- Quantiles and shares from a histogram of waits (the counters keep buckets, not raw chats).
- Staffing by Erlang C (M/M/n queue): the probability of waiting, the service level, and the
  fewest agents that reach a service-level target.
- Survey scores per the contract: NPS, CSAT (% of answers 4-5), CES (mean of 1-7).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

Z95 = 1.959964
"""The two-sided 95% normal quantile."""


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for `successes` out of `n`; (0, 1) when n = 0 (nothing known)."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(max(0.0, p * (1 - p) / n + z2 / (4 * n * n)))
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe_difference(
    x1: float, n1: float, x2: float, n2: float, z: float = Z95
) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score interval (method 10): the distances from each
    proportion to its own Wilson limits are combined in quadrature. Returns (difference, low,
    high); a group with n = 0 has proportion 0 and the uninformative Wilson interval (0, 1)."""
    p1 = x1 / n1 if n1 > 0 else 0.0
    p2 = x2 / n2 if n2 > 0 else 0.0
    low1, high1 = wilson_interval(x1, n1, z)
    low2, high2 = wilson_interval(x2, n2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return (difference, max(-1.0, low), min(1.0, high))


def sessions_needed_per_group(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Sessions per group for a two-sided two-proportion z-test at level `alpha` to detect the
    difference between `p1` and `p2` with `power` (equal groups, pooled variance under the
    null): n = (z_a * sqrt(2 p q) + z_b * sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2, rounded up.
    None when there is no difference to detect (p1 == p2, which includes both 0)."""
    if p1 == p2 or not (0.0 <= p1 <= 1.0 and 0.0 <= p2 <= 1.0):
        return None
    normal = NormalDist()
    z_alpha = normal.inv_cdf(1 - alpha / 2)
    z_beta = normal.inv_cdf(power)
    pooled = (p1 + p2) / 2
    root = z_alpha * math.sqrt(2 * pooled * (1 - pooled)) + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root * root / (p1 - p2) ** 2 - 1e-9)


def remaining_sessions_needed(
    p1: float, p2: float, n1: float, n2: float, *, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """How many more sessions per group the test needs: max(0, needed - the smaller group seen
    so far). The smaller group (the holdout, usually) is what limits the test; counting it
    against an equal-groups design is conservative when the other group is larger. None when
    `sessions_needed_per_group` is None."""
    needed = sessions_needed_per_group(p1, p2, alpha, power)
    if needed is None:
        return None
    return max(0, needed - int(min(n1, n2)))


def histogram_quantile(counts: Sequence[float], edges: Sequence[float], q: float) -> float | None:
    """The `q` quantile (0..1) of a histogram: `counts[i]` observations in bucket i, whose upper
    edge is `edges[i]` (the first bucket starts at 0); a last count beyond the edges is the
    open bucket above `edges[-1]`. Linear interpolation inside a bucket; a quantile that falls
    in the open bucket is its lower edge (a floor: nothing is known of its width). None when
    the histogram is empty."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be between 0 and 1")
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    below = 0.0
    for index, count in enumerate(counts):
        if count <= 0:
            continue
        if below + count >= rank:
            lower = edges[index - 1] if index > 0 else 0.0
            if index >= len(edges):
                return float(lower)
            return float(lower + (edges[index] - lower) * (rank - below) / count)
        below += count
    return float(edges[-1])  # only rounding error gets here: the top of the histogram


def share_within(counts: Sequence[float], edges: Sequence[float], seconds: float) -> float | None:
    """The share of observations at most `seconds`: whole buckets below it, and a linear part of
    the bucket it falls in (exact when `seconds` is an edge). None when the histogram is empty."""
    total = sum(counts)
    if total <= 0:
        return None
    within = 0.0
    for index, count in enumerate(counts):
        lower = edges[index - 1] if index > 0 else 0.0
        if index >= len(edges) or seconds <= lower:
            break
        upper = edges[index]
        within += count if seconds >= upper else count * (seconds - lower) / (upper - lower)
    return within / total


def erlang_c(agents: int, traffic_erlangs: float) -> float:
    """Erlang C: the probability that an arrival waits, with `agents` servers and
    `traffic_erlangs` offered load. Computed through the Erlang B recursion
    B(k) = A B(k-1) / (k + A B(k-1)), C = n B / (n - A (1 - B)), which never forms a factorial
    or a power, so it is stable for hundreds of agents. 1.0 when agents <= traffic (the queue
    grows without bound); 0.0 without traffic."""
    if traffic_erlangs <= 0:
        return 0.0
    if agents <= traffic_erlangs:
        return 1.0
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic_erlangs * blocking / (k + traffic_erlangs * blocking)
    return agents * blocking / (agents - traffic_erlangs * (1 - blocking))


def service_level(agents: int, traffic: float, handle_seconds: float, target_seconds: float) -> float:
    """The share of arrivals answered within `target_seconds`:
    1 - C(n, A) * exp(-(n - A) * target / handle time). 0.0 when agents <= traffic."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waiting = erlang_c(agents, traffic)
    return 1.0 - waiting * math.exp(-(agents - traffic) * target_seconds / handle_seconds)


def agents_needed(
    arrivals_per_hour: float,
    handle_seconds: float,
    *,
    target_share: float = 0.8,
    target_seconds: float = 30,
    concurrency: float = 1.0,
    max_agents: int = 500,
) -> int:
    """The fewest agents whose service level reaches `target_share` answered within
    `target_seconds`. A chat agent handles `concurrency` chats at once, so a chat occupies an
    agent for handle_seconds / concurrency. 0 without arrivals or handle time; `max_agents`
    when even that many would not reach the target (a cap, not a result)."""
    if arrivals_per_hour <= 0 or handle_seconds <= 0:
        return 0
    if concurrency <= 0:
        raise ValueError("concurrency must be positive")
    effective_handle = handle_seconds / concurrency
    traffic = arrivals_per_hour * effective_handle / 3600
    agents = max(1, math.floor(traffic) + 1)
    while agents < max_agents:
        if service_level(agents, traffic, effective_handle, target_seconds) >= target_share:
            return agents
        agents += 1
    return max_agents


def nps(promoters: float, detractors: float, n: float) -> float | None:
    """Net promoter score, -100..100: % of answers 9-10 minus % of answers 0-6."""
    return 100.0 * (promoters - detractors) / n if n > 0 else None


def csat_share(good: float, n: float) -> float | None:
    """CSAT, 0..100: % of answers 4-5."""
    return 100.0 * good / n if n > 0 else None


def ces_mean(total: float, n: float) -> float | None:
    """Customer effort score: the mean answer, 1..7."""
    return total / n if n > 0 else None
