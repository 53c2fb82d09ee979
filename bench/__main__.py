"""`make bench`: cold start, DynamoDB cost per tracked event, and throughput, measured in one run.

Prints a table per part and a closing summary; writes every figure to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import console as console_bench

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
WCU_GOAL = 0.5


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def heading(text: str) -> None:
    print(f"\n{text}\n{'=' * len(text)}", flush=True)


def _progress(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- (a)
def cold_start(runs: int, before: str | None, compare: str | None = None) -> dict[str, Any]:
    from bench import coldstart

    measured: dict[str, Any] = {}
    if compare:
        _progress(f"cold start of {compare}'s code and this code as shipped, interleaved, {runs} runs each")
        compared = coldstart.measure(runs, (coldstart.SHIPPED,), compare_ref=compare)
        for packaging in compared["packagings"]:
            cold_start_table("", packaging, runs)
        cold_compare_table(compare, compared["packagings"])
        measured.update(compared, functions=compared["packagings"][-1]["functions"], compared_with=compare)
        return measured
    if before:
        _progress(f"cold start of {before}'s code as it was built, {runs} fresh interpreters per function")
        measured["before"] = coldstart.measure(runs, (coldstart.AS_BUILT_BEFORE,), ref=before)
        cold_start_table(f"before: {before}'s code", measured["before"]["packagings"][0], runs)
    _progress(f"cold start of this code per packaging, {runs} fresh interpreters per function")
    levers = coldstart.measure(runs, coldstart.PACKAGINGS)
    for packaging in levers["packagings"]:
        cold_start_table("this code", packaging, runs)
    shipped = next(p for p in levers["packagings"] if p["packaging"] == coldstart.SHIPPED.name)
    measured.update(levers, functions=shipped["functions"], shipped=coldstart.SHIPPED.name)
    print('baseline = `import boto3; boto3.client("dynamodb")` from the runtime\'s own (compiled) boto3.')
    print("functions = handler import + settings + client + the services of the first request + one")
    print("request refused before I/O (API functions), from the unzipped artifact, nothing cached")
    print("between runs (python -I -S -B); no network. Interpreter start-up not included.")
    profile = levers["import_profile"]
    print(
        f"\nWhere {profile['target']}'s imports go as shipped (python -X importtime, "
        f"{profile['total_import_ms']} ms summed self time):"
    )
    print(table(["package (self time)", "ms"], list(profile["self_ms_by_package"].items())))
    print(table(["module (cumulative, where first imported)", "ms"], list(profile["cumulative_ms"].items())))
    print(table(["our module (cumulative)", "ms"], list(profile["our_modules_cumulative_ms"].items())))
    return measured


def cold_compare_table(compare: str, packagings: list[dict[str, Any]]) -> None:
    before, after = (p["functions"] for p in packagings)
    heading(f"(a) Cold start, {compare} against this code, interleaved (CPU median ms, ratio to baseline)")
    rows = []
    for name, now in after.items():
        was = before.get(name, {})  # empty for a function added since
        rows.append(
            [
                name,
                was.get("cpu_median_ms", "-"),
                ratio(was.get("cpu_ratio")),
                now["cpu_median_ms"],
                ratio(now["cpu_ratio"]),
                ratio(now["ratio"]),
                ratio(was.get("cpu_ratio_of_minima")),
                ratio(now["cpu_ratio_of_minima"]),
            ]
        )
    columns = ["before CPU", "ratio", "after CPU", "ratio", "after wall ratio", "CPU min: before", "after"]
    print(table(["function", *columns], rows))


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def coldstart_components() -> dict[str, str]:
    from bench import coldstart

    return {**coldstart.COMPONENTS, **coldstart.FLOORS}


def cold_start_table(code: str, packaging: dict[str, Any], runs: int) -> None:
    heading(f"(a) Cold start, {code}, {packaging['packaging']} (median of {runs}, ms)")
    rows = [
        [
            name,
            figures["median_ms"],
            figures["min_ms"],
            figures["max_ms"],
            f"{figures['ratio']:.2f}x",
            f"{figures['ratio_of_minima']:.2f}x",
            figures["cpu_median_ms"],
            f"{figures['cpu_ratio']:.2f}x",
            f"{figures['cpu_ratio_of_minima']:.2f}x",
            "" if name == "baseline" else ("ok" if figures["ratio"] <= 1.2 else "OVER"),
        ]
        for name, figures in packaging["functions"].items()
    ]
    timing = [
        *("median", "min", "max", "vs baseline", "min vs min"),
        *("CPU median", "CPU vs baseline", "CPU min vs min"),
    ]
    print(table(["function", *timing, "goal <=1.2x"], rows[: -len(coldstart_components())]))
    print(table(["part alone, for reference", *timing, ""], rows[-len(coldstart_components()) :]))
    print(f"artifact: layers {packaging['layers_mb']} MB, functions {packaging['functions_mb']} MB unzipped")


# --------------------------------------------------------------------------- (b)
def capacity(batchings: dict[str, Any], expected: Any) -> dict[str, Any]:
    from bench import scenarios

    results: dict[str, Any] = {}
    for label, batches in batchings.items():
        _progress(f"metered replay, {label} ({len(batches)} batches) + stream drain")
        results[label] = scenarios.capacity(batches, expected)

    heading("(b) DynamoDB requests and capacity per tracked event (REES46 replay, 3,000 events)")
    rows = []
    for label, run in results.items():
        for phase in ("handler", "aggregation"):
            figures = run[phase]
            rows.append(
                [
                    f"{label}: {phase}",
                    figures["requests_per_event"],
                    figures["wcu_per_event"],
                    figures["rcu_per_event"],
                ]
            )
        total = run["total"]
        rows.append(
            [f"{label}: TOTAL", total["requests_per_event"], total["wcu_per_event"], total["rcu_per_event"]]
        )
    print(table(["batching: part", "requests/event", "WCU/event", "RCU/event"], rows))
    print(f"goal: <= {WCU_GOAL} WCU/event. Aggregation above = stream drained in batches of 500 (the")
    print("template's BatchSize), i.e. the fewest invocations: high-traffic behaviour.")

    for label, run in results.items():
        print(
            f"\n{label}: {run['batches']} batches, {run['events_per_batch']} events/batch, "
            f"{run['stream_records']} stream records, counters match the file: {run['counters_match_file']}"
        )
        detail = [[f"handler {k}", v] for k, v in run["handler"]["requests_by_operation"].items()]
        detail += [[f"handler WCU {k}", v] for k, v in run["handler"]["wcu_by_write"].items()]
        detail += [[f"handler RCU {k}", v] for k, v in run["handler"]["rcu_by_read"].items()]
        detail += [[f"handler writes {k}", v] for k, v in run["handler"]["write_sizes"].items()]
        detail += [[f"aggregation WCU {k}", v] for k, v in run["aggregation"]["wcu_by_write"].items()]
        detail += [["largest item written (bytes)", run["handler"]["largest_item_bytes"]]]
        detail += [["floor: 1 WCU per batch, WCU/event", run["floor_wcu_per_event"]]]
        print(table(["breakdown", "total"], detail))
        paced = [
            [f"{p['window_seconds']} s", p["invocations"], p["wcu_per_event"], p["total_wcu_per_event"]]
            for p in run["aggregation_paced"]
        ]
        print(
            f"aggregation at the file's own pace (estimate: one invocation per batching window with writes,"
            f" {run['aggregation_wcu_per_invocation']} WCU each as measured):"
        )
        print(table(["batching window", "invocations", "aggregation WCU/event", "TOTAL WCU/event"], paced))
    print("\nCapacity is computed per DynamoDB's rules from the real item sizes (before and after each")
    print("write, read on an unmetered client); moto's own ConsumedCapacity is not used.")
    return results


# --------------------------------------------------------------------------- (c)
def throughput(batchings: dict[str, Any]) -> dict[str, Any]:
    from bench import scenarios, throughput

    widget = batchings["10 s widget batches"]
    _progress(f"throughput against moto ({len(widget)} batches)")
    results: dict[str, Any] = {"moto, 10 s widget batches": scenarios.moto_throughput(widget)}
    for label, batches in batchings.items():
        _progress(f"throughput with in-memory fakes, {label}")
        with scenarios.quiet():
            results[f"fakes, {label}"] = throughput.with_fakes(batches)

    heading("(c) One warm track handler: time per batch and sustained events/s")
    rows = [
        [
            label,
            r["events_per_batch"],
            r["p50_ms_per_batch"],
            r["p99_ms_per_batch"],
            r["ms_per_event"],
            r["events_per_second"],
        ]
        for label, r in results.items()
    ]
    print(table(["run", "events/batch", "p50 ms/batch", "p99 ms/batch", "ms/event", "events/s"], rows))
    print("moto: wall time of the handler in-process against moto; moto's request parsing, item")
    print("handling and response serialisation (the larger part) are included, so this is a floor.")
    print("fakes: CPU time of the handler (Powertools resolver, validation, fold, metrics) with the")
    print("session/site stores replaced by tests/fakes/: no botocore, no item (de)serialisation.")
    return results


# --------------------------------------------------------------------------- (d)
def decide() -> dict[str, Any]:
    from bench import decide

    _progress("decide: round trips against moto, CPU with in-memory fakes")
    measured = decide.measure()
    trips, cpu = measured["round_trips"], measured["cpu"]
    heading("(d) Warm POST /v1/engagement/decide: DynamoDB round trips and handler CPU")
    rows = [
        [reason, figures["decisions"], round(sum(v for k, v in figures.items() if k != "decisions")
                                              / figures["decisions"], 2),
         ", ".join(f"{k} {v}" for k, v in figures.items() if k != "decisions")]
        for reason, figures in trips["requests_by_reason"].items()
    ]  # fmt: skip
    print(table(["reason (moto)", "decisions", "requests each", "requests"], rows))
    refreshes = trips["cache_refreshes"] or "none"
    print(
        f"round trips of the decision itself: mean {trips['mean']}, max {trips['max']} "
        f"(goal <= {trips['goal']}); cache refreshes over the {trips['seconds']} s run: {refreshes}"
    )
    print("(moto spends ~0.2 s per decision, so the 30/60 s caches expire during the run; deployed, a")
    print("refresh is one extra request per site per cache period, not per decision.)")
    print(
        table(
            ["handler CPU (fakes)", "decisions", "p50 ms", "p99 ms", "max ms", "goal p99"],
            [
                [
                    "warm",
                    cpu["decisions"],
                    cpu["p50_ms"],
                    cpu["p99_ms"],
                    cpu["max_ms"],
                    f"<= {cpu['goal_p99_ms']}",
                ]
            ],
        )
    )
    print("CPU = thread_time of the whole handler (resolver, validation, widget auth, features, model,")
    print(f"rules, caps, recording) with DynamoDB replaced by tests/fakes/; reasons {cpu['reasons']}.")
    return measured


# --------------------------------------------------------------------------- (e)
def routing() -> dict[str, Any]:
    from bench import routing_sim

    _progress("routing: simulated shop days under three routing strategies")
    measured = routing_sim.run()
    measured["sensitivity"] = routing_sim.sensitivity()
    heading(
        f"(e) Routing: {measured['days']} simulated shop days, predictive vs longest idle in the category "
        "(the product without it), skills only, longest idle of any category"
    )
    print(table(routing_sim.HEADERS, routing_sim.rows(measured)))
    print("\n".join(routing_sim.notes(measured)))
    print(table(routing_sim.SENSITIVITY_HEADERS, routing_sim.sensitivity_rows(measured["sensitivity"])))
    print("\n".join(routing_sim.sensitivity_notes(measured["sensitivity"])))
    print("Scenario and meaning of the figures: docs/routing.md.")
    return measured


# --------------------------------------------------------------------------- (h)
def offers() -> dict[str, Any]:
    from bench import offer_sim

    _progress("offers: scarce agents, offers by rules, by score and by expected gain")
    measured = offer_sim.run()
    measured["short_history"] = offer_sim.short_history()
    heading(
        f"(h) Offers under scarce agents: {measured['replicates']} x {measured['eval_days']} simulated days, "
        "rules vs score vs expected gain"
    )
    print(table(offer_sim.HEADERS, offer_sim.rows(measured)))
    print("\n".join(offer_sim.notes(measured)))
    short = measured["short_history"]
    print(f"\nThe same with a model learned from only {short['history_days']} days of history:")
    print(table(offer_sim.HEADERS, offer_sim.rows(short)))
    print("\n".join(offer_sim.notes(short)[:5]))
    print("Scenario and meaning of the figures: docs/model.md (Offers by expected gain).")
    return measured


# --------------------------------------------------------------------------- (e2)
def scores() -> dict[str, Any]:
    from bench import scores as day_one

    _progress("scores: the REES46 sample scored as on a new site's first day")
    measured = day_one.measure()
    heading("(e2) Purchase intent on a new site: REES46 replay against the training file's scores")
    print("\n".join(day_one.lines(measured)))
    print('Method and meaning: docs/model.md, "A site\'s first day".')
    return measured


# --------------------------------------------------------------------------- (g)
def knowledge() -> dict[str, Any]:
    from bench import knowledge as measure_knowledge

    measured = measure_knowledge.measure()
    heading(f"(g) Answer suggestions: BM25 over the demo shop's {measured['entries']} knowledge entries")
    print(table(measure_knowledge.HEADERS, measure_knowledge.rows(measured)))
    print("Each labelled visitor question (bench/data/knowledge_questions.json, paraphrases of the FAQ)")
    print("asked as the chat's only message, no journey; a hit = the labelled entry ranked first / in the")
    print(
        "top 3. Missed at top 3: " + ("; ".join(f"{m['question']!r}" for m in measured["misses"]) or "none")
    )
    return measured


# --------------------------------------------------------------------------- (i)
def console() -> dict[str, Any]:
    figures = console_bench.sizes()
    heading("(i) The console: its built files (Preact, uPlot and the pages in one bundle)")
    print(table(console_bench.HEADERS, console_bench.rows(figures)))
    return figures


# --------------------------------------------------------------------------- (f)
def report_cost() -> dict[str, Any]:
    from bench import report_cost as measure_report

    _progress("report cost: 10,000 then 100,000 tracked events through tracking and the stream")
    measured = measure_report.measure()
    heading(f"(f) GET /v1/reports/daily over the same {measured['days']} days as traffic grows")
    print(
        table(
            ["events tracked", "items read", "requests", "rows"],
            [[r["events"], r["items"], r["requests"], r["rows"]] for r in measured["readings"]],
        )
    )
    verdict = "the same" if measured["constant"] else "NOT the same"
    print(
        f"Items read by the report: {verdict} after 10x the traffic (counters, not raw events); "
        f"at most {measured['bound']} whatever the traffic (days x counter slots + the site)."
    )
    return measured


# --------------------------------------------------------------------------- (g)
def soak(events: int | None = None, chats: int | None = None) -> dict[str, Any]:
    from bench import soak as local_soak

    events = local_soak.EVENTS if events is None else events
    chats = local_soak.CHATS if chats is None else chats
    _progress(
        f"soak: {events:,} events and {chats} chats over HTTP, "
        f"{local_soak.CLIENTS} clients, against `python -m klantreis_local`"
    )
    measured = local_soak.measure(events=events, chats=chats)
    heading(
        f"(g) Soak of the local stack: {measured['events']:,} events in {measured['batches']:,} batches "
        f"+ {measured['chats']} chats, {measured['clients']} clients, {measured['requests']:,} requests"
    )
    rows = [[w["requests"], w["p50_ms"], w["p99_ms"], w["max_ms"]] for w in measured["windows"]]
    print(table(["requests", "p50 ms", "p99 ms", "max ms"], rows))
    ratio_met = "met" if measured["p99_ratio"] <= measured["p99_goal_ratio"] else "missed"
    rss_met = "met" if measured["rss_growth_mb"] < measured["rss_goal_mb"] else "missed"
    print(
        f"last window p99 / first: {measured['p99_ratio']}x "
        f"(goal <= {measured['p99_goal_ratio']}x: {ratio_met})\n"
        f"server RSS: {measured['rss_start_mb']} MB at start, {measured['rss_end_mb']} MB at end "
        f"(+{measured['rss_growth_mb']} MB; goal < {measured['rss_goal_mb']} MB: {rss_met}); "
        f"{measured['rss_after_report_mb']} MB after the report\n"
        f"answers: {', '.join(f'{k}: {v}' for k, v in measured['statuses'].items())}; "
        f"server errors or resets: {measured['server_errors']}\n"
        f"daily report sessions: {measured['report_sessions']:,} of "
        f"{measured['tracked_sessions']:,} tracked; "
        f"server exit code {measured['server_exit_code']}, tracebacks in its log "
        f"{measured['server_tracebacks']}; {measured['seconds']} s of load"
    )
    print("Latency = wall time of one HTTP request at the client, requests in the order they finished;")
    print("8 clients share the one-at-a-time handlers, so it includes waiting for a free handler.")
    return measured


# --------------------------------------------------------------------------- summary
def _offers_summary(offered: dict[str, Any] | None) -> list[str]:
    if not offered:
        return []
    policies = offered["policies"]
    versus = offered["differences"]["gain ranked - score: risk x cart"]["incremental_revenue"]
    return [
        f"- Offers under scarce agents ({offered['replicates']} replicates): incremental revenue "
        + ", ".join(
            f"{name} {policies[name]['incremental_revenue']['mean']:.0f} EUR"
            for name in ("rules only", "score: risk x cart", "gain ranked", "gain bar (online)")
        )
        + f"; gain ranked minus risk x cart {versus['mean']:+.0f} EUR "
        f"(95% {versus['low']:+.0f}..{versus['high']:+.0f})."
    ]


def _routing_summary(routed: dict[str, Any] | None) -> list[str]:
    if not routed:
        return []
    best, base = routed["strategies"]["predictive"], routed["strategies"]["longest_idle"]
    head = routed["predictive_minus_longest_idle"]
    return [
        f"- Routing ({routed['days']} simulated days): predictive CSAT {best['csat']:.1%}, conversion "
        f"{best['conversion']:.1%}, {best['within_30s']:.1%} answered within 30 s; longest idle in "
        f"the category {base['csat']:.1%}, {base['conversion']:.1%}, {base['within_30s']:.1%} (CSAT "
        f"{100 * head['csat']['mean']:+.1f} pts, 95% {100 * head['csat']['low']:+.1f}.."
        f"{100 * head['csat']['high']:+.1f}; within 30 s {100 * head['within_30s']['mean']:+.1f} pts, "
        f"95% {100 * head['within_30s']['low']:+.1f}..{100 * head['within_30s']['high']:+.1f})."
    ]


def summary(results: dict[str, Any]) -> str:
    source = results["source"]
    changed = (
        f" + changes to {', '.join(source['changed_since_head'])}" if source["changed_since_head"] else ""
    )
    lines = [
        f"Bench {results['generated_at']} ({results['machine']['cpus']} CPUs, Python "
        f"{results['machine']['python']}, moto {results['machine']['moto']}), "
        f"code at {source['head']}{changed}",
        *carried_over(results),
    ]
    cold = results.get("cold_start")
    if cold:
        functions = cold["functions"]
        worst = max((n for n in functions if n != "baseline"), key=lambda n: functions[n]["ratio"])
        lines.append(
            f"- Cold import+init (median of {cold['runs']}): baseline boto3 client "
            f"{functions['baseline']['median_ms']} ms; "
            + ", ".join(
                f"{n.removesuffix('Function')} {f['median_ms']} ms ({f['ratio']:.2f}x, "
                f"CPU {f['cpu_ratio']:.2f}x)"
                for n, f in functions.items()
                if n != "baseline"
            )
            + f". Goal <=1.2x: {'met' if functions[worst]['ratio'] <= cold['goal_ratio'] else 'missed'}"
            f" (worst {worst}, {functions[worst]['ratio']:.2f}x)."
        )
        profile = cold["import_profile"]
        top = ", ".join(f"{k} {v} ms" for k, v in list(profile["self_ms_by_package"].items())[:5])
        lines.append(f"  Import self time by package ({profile['target']}): {top}.")
    capacity = results.get("capacity")
    if capacity:
        from bench.scenarios import template_window

        window = template_window()
        for label, run in capacity.items():
            paced = {p["window_seconds"]: p for p in run["aggregation_paced"]}
            # The goal is judged on the worse of a busy shop (full 500-record stream batches) and
            # the file's own quiet pace with the template's stream window.
            worst = max(run["total"]["wcu_per_event"], paced[window]["total_wcu_per_event"])
            lines.append(
                f"- DynamoDB per event, {label} ({run['events_per_batch']} events/batch): "
                f"{run['total']['requests_per_event']} requests, {run['total']['wcu_per_event']} WCU "
                f"(handler {run['handler']['wcu_per_event']} + "
                f"aggregation {run['aggregation']['wcu_per_event']}"
                f" in 500-record stream batches), {run['total']['rcu_per_event']} RCU; at the file's own pace"
                f" with the template's {window} s stream window {paced[window]['total_wcu_per_event']} WCU"
                f" (5 s: {paced[5]['total_wcu_per_event']}, 60 s: {paced[60]['total_wcu_per_event']})."
                f" Goal <= {WCU_GOAL}: {'met' if worst <= WCU_GOAL else 'missed'}"
                f" (floor at this batching: {run['floor_wcu_per_event']} WCU/event, one write per batch)."
            )
    rates = results.get("throughput")
    if rates:
        lines.append(
            "- One warm handler: "
            + "; ".join(
                f"{label} p50 {r['p50_ms_per_batch']} ms/batch, p99 {r['p99_ms_per_batch']} ms, "
                f"{r['events_per_second']} events/s"
                for label, r in rates.items()
            )
            + " (moto figures include moto's own work)."
        )
    measured = results.get("decide")
    if measured:
        trips, cpu = measured["round_trips"], measured["cpu"]
        trips_met = "met" if trips["max"] <= trips["goal"] else "missed"
        cpu_met = "met" if cpu["p99_ms"] <= cpu["goal_p99_ms"] else "missed"
        lines.append(
            f"- Warm decide: at most {trips['max']} DynamoDB round trips (mean {trips['mean']}; goal <= "
            f"{trips['goal']}: {trips_met}), plus cache refreshes {trips['cache_refreshes'] or 'none'} in "
            f"{trips['seconds']} s of moto; handler CPU p50 {cpu['p50_ms']} ms, p99 {cpu['p99_ms']} ms "
            f"without DynamoDB (goal p99 <= {cpu['goal_p99_ms']} ms: {cpu_met})."
        )
    lines.extend(_routing_summary(results.get("routing")))
    reads = results.get("report_cost")
    if reads:
        first, last = reads["readings"][0], reads["readings"][-1]
        lines.append(
            f"- Daily report over {reads['days']} days: {first['items']} items read after "
            f"{first['events']:,} events, {last['items']} after {last['events']:,} "
            f"({'constant' if reads['constant'] else 'GROWS'})."
        )
    suggestions = results.get("knowledge")
    if suggestions:
        overall = suggestions["by_language"]["all"]
        lines.append(
            f"- Answer suggestions (BM25, {overall['questions']} labelled questions nl+en): right entry "
            f"first {overall['top1_rate']:.0%}, in the top 3 {overall['top3_rate']:.0%}."
        )
    lines.extend(_offers_summary(results.get("offers")))
    widget_figures = results.get("widget")
    if widget_figures:
        sizes = widget_figures["sizes"]
        cost = widget_figures["cost"]
        us = cost["usd_per_million_events"]["us-east-1"]
        lines.append(
            f"- Widget gzip: tracker {sizes['klantreis.js']['gzip_bytes']} B (budget 4096), chat "
            f"{sizes['klantreis-chat.js']['gzip_bytes']} B (budget 8192). Main thread added on the demo "
            f"product page: {widget_figures['main_thread']['added_script_ms']} ms script (medians). "
            f"Anna's journey: {cost['tracked_events_per_request']} tracked events per event request; "
            f"${us['total']} per million tracked events (us-east-1; API Gateway ${us['api_gateway']}), "
            f"goal <= ${cost['goal_usd']:.2f}: {'met' if us['total'] <= cost['goal_usd'] else 'missed'}."
        )
    soaked = results.get("soak")
    if soaked:
        first, last = soaked["windows"][0], soaked["windows"][-1]
        lines.append(
            f"- Soak of the local stack ({soaked['events']:,} events, {soaked['chats']} chats, "
            f"{soaked['clients']} clients, {soaked['requests']:,} requests): p50/p99 first 1,000 "
            f"{first['p50_ms']}/{first['p99_ms']} ms, last {last['p50_ms']}/{last['p99_ms']} ms "
            f"(p99 ratio {soaked['p99_ratio']}x, goal <= {soaked['p99_goal_ratio']}x); RSS "
            f"{soaked['rss_start_mb']} -> {soaked['rss_end_mb']} MB (+{soaked['rss_growth_mb']} MB, goal < "
            f"{soaked['rss_goal_mb']}); {soaked['server_errors']} server errors; report counted "
            f"{soaked['report_sessions']:,} of {soaked['tracked_sessions']:,} sessions."
        )
    return "\n".join([*lines, *console_bench.summary_lines(results)])


STAMPS = "measured"
"""The key of each part's stamp (when and on which code it was measured), kept beside the parts
rather than inside them: a part's own keys may be labels its readers iterate over."""


def stamps_of(earlier: dict[str, Any]) -> dict[str, Any]:
    """The stamps of an earlier run's parts; runs of 2026-12-04 kept each inside its part (under
    the same key), where they are taken out."""
    stamps = dict(earlier.get(STAMPS, {}))
    for key, part in earlier.items():
        if key != STAMPS and isinstance(part, dict) and isinstance(part.get(STAMPS), dict):
            stamps.setdefault(key, part.pop(STAMPS))
    return stamps


def carried_over(results: dict[str, Any]) -> list[str]:
    """A line naming the parts a partial run (`--only`) kept from earlier runs, with when and on
    which code each was measured: their figures are not this run's."""
    kept = []
    stamps = results.get(STAMPS, {})
    for key, part in results.items():
        if not isinstance(part, dict) or key in ("source", "machine", "sample", STAMPS):
            continue
        measured = stamps.get(key)
        if measured is None:
            kept.append(f"{key} (an earlier run, not stamped)")
        elif measured["at"] != results["generated_at"]:
            code = measured["code"]
            edited = " + changes" if code["changed_since_head"] else ""
            kept.append(f"{key} ({measured['at']}, code at {code['head']}{edited})")
    return [f"Carried over from earlier runs, not measured now: {'; '.join(kept)}."] if kept else []


def source_tree() -> dict[str, Any]:
    """Which code was measured: the commit, and the files changed since (the tree is shared)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, check=False, cwd=RESULTS.parents[2]
        )
        return done.stdout

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    return {"head": git("rev-parse", "--short", "HEAD").strip(), "changed_since_head": changed}


# --------------------------------------------------------------------------- (g)
def widget() -> dict[str, Any]:
    from bench import widget as widget_bench

    _progress("widget: sizes, main-thread time on the demo product page, Anna's journey in chromium")
    figures = widget_bench.measure()
    heading("(g) The widget: sizes, main-thread time, requests and cost over Anna's journey")
    print(
        table(
            ["file", "bytes", "gzip", "budget gzip", ""],
            [
                [name, f["bytes"], f["gzip_bytes"], f["budget_gzip_bytes"],
                 "ok" if f["gzip_bytes"] <= f["budget_gzip_bytes"] else "OVER"]
                for name, f in figures["sizes"].items()
            ],
        )
    )  # fmt: skip
    main_thread = figures["main_thread"]
    print(
        f"\nDemo product page, median of {main_thread['runs']} loads + 2 s idle "
        "(Chrome Performance.getMetrics):"
    )
    print(
        table(
            ["", "TaskDuration ms", "ScriptDuration ms", "LayoutDuration ms"],
            [
                [kind, *main_thread[f"{kind}_widget_ms"].values()]
                for kind in ("with", "without")
            ],
        )
    )  # fmt: skip
    print(f"added by the widget: {main_thread['added_task_ms']} ms main-thread task time "
          f"({main_thread['added_script_ms']} ms script) between medians; "
          f"{main_thread['added_task_ms_of_minima']} ms "
          f"({main_thread['added_script_ms_of_minima']} ms script) between the fastest loads")  # fmt: skip
    cost = figures["cost"]
    print(
        f"\nAnna's journey ({widget_bench.DWELL} on each page): {cost['events']} tracked events, "
        f"{cost['events_sent']} sent in {cost['event_requests']} event requests "
        f"({cost['events_per_request']} sent, {cost['tracked_events_per_request']} tracked events/request), "
        f"{cost['decide_requests']} decide requests"
    )
    per_event = cost["per_event"]
    print(
        f"per event: {per_event['api_requests']} API requests, {per_event['lambda_invocations']} Lambda "
        f"invocations, {per_event['lambda_gb_seconds']} GB-s, {per_event['wcu']} WCU, {per_event['rcu']} RCU"
    )
    print(
        table(
            ["USD per M events", "API GW REST", "Lambda arm64", "DDB writes", "DDB reads", "total", "goal"],
            [
                [region, c["api_gateway"], c["lambda"], c["dynamodb_writes"], c["dynamodb_reads"], c["total"],
                 "ok" if c["total"] <= cost["goal_usd"] else "OVER"]
                for region, c in cost["usd_per_million_events"].items()
            ],
        )
    )  # fmt: skip
    needed = cost["events_per_request_for_goal"]
    print(
        f"In the way of <= ${cost['goal_usd']:.2f}: each request costs "
        f"${cost['usd_per_million_requests']} per million (API Gateway REST $3.50 of it; Lambda, the session "
        f"read and write), the stream's aggregation "
        f"${cost['usd_per_million_events_aggregation']} per million events; "
        + (f"the goal needs >= {needed} tracked events per request (Anna's journey: "
           f"{cost['tracked_events_per_request']})." if needed else "the aggregation alone is over the goal.")
    )  # fmt: skip
    print(
        "Costs are per distinct tracked event. Lambda time is the handlers' in-process time on moto (an\n"
        "upper bound); DynamoDB units are metered as billed (bench.capacity), handlers plus aggregation."
    )
    return figures


# --------------------------------------------------------------------------- (h)
def scale() -> dict[str, Any]:
    from bench import scale as scale_bench

    _progress("scale: a large shop's traffic through the handlers, per partition key")
    figures = scale_bench.measure()
    shop = figures["shop"]
    heading(
        f"(h) Hottest keys: {shop['events_per_second']:,} events/s, {shop['agents']} agents, "
        f"{shop['chats_per_minute']} chats/min ({shop['open_chats']} open), one report job"
    )
    print(scale_bench.main_table(figures, table))
    print(
        f"stream: {figures['stream_records_per_second']} records/s; "
        f"windows (simulated s): {figures['windows_seconds']}"
    )
    print("\nWhere the hottest keys' load comes from (WCU/s, RCU/s of the hottest instance, per part):")
    for shape, hot in list(figures["keys"].items())[:4]:
        print(f"  {shape}: " + "; ".join(f"{part} {w}/{r}" for part, (w, r) in hot["hottest"].items()))
    print("\nThe nightly report job, units per run by key:")
    print(
        table(
            ["key", "WCU", "RCU"],
            [[k, v["wcu"], v["rcu"]] for k, v in figures["report_job_units_per_run"].items()],
        )
    )
    print("\nLambda concurrency = requests/s x handler time on moto (an upper bound); account default 1,000:")
    print(
        table(
            ["function", "requests/s", "s each (moto)", "concurrency"],
            [
                [n, f["requests_per_second"], f["seconds_each"], f["concurrency"]]
                for n, f in figures["lambda"].items()
            ],
        )
    )
    return figures


EVERY_PART = [
    "cold", "capacity", "throughput", "decide", "routing", "scores", "report", "widget", "knowledge",
    "offers", "console", "soak", "scale",
]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per function for (a)")
    parser.add_argument(
        "--cold-before",
        metavar="GIT_REF",
        help="(a) also times this commit's code as it was built then (sources only, boto3 in the layer)",
    )
    parser.add_argument(
        "--cold-compare",
        metavar="GIT_REF",
        help="(a) instead: that commit's code and this code, both as shipped, timed interleaved",
    )
    parser.add_argument(
        "--soak-events", type=int, help="(g) events to track (default 20,000; fewer for a quick look)"
    )
    parser.add_argument("--soak-chats", type=int, help="(g) chats to mix in (default 500)")
    parser.add_argument(
        "--only",
        choices=EVERY_PART,
        action="append",
        help="run only these parts (repeatable); default all",
    )
    args = parser.parse_args(argv)
    parts = set(args.only or EVERY_PART)
    started = time.perf_counter()

    from klantreis_local import runtime

    runtime.configure_environment("klantreis-bench")
    from bench import rees46

    sample = rees46.load()
    expected = rees46.expected_totals()
    batchings = {
        "10 s widget batches": rees46.widget_batches(sample.rows),
        "one batch per session": rees46.session_batches(sample.rows),
    }
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "source": source_tree(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "moto": metadata.version("moto"),
            "boto3": metadata.version("boto3"),
            "aws_lambda_powertools": metadata.version("aws-lambda-powertools"),
            "pydantic": metadata.version("pydantic"),
        },
        "sample": {
            "file": str(rees46.DATA),
            "rows": len(sample.rows),
            "skipped": [{"row": s.number, "reason": s.reason} for s in sample.skipped],
            "sessions": len(sample.sessions),
            "expected": {day: t.counters() for day, t in expected.days.items()},
        },
    }
    print(
        f"Klantreis bench: REES46 sample {len(sample.rows)} events, {len(sample.sessions)} sessions, "
        f"{len(sample.skipped)} rows skipped; {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    runners: tuple[tuple[str, str, Callable[[], dict[str, Any]]], ...] = (
        ("cold", "cold_start", lambda: cold_start(args.runs, args.cold_before, args.cold_compare)),
        ("capacity", "capacity", lambda: capacity(batchings, expected)),
        ("throughput", "throughput", lambda: throughput(batchings)),
        ("decide", "decide", decide),
        ("routing", "routing", routing),
        ("scores", "scores", scores),
        ("report", "report_cost", report_cost),
        ("widget", "widget", widget),
        ("soak", "soak", lambda: soak(args.soak_events, args.soak_chats)),
        ("knowledge", "knowledge", knowledge),
        ("offers", "offers", offers),
        ("console", "console", console),
        ("scale", "scale", scale),
    )
    measured_now = {"at": results["generated_at"], "code": results["source"]}
    results[STAMPS] = {}
    for part, key, run in runners:
        if part in parts:
            results[key] = run()
            results[STAMPS][key] = measured_now
    if args.only and RESULTS.exists():
        # A partial run updates its parts of the last full run instead of dropping the others; the
        # summary names the parts it carried over and when they were measured.
        earlier = json.loads(RESULTS.read_text())
        earlier.pop("summary", None)
        stamps = {**stamps_of(earlier), **results[STAMPS]}
        results = {**earlier, **results, STAMPS: stamps}
    results["seconds"] = round(time.perf_counter() - started, 1)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    results["summary"] = summary(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    heading("Summary")
    print(results["summary"])
    shown = RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS
    print(f"\n(all figures in {shown}; bench took {results['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
