// The dashboard page: one self-contained HTML document (styles and script inline, no network but its own server's events).
import { DASHBOARD_SCRIPT } from './page_script.js';

export { DASHBOARD_SCRIPT };

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
header { background: #fff; border-bottom: 1px solid #d0d7de; padding: .6rem 1.2rem; display: flex; flex-wrap: wrap; gap: .6rem 1.5rem; align-items: center; position: sticky; top: 0; z-index: 2; }
header h1 { font-size: 1.15rem; margin: 0; }
header label { color: #57606a; }
#connection { color: #57606a; font-size: .9em; }
body[data-connection="live"] #connection { color: #1a7f37; }
main { padding: .5rem 1.2rem 2rem; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
#runs { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
.run i { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .35em; vertical-align: -1px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: .8rem; }
.chart { position: relative; margin: 0; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem .5rem .2rem; }
.chart figcaption { font-weight: 600; font-size: .9rem; margin-bottom: .2rem; }
.chart canvas { width: 100%; height: 220px; display: block; }
.legend { display: flex; flex-wrap: wrap; gap: .1rem .9rem; font-size: 12px; color: #57606a; padding: .15rem 0 .1rem; }
.legend i { display: inline-block; width: 1.4em; margin-right: .3em; vertical-align: middle; }
.tip { display: none; position: absolute; top: 2rem; background: rgba(255,255,255,.95); border: 1px solid #d0d7de; border-radius: 4px; padding: .25rem .45rem; font-size: 12px; pointer-events: none; white-space: nowrap; z-index: 1; }
.finding { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: .3rem .8rem; margin: .4rem 0; }
.finding.error { background: #ffebe9; border-color: #ff8182; }
.finding h3 { font-size: .95rem; margin: .2rem 0; }
.finding p { margin: .2rem 0; }
.ok { color: #1a7f37; margin: .3rem 0; }
.muted { color: #57606a; }
#config { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: .8rem; }
.runconfig { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .3rem .8rem; }
.runconfig h3 { font-size: .95rem; margin: .3rem 0; }
pre { font-size: 12px; background: #f6f8fa; padding: .4rem .6rem; border-radius: 4px; overflow: auto; max-height: 22rem; }
`;

/** The page the server sends for `/`. */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nabla dashboard</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body data-connection="connecting">
<header>
  <h1>nabla dashboard</h1>
  <div id="runs"></div>
  <label>smoothing <input id="smoothing" type="range" min="0" max="0.99" step="0.01" value="0.6"> <span id="smoothing-value">0.60</span></label>
  <label>x axis <select id="xaxis"><option value="step">step</option><option value="time">wall time</option></select></label>
  <span id="connection">connecting</span>
</header>
<main>
  <h2>Scalars</h2>
  <div id="scalars" class="grid"></div>
  <h2>Layers</h2>
  <p id="layers-empty" class="muted">No per-layer statistics: they are recorded when training runs with --dashboard (or --diagnose).</p>
  <div id="layers" class="grid"></div>
  <div id="histograms" class="grid"></div>
  <h2>Gradient health</h2>
  <div id="findings"></div>
  <h2>Config and model</h2>
  <div id="config"></div>
</main>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
