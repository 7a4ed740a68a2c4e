package bench

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
)

// WriteHTML writes r as a self-contained HTML page: per operation a
// summary table, a latency histogram and a throughput-over-time chart,
// drawn as inline SVG (no script, style sheet or font is fetched), and
// the report's JSON in a <script type="application/json"> element.
func (r *Report) WriteHTML(w io.Writer) error {
	r.Version = ReportVersion
	js, err := json.Marshal(r) // escapes <, > and & for HTML
	if err != nil {
		return err
	}
	type opView struct {
		*OpStats
		Rows      [][2]string
		Histogram template.HTML
		Timeline  template.HTML
	}
	v := struct {
		R       *Report
		Ops     []opView
		Warmup  string
		Started string
		Until   string
		JSON    template.JS
	}{R: r, Warmup: fmtDur(time.Duration(r.Warmup * float64(time.Second))), Started: r.Started.Format(time.RFC3339), JSON: template.JS(js)}
	if len(r.Locked) > 0 {
		v.Until = lockedUntil(r.Locked).Format(time.RFC3339)
	}
	for i := range r.Operations {
		s := &r.Operations[i]
		v.Ops = append(v.Ops, opView{OpStats: s, Rows: summaryRows(s), Histogram: histogramSVG(s), Timeline: timelineSVG(s)})
	}
	return htmlReport.Execute(w, v)
}

// summaryRows is the summary table of one operation.
func summaryRows(s *OpStats) [][2]string {
	l := s.Latency
	rows := [][2]string{
		{"Requests", fmt.Sprintf("%d considered of %d, %d errors", s.Considered, s.Count, s.Errors)},
		{"Window", fmtDur(time.Duration(s.Duration * float64(time.Second)))},
		{"Size", sizeText(s.AvgSize)},
		{"Concurrency", fmt.Sprint(s.Concurrency)},
		{"Latency", fmt.Sprintf("Avg %s · 50%% %s · 90%% %s · 99%% %s · Fastest %s · Slowest %s · StdDev %s",
			fmtMs(l.Avg), fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P99), fmtMs(l.Fastest), fmtMs(l.Slowest), fmtMs(l.StdDev))},
	}
	if t := s.TTFB; t != nil {
		rows = append(rows, [2]string{"TTFB", fmt.Sprintf("Avg %s · Best %s · 25th %s · Median %s · 75th %s · 90th %s · 99th %s · Worst %s · StdDev %s",
			fmtMs(t.Avg), fmtMs(t.Best), fmtMs(t.P25), fmtMs(t.Median), fmtMs(t.P75), fmtMs(t.P90), fmtMs(t.P99), fmtMs(t.Worst), fmtMs(t.StdDev))})
	}
	rows = append(rows, [2]string{"Throughput", fmtRate(s.Throughput)})
	if p := s.PerSecond; p.Seconds > 0 {
		rows = append(rows, [2]string{fmt.Sprintf("Per second (%d × 1s)", p.Seconds),
			fmt.Sprintf("Fastest %s · Median %s · Slowest %s", fmtRate(p.Fastest), fmtRate(p.Median), fmtRate(p.Slowest))})
	}
	for _, e := range s.ErrorSamples {
		rows = append(rows, [2]string{"Error", e})
	}
	return rows
}

// sizeText is an average object size for display, "-" for none.
func sizeText(n int64) string {
	if n == 0 {
		return "-"
	}
	return Size(n).String()
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 720, 260
	padL, padR     = 64, 64
	padT, padB     = 16, 44
)

// histogramSVG draws the latency histogram: log-spaced bins on a log
// time axis, with the 50th and 99th percentiles marked.
func histogramSVG(s *OpStats) template.HTML {
	if len(s.Histogram) == 0 {
		return template.HTML(`<p class="empty">No successful requests in the window.</p>`)
	}
	var b strings.Builder
	openSVG(&b, "Latency histogram of "+s.Operation)
	lo, hi := s.Histogram[0].Lo, s.Histogram[len(s.Histogram)-1].Hi
	if hi <= lo {
		hi = lo * 1.01
	}
	x := func(v float64) float64 {
		return padL + (math.Log(v)-math.Log(lo))/(math.Log(hi)-math.Log(lo))*(chartW-padL-padR)
	}
	top := 0
	for _, bin := range s.Histogram {
		top = max(top, bin.Count)
	}
	y := func(c float64) float64 { return chartH - padB - c/float64(top)*(chartH-padT-padB) }
	for _, bin := range s.Histogram {
		if bin.Count == 0 {
			continue
		}
		x0, x1 := x(bin.Lo), x(bin.Hi)
		if len(s.Histogram) == 1 {
			x0, x1 = padL, chartW-padR
		}
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s – %s: %d</title></rect>`,
			x0, y(float64(bin.Count)), math.Max(x1-x0-1, 1), float64(chartH-padB)-y(float64(bin.Count)), fmtMs(bin.Lo), fmtMs(bin.Hi), bin.Count)
	}
	axes(&b)
	// Time ticks: lo, hi and the powers of ten between.
	ticks := []float64{lo, hi}
	for p := math.Ceil(math.Log10(lo)); math.Pow(10, p) < hi; p++ {
		ticks = append(ticks, math.Pow(10, p))
	}
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			x(t), x(t), chartH-padB, chartH-padB+5, x(t), chartH-padB+18, fmtMs(t))
	}
	for _, m := range []struct {
		name string
		v    float64
	}{{"p50", s.Latency.P50}, {"p99", s.Latency.P99}} {
		if m.v >= lo && m.v <= hi {
			// Labels near the right edge go left of their line.
			tx, anchor := x(m.v)+3, "start"
			if tx > chartW-padR-70 {
				tx, anchor = x(m.v)-3, "end"
			}
			fmt.Fprintf(&b, `<line class="mark" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="marktext" x="%.1f" y="%d" text-anchor="%s">%s %s</text>`,
				x(m.v), x(m.v), padT, chartH-padB, tx, padT+10, anchor, m.name, fmtMs(m.v))
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d">%d</text><text x="%d" y="%d">0</text>`, padL-6, padT+4, top, padL-6, chartH-padB)
	fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="middle">request latency (log scale)</text>`, (chartW+padL-padR)/2, chartH-8)
	fmt.Fprintf(&b, `<text class="label" x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">requests</text>`, chartH/2, chartH/2)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// timelineSVG draws throughput per second over the whole load: MiB/s on
// the left axis (if the operation moves data) and obj/s on the right,
// with the warm-up shaded and seconds with errors marked.
func timelineSVG(s *OpStats) template.HTML {
	if len(s.Timeline) == 0 {
		return template.HTML(`<p class="empty">No timeline.</p>`)
	}
	var b strings.Builder
	openSVG(&b, "Throughput over time of "+s.Operation)
	n := len(s.Timeline)
	x := func(t float64) float64 { return padL + t/float64(n)*(chartW-padL-padR) }
	if s.WarmupEnd > 0 {
		fmt.Fprintf(&b, `<rect class="warmup" x="%d" y="%d" width="%.1f" height="%d"/><text class="label" x="%d" y="%d">warm-up</text>`,
			padL, padT, x(math.Min(s.WarmupEnd, float64(n)))-padL, chartH-padT-padB, padL+4, padT+12)
	}
	var topObj, topMiB float64
	for _, p := range s.Timeline {
		topObj, topMiB = math.Max(topObj, p.ObjPerSec), math.Max(topMiB, p.MiBPerSec)
	}
	axes(&b)
	series := func(class string, top float64, val func(Sample) float64, unit string) {
		if top <= 0 {
			return
		}
		top = niceCeil(top)
		y := func(v float64) float64 { return chartH - padB - v/top*(chartH-padT-padB) }
		var pts []string
		for i, p := range s.Timeline {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(i)+0.5), y(val(p))))
		}
		fmt.Fprintf(&b, `<polyline class="%s" points="%s"/>`, class, strings.Join(pts, " "))
		for i, p := range s.Timeline {
			fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="2.5"><title>%ds: %.2f %s</title></circle>`,
				class, x(float64(i)+0.5), y(val(p)), i, val(p), unit)
		}
		if class == "mib" {
			fmt.Fprintf(&b, `<text class="mib" x="%d" y="%d" text-anchor="end">%.4g</text><text class="mib label" x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">MiB/s</text>`,
				padL-6, padT+4, top, chartH/2, chartH/2)
		} else {
			fmt.Fprintf(&b, `<text class="obj" x="%d" y="%d">%.4g</text><text class="obj label" x="%d" y="%d" transform="rotate(90 %d %d)" text-anchor="middle">obj/s</text>`,
				chartW-padR+6, padT+4, top, chartW-14, chartH/2, chartW-14, chartH/2)
		}
	}
	series("mib", topMiB, func(p Sample) float64 { return p.MiBPerSec }, "MiB/s")
	series("obj", topObj, func(p Sample) float64 { return p.ObjPerSec }, "obj/s")
	for i, p := range s.Timeline {
		if p.Errors > 0 {
			fmt.Fprintf(&b, `<rect class="err" x="%.1f" y="%d" width="%.1f" height="6"><title>%ds: %d errors</title></rect>`,
				x(float64(i)), chartH-padB-6, x(1)-padL, i, p.Errors)
		}
	}
	step := max(1, n/12)
	for i := 0; i <= n; i += step {
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text x="%.1f" y="%d" text-anchor="middle">%ds</text>`,
			x(float64(i)), x(float64(i)), chartH-padB, chartH-padB+5, x(float64(i)), chartH-padB+18, i)
	}
	fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="middle">time since the load began (1 s samples)</text>`, (chartW+padL-padR)/2, chartH-8)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// openSVG starts an accessible SVG chart.
func openSVG(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`,
		chartW, chartH, template.HTMLEscapeString(title), template.HTMLEscapeString(title))
}

// axes draws the x and y axes.
func axes(b *strings.Builder) {
	fmt.Fprintf(b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/><line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`,
		padL, chartW-padR, chartH-padB, chartH-padB, padL, padL, padT, chartH-padB)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wormstore bench {{.R.Workload}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; } h3 { font-size: 1em; color: #555; }
table { border-collapse: collapse; } td, th { text-align: left; padding: .2em .8em .2em 0; vertical-align: top; } th { color: #555; font-weight: 600; white-space: nowrap; }
svg { width: 100%; max-width: 720px; height: auto; font-size: 11px; fill: #333; }
.bar { fill: #4e79a7; } .axis, .tick { stroke: #666; } .mark { stroke: #e15759; stroke-dasharray: 4 3; } .marktext { fill: #e15759; }
polyline.mib { fill: none; stroke: #4e79a7; stroke-width: 2; } circle.mib { fill: #4e79a7; } text.mib { fill: #4e79a7; }
polyline.obj { fill: none; stroke: #f28e2b; stroke-width: 2; } circle.obj { fill: #f28e2b; } text.obj { fill: #f28e2b; }
.warmup { fill: #eee; } .err { fill: #e15759; } .label { fill: #666; } .empty { color: #888; }
.warn { background: #fff4e5; padding: .5em 1em; border-left: 4px solid #f28e2b; }
code { font-size: .95em; }
</style>
</head>
<body>
<h1>wormstore bench <code>{{.R.Workload}}</code></h1>
<table>
<tr><th>Endpoint</th><td>{{.R.Endpoint}}{{if .R.Embedded}} (embedded server in the same process){{end}}</td></tr>
<tr><th>Bucket / prefix</th><td>{{.R.Bucket}} / {{.R.Prefix}}</td></tr>
<tr><th>Started</th><td>{{.Started}}; warm-up {{.Warmup}} excluded</td></tr>
<tr><th>Concurrency</th><td>{{.R.Concurrency}}</td></tr>
<tr><th>Client machine</th><td>{{.R.Machine.CPUs}} CPUs (GOMAXPROCS {{.R.Machine.GOMAXPROCS}}), {{.R.Machine.GOOS}}/{{.R.Machine.GOARCH}}, {{.R.Machine.GoVersion}}</td></tr>
</table>
{{if .R.Interrupted}}<p class="warn">Interrupted: the figures cover the part that ran.</p>{{end}}
{{range .Ops}}
<section>
<h2>{{.Operation}}</h2>
<table>{{range .Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
<h3>Latency histogram</h3>
{{.Histogram}}
<h3>Throughput over time</h3>
{{.Timeline}}
</section>
{{else}}<p class="empty">No operations ran.</p>{{end}}
<h2>Clean-up</h2>
<p>Deleted {{.R.Cleanup.DeletedVersions}} version(s){{if .R.Cleanup.AbortedUploads}}, aborted {{.R.Cleanup.AbortedUploads}} upload(s){{end}}{{if .R.Cleanup.BucketDeleted}}, deleted the bucket{{end}}.</p>
{{range .R.Cleanup.Errors}}<p class="warn">{{.}}</p>{{end}}
{{if .R.Locked}}<p class="warn">{{len .R.Locked}} version(s) left under a lock, retained until {{.Until}} at the latest.</p>
<table><tr><th>Key</th><th>Version</th><th>Mode</th><th>Retain until</th><th>Legal hold</th></tr>
{{range .R.Locked}}<tr><td>{{.Key}}</td><td>{{.VersionID}}</td><td>{{.Mode}}</td><td>{{if not .RetainUntil.IsZero}}{{.RetainUntil.Format "2006-01-02T15:04:05Z07:00"}}{{end}}</td><td>{{if .LegalHold}}ON{{end}}</td></tr>
{{end}}</table>{{end}}
<script type="application/json" id="report">{{.JSON}}</script>
</body>
</html>
`))
