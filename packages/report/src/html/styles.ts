/** The page's stylesheet, inlined: the report is one file and loads nothing. */
export const REPORT_CSS = `
:root { --fg: #1d232b; --muted: #5b6573; --line: #d8dde4; --bg: #ffffff; --panel: #f5f7fa; --pass: #1a7f37; --fail: #c0392b; --error: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h4 { margin: 10px 0 4px; font-size: 13px; color: var(--muted); }
.meta, .note, .sub { color: var(--muted); }
.note { background: var(--panel); border-left: 3px solid var(--line); padding: 8px 12px; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.totals { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; }
.totals div { background: var(--panel); padding: 8px 14px; border-radius: 6px; min-width: 110px; }
.totals b { display: block; font-size: 18px; }
.chart { max-width: 100%; height: auto; display: block; margin: 6px 0; }
.chart text { font-size: 12px; fill: var(--fg); }
.chart .sub, .chart .tick-label { fill: var(--muted); font-size: 11px; }
.chart .axis, .chart .tick { stroke: #9aa4b1; }
.chart .grid { stroke: #eceff3; }
.chart .interval line, .chart line.interval { stroke: #1d232b; stroke-width: 1.5; }
.chart .whisker { stroke: #1d232b; stroke-width: 1.2; }
.chart .median { stroke: #1d232b; stroke-width: 2.5; }
.chart .latency-box { fill-opacity: .75; stroke: #1d232b; stroke-width: .8; }
.chart .extreme { fill: #1d232b; }
.chart .cell.empty { fill: #eceff3; }
.chart .cell-label { font-size: 11px; fill: #111; }
.verdict.b-better td:last-child { color: var(--pass); font-weight: 600; } .verdict.b-worse td:last-child { color: var(--fail); font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
.controls input[type=search] { flex: 1 1 260px; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
.controls select, .controls button { padding: 5px 8px; font: inherit; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
#case-list { border-top: 1px solid var(--line); }
.case { border-bottom: 1px solid var(--line); padding: 6px 4px; }
.case summary { cursor: pointer; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.case-id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: 600; }
.case-series, .case-category, .case-latency { color: var(--muted); }
.badge { font-size: 11px; text-transform: uppercase; letter-spacing: .03em; padding: 1px 6px; border-radius: 3px; color: #fff; }
.badge.passed { background: var(--pass); } .badge.failed { background: var(--fail); } .badge.errored { background: var(--error); }
.badge.flip { background: #6f42c1; text-transform: none; }
.case-body pre { white-space: pre-wrap; word-break: break-word; background: var(--panel); padding: 8px; margin: 0; border-radius: 4px; max-height: 360px; overflow: auto; }
.case-body pre.error { color: var(--fail); }
ul.scores { margin: 0; padding-left: 18px; } ul.scores li.pass strong { color: var(--pass); } ul.scores li.fail strong { color: var(--fail); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;
