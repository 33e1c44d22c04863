"""The HTML report: one self-contained page (inline CSS, no script, nothing fetched) that a QA engineer opens.

The header gives the verdict, the target, the harness, the counts (expected failures apart) and the time. Then
filters, a toggle per outcome and per plan; then one line per check, grouped by plan and module: its outcome (and
severity when FAILED), its id and title, its duration. Each line opens to show what the check enforces (its
citations), why it ended so, for a failure the ``curl`` command that sends its last request again, and every HTTP
exchange it made, secrets masked.

The filters are CSS only: a hidden checkbox per outcome and per plan, placed before the checks, and a rule per box
(``#show-FAILED:not(:checked) ~ .filtered .o-FAILED {display: none}``) hides what it unticks. A plan or module
heading is hidden when every outcome it holds is unticked: a chain of sibling selectors over those boxes, written
for each set of outcomes a group holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from conformance.results import OUTCOMES, CheckResult, Exchange, Report, Status

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px;font-size:20px}
header .verdict{font-size:16px;font-weight:600;padding:2px 10px;border-radius:4px}
main{padding:16px 28px 40px;max-width:1200px}
table.meta td{padding:1px 12px 1px 0;color:#cfd5e1}
.counts span{display:inline-block;margin:8px 8px 0 0;padding:3px 9px;border-radius:12px;background:#fff;
 color:#1d2330;font-weight:600}
h2{margin:26px 0 6px;font-size:17px}
h3{margin:14px 0 4px;font-size:14px;color:#4b5567;text-transform:uppercase;letter-spacing:.04em}
details.check{background:#fff;border:1px solid #dde1e8;border-radius:6px;margin:5px 0}
details.check>summary{cursor:pointer;padding:7px 10px;display:flex;gap:10px;align-items:baseline;list-style:none}
details.check>summary::-webkit-details-marker{display:none}
.badge{flex:0 0 auto;min-width:78px;text-align:center;font-size:12px;font-weight:700;border-radius:4px;
 padding:1px 6px;color:#fff}
.PASSED{background:#2e7d32}.FAILED{background:#c62828}.WARNING{background:#ef8f00}.SKIPPED{background:#78849a}
.ERROR{background:#6a1b9a}.XFAIL{background:#8d6e63}.conforms{background:#2e7d32}
.does-not-conform{background:#c62828}.unreachable{background:#6a1b9a}
.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;color:#4b5567}
.title{flex:1 1 auto}.time{color:#78849a;font-size:12px}
.body{padding:4px 14px 12px;border-top:1px solid #eceef2}
.reason{white-space:pre-wrap;background:#fff4f4;border-left:3px solid #c62828;padding:6px 10px}
.reason.ok{background:#f3f8f3;border-color:#2e7d32}
ul.cites{margin:4px 0 8px;padding-left:20px;color:#37474f}
details.exchange{margin:4px 0;border:1px solid #e3e6ec;border-radius:4px}
details.exchange>summary{cursor:pointer;padding:3px 8px;font-family:ui-monospace,Menlo,Consolas,monospace;
 font-size:12px}
pre{margin:0;padding:6px 10px;background:#f7f8fa;font-size:12px;white-space:pre-wrap;word-break:break-all}
ul.attention{list-style:none;padding:0}ul.attention li{margin:4px 0}ul.attention .badge{display:inline-block}
.st2{color:#2e7d32}.st3{color:#1565c0}.st4{color:#c62828}.st5{color:#6a1b9a}
.STALE{background:#c62828}
input.toggle{position:absolute;opacity:0;pointer-events:none}
nav.filters{margin:10px 0 4px;display:flex;flex-wrap:wrap;gap:6px;align-items:center}
nav.filters strong{margin:0 4px 0 10px}nav.filters strong:first-child{margin-left:0}
nav.filters label{cursor:pointer;user-select:none;padding:2px 9px;border-radius:12px;font-size:12.5px;
 font-weight:600;color:#fff}
nav.filters label.plan{background:#37474f}
pre.curl{background:#1d2330;color:#e8ecf3;border-radius:4px}
"""


def render_html(report: Report) -> str:
    counts = report.counts()
    verdict_class = report.verdict.replace(" ", "-")
    filter_rules, filters = _filters(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>jesign conformance: {escape(report.verdict)}</title>",
        f"<style>{_CSS}{filter_rules}</style></head><body><header>",
        "<h1>jesign conformance report</h1>",
        f'<span class="verdict {verdict_class}">{escape(report.verdict)}</span>',
        '<table class="meta">',
        _meta_row("target", f"{report.target.get('name', '')}"),
        _meta_row("parties", ", ".join(f"{k} {v}" for k, v in report.target.get("parties", {}).items())),
        _meta_row("harness", report.harness),
        _meta_row("plans", ", ".join(report.plans)),
        _meta_row("started", report.started_at),
        _meta_row("duration", f"{report.duration_s:.2f} s for {len(report.results)} checks"),
        "</table><div class='counts'>",
        *(f'<span class="{k}">{k.replace("_", " ")}: {v}</span>' for k, v in counts.items()),
        "</div></header><main>",
        *filters,
        '<div class="filtered">',
        *_attention(report),
    ]
    plans: dict[str, dict[str, list[CheckResult]]] = {}
    for result in report.results:
        plans.setdefault(result.plan, {}).setdefault(result.module, []).append(result)
    for plan, modules in plans.items():
        held = [r for results in modules.values() for r in results]
        parts.append(f'<section class="{_group(plan, held)}"><h2>Plan {escape(plan)}</h2>')
        for module, results in modules.items():
            parts.append(f'<section class="{_group(plan, results)}"><h3>{escape(module)}</h3>')
            parts.extend(_check(result) for result in results)
            parts.append("</section>")
        parts.append("</section>")
    parts.append("</div></main></body></html>\n")
    return "\n".join(parts)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _group(plan: str, results: Iterable[CheckResult]) -> str:
    """The classes of a plan's or module's section: its plan, and the set of outcomes it holds."""
    held = {r.outcome for r in results}
    return f"p-{_slug(plan)} g-{'-'.join(o for o in OUTCOMES if o in held)}"


def _filters(report: Report) -> tuple[str, list[str]]:
    """The CSS rules that hide what is unticked, and the toggles: one per outcome and per plan present."""
    outcomes = [o for o in OUTCOMES if any(r.outcome == o for r in report.results)]
    plans = list(dict.fromkeys(r.plan for r in report.results))
    if not outcomes:
        return "", []
    toggles = [(f"show-{o}", f"o-{o}") for o in outcomes] + [(f"show-plan-{_slug(p)}", f"p-{_slug(p)}") for p in plans]
    rules = []
    for box, css in toggles:
        rules.append(f"#{box}:not(:checked)~.filtered .{css}{{display:none}}")
        rules.append(f"#{box}:not(:checked)~nav label[for={box}]{{opacity:.35;text-decoration:line-through}}")
        rules.append(f"#{box}:focus-visible~nav label[for={box}]{{outline:2px solid #1565c0}}")
    groups = {tuple(o for o in OUTCOMES if o in {r.outcome for r in results}) for results in _groups(report)}
    for held in sorted(groups):
        unticked = "~".join(f"#show-{o}:not(:checked)" for o in held)
        rules.append(f"{unticked}~.filtered .g-{'-'.join(held)}{{display:none}}")
    counts = {o: sum(1 for r in report.results if r.outcome == o) for o in outcomes}
    per_plan = {p: sum(1 for r in report.results if r.plan == p) for p in plans}
    return "\n".join(rules), [
        *(f'<input type="checkbox" class="toggle" id="{box}" checked>' for box, _ in toggles),
        '<nav class="filters"><strong>Show</strong>',
        *(f'<label for="show-{o}" class="{o}">{o} {counts[o]}</label>' for o in outcomes),
        "<strong>Plans</strong>",
        *(f'<label for="show-plan-{_slug(p)}" class="plan">{escape(p)} {per_plan[p]}</label>' for p in plans),
        "</nav>",
    ]


def _groups(report: Report) -> list[list[CheckResult]]:
    """The results of each plan and of each module: the sections a filter may empty."""
    found: dict[tuple[str, ...], list[CheckResult]] = {}
    for result in report.results:
        found.setdefault((result.plan,), []).append(result)
        found.setdefault((result.plan, result.module), []).append(result)
    return list(found.values())


def _attention(report: Report) -> list[str]:
    """A list, first, of what needs a look: failures, errors, warnings, skips, stale expectations."""
    notable = [r for r in report.results if r.status is not Status.PASSED or r.expected_failure]
    if not notable:
        return ["<p>Every check passed.</p>"]
    items = []
    for result in notable:
        label = css = result.outcome
        first = (
            (result.expectation_note or result.reason).splitlines()[0]
            if (result.reason or result.expectation_note)
            else ""
        )
        items.append(
            f'<li class="o-{result.outcome} p-{_slug(result.plan)}"><span class="badge {css}">{escape(label)}</span> '
            f'<a href="#{escape(result.id)}">{escape(result.id)}</a> {escape(first)}</li>'
        )
    return ["<h2>Needs a look</h2>", '<ul class="attention">', *items, "</ul>"]


def _meta_row(name: str, value: str) -> str:
    return f"<tr><td>{escape(name)}</td><td>{escape(value)}</td></tr>"


def _check(result: CheckResult) -> str:
    label = css = result.outcome
    if result.outcome == Status.FAILED.value:
        label = f"FAILED · {result.severity.value}"
    opened = " open" if result.counts_as_failure else ""
    reason = result.reason or ("the rule holds" if result.status is Status.PASSED else "")
    reason_class = "reason ok" if result.status is Status.PASSED else "reason"
    classes = f"check o-{result.outcome} p-{_slug(result.plan)}"
    lines = [
        f'<details class="{classes}"{opened} id="{escape(result.id)}"><summary>',
        f'<span class="badge {css}">{escape(label)}</span>',
        f'<span class="title">{escape(result.title)}<br><span class="id">{escape(result.id)}</span></span>',
        f'<span class="time">{result.duration_ms:.0f} ms</span></summary><div class="body">',
        "<strong>Enforces</strong><ul class='cites'>",
        *(f"<li>{escape(c)}</li>" for c in result.cites),
        "</ul>",
    ]
    if reason:
        lines.append(f'<div class="{reason_class}">{escape(reason)}</div>')
    if result.expectation_note:
        lines.append(f"<p><em>{escape(result.expectation_note)}</em></p>")
    if result.messages:
        lines.append("<ul>" + "".join(f"<li>{escape(m)}</li>" for m in result.messages) + "</ul>")
    if result.reproduce:
        lines.append("<p><strong>Reproduce</strong> (the last request sent; put the masked secrets back)</p>")
        lines.append(f'<pre class="curl">{escape(result.reproduce)}</pre>')
    if result.exchanges:
        lines.append(f"<p><strong>HTTP exchanges ({len(result.exchanges)})</strong></p>")
        lines.extend(_exchange(e) for e in result.exchanges)
    lines.append("</div></details>")
    return "\n".join(lines)


def _exchange(exchange: Exchange) -> str:
    status = str(exchange.status) if exchange.status is not None else "no answer"
    css = f"st{str(exchange.status)[0]}" if exchange.status else "st5"
    request = "\n".join(f"{k}: {v}" for k, v in exchange.request_headers.items())
    response = "\n".join(f"{k}: {v}" for k, v in exchange.response_headers.items())
    return "\n".join(
        [
            '<details class="exchange"><summary>',
            f"[{escape(exchange.party)}] {escape(exchange.method)} {escape(exchange.url)} → "
            f'<span class="{css}">{escape(status)}</span> ({exchange.duration_ms:.0f} ms)</summary>',
            f"<pre>{escape(exchange.method)} {escape(exchange.url)}\n{escape(request)}</pre>",
            f"<pre>{escape(exchange.request_body)}</pre>" if exchange.request_body else "",
            f"<pre>{escape(exchange.error)}</pre>" if exchange.error else "",
            f"<pre>HTTP {escape(status)}\n{escape(response)}</pre>",
            f"<pre>{escape(exchange.response_body)}</pre>" if exchange.response_body else "",
            "</details>",
        ]
    )
