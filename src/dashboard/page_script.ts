// The dashboard page's script, as a string (plain browser JavaScript, no imports, no network but its own server): canvas charts fed by server-sent events.
// NOTE: a string so that the page is one self-contained asset in dist/ without a bundler step;
// the browser test (test/dashboard/browser.test.ts) runs it in Chromium with its console watched.
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3]];
  var MAX_POINTS = 1000;
  var TAG_ORDER = ['train/loss', 'val/loss', 'train/accuracy', 'val/accuracy', 'epoch/train_loss', 'epoch/train_accuracy', 'lr', 'samples/s'];
  var STATS = [
    ['gradNorm', 'Gradient norm per layer'],
    ['weightNorm', 'Weight norm per layer'],
    ['updateRatio', 'Update / weight ratio per layer'],
  ];
  var S = { runs: [], smoothing: 0.6, x: 'step', charts: {}, dirty: false };

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return 'NaN';
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return Number(v.toPrecision(4)).toExponential();
    return String(Number(v.toPrecision(4)));
  }

  // Live points beyond 2·MAX_POINTS are thinned to every other one (the latest kept); the
  // server's snapshot is already at most MAX_POINTS per series.
  function append(list, p) {
    list.push(p);
    if (list.length > 2 * MAX_POINTS) {
      var last = list[list.length - 1];
      var kept = list.filter(function (_, i) { return i % 2 === 0; });
      if (kept[kept.length - 1] !== last) kept.push(last);
      list.length = 0;
      Array.prototype.push.apply(list, kept);
    }
  }
  function ingest(run, e) {
    if (run.startTime === null) run.startTime = e.time;
    run.step = e.step;
    if (e.type === 'start') {
      run.start = e;
      run.end = null;
    } else if (e.type === 'scalars') {
      Object.keys(e.values).forEach(function (tag) {
        append(run.scalars[tag] || (run.scalars[tag] = []), [e.step, e.time, e.values[tag]]);
      });
    } else if (e.type === 'layers') {
      Object.keys(e.layers).forEach(function (layer) {
        STATS.forEach(function (s) {
          var v = e.layers[layer][s[0]];
          if (v === undefined) return;
          var m = run.layers[s[0]];
          append(m[layer] || (m[layer] = []), [e.step, e.time, v]);
        });
      });
    } else if (e.type === 'histogram') {
      var h = run.histograms[e.layer] || (run.histograms[e.layer] = []);
      h.push({ step: e.step, time: e.time, min: e.min, max: e.max, counts: e.counts });
      if (h.length > 200) h.splice(0, h.length - 200);
    } else if (e.type === 'findings') {
      run.findings = e.findings;
    } else if (e.type === 'end') {
      run.end = e;
    }
  }

  // TensorBoard's smoothing: an exponential moving average, debiased at the start.
  function smooth(points, w) {
    var last = 0, n = 0, out = new Array(points.length);
    for (var i = 0; i < points.length; i++) {
      var v = points[i][2];
      if (v === null || !isFinite(v)) { out[i] = v; continue; }
      last = last * w + (1 - w) * v;
      n++;
      out[i] = w === 0 ? v : last / (1 - Math.pow(w, n));
    }
    return out;
  }
  function xOf(run, p) { return S.x === 'step' ? p[0] : p[1] - (run.startTime || p[1]); }
  function ticks(lo, hi, n) {
    if (!(hi > lo)) return [lo];
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
    return out;
  }

  // A chart: a figure with a title, a canvas and a hover box; series are
  // {label, color, dash, run, points}. data-points on the figure counts the points drawn.
  function chart(parent, id, title, opts) {
    var c = S.charts[id];
    if (c) return c;
    var canvas = el('canvas', { height: '220' });
    var tip = el('div', { class: 'tip' });
    var legend = el('div', { class: 'legend' });
    var fig = el('figure', { class: 'chart', 'data-chart': id, 'data-points': '0' }, [el('figcaption', { text: title }), canvas, legend, tip]);
    parent.appendChild(fig);
    c = { fig: fig, canvas: canvas, tip: tip, legend: legend, legendKey: '', series: [], log: !!(opts && opts.log), raw: !!(opts && opts.raw), hover: null };
    canvas.addEventListener('mousemove', function (ev) { var r = canvas.getBoundingClientRect(); c.hover = ev.clientX - r.left; draw(c); });
    canvas.addEventListener('mouseleave', function () { c.hover = null; draw(c); });
    S.charts[id] = c;
    return c;
  }
  function draw(c) {
    var canvas = c.canvas, dpr = window.devicePixelRatio || 1;
    var W = canvas.clientWidth || 400, H = 220;
    if (canvas.width !== Math.round(W * dpr)) { canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr); }
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    var L = 58, R = 10, T = 8, B = 26;
    var xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity, count = 0;
    c.series.forEach(function (s) {
      s.points.forEach(function (p) {
        var x = xOf(s.run, p), y = p[2];
        if (x < xlo) xlo = x;
        if (x > xhi) xhi = x;
        if (y === null || !isFinite(y) || (c.log && y <= 0)) return;
        if (y < ylo) ylo = y;
        if (y > yhi) yhi = y;
      });
    });
    if (!(xhi >= xlo) || !(yhi >= ylo)) { c.fig.setAttribute('data-points', '0'); g.fillStyle = '#888'; g.fillText('no data yet', L, T + 20); return; }
    if (xhi === xlo) { xhi += 1; xlo -= 1; }
    var fy = c.log ? function (v) { return Math.log10(v); } : function (v) { return v; };
    var lo = fy(ylo), hi = fy(yhi);
    if (hi === lo) { hi += c.log ? 0.5 : Math.abs(hi) * 0.1 || 1; lo -= c.log ? 0.5 : Math.abs(lo) * 0.1 || 1; }
    var pad = (hi - lo) * 0.05; lo -= pad; hi += pad;
    var px = function (x) { return L + (x - xlo) / (xhi - xlo) * (W - L - R); };
    var py = function (v) { return T + (hi - fy(v)) / (hi - lo) * (H - T - B); };
    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#e5e7eb'; g.fillStyle = '#57606a'; g.lineWidth = 1;
    var yt = c.log ? ticks(Math.ceil(lo), Math.floor(hi), 5).filter(function (t) { return t === Math.round(t); }).map(function (t) { return Math.pow(10, t); }) : ticks(lo, hi, 5);
    yt.forEach(function (t) {
      var y = py(t); g.beginPath(); g.moveTo(L, y); g.lineTo(W - R, y); g.stroke();
      g.textAlign = 'right'; g.fillText(fmt(t), L - 4, y + 4);
    });
    ticks(xlo, xhi, 6).forEach(function (t) {
      var x = px(t); g.beginPath(); g.moveTo(x, T); g.lineTo(x, H - B); g.stroke();
      g.textAlign = 'center'; g.fillText(fmt(t), x, H - B + 14);
    });
    g.textAlign = 'right'; g.fillText(S.x === 'step' ? 'step' : 'seconds', W - R, H - 2);
    var smoothing = c.raw ? 0 : S.smoothing;
    drawLegend(c);
    c.series.forEach(function (s) {
      var sm = smooth(s.points, smoothing);
      [[s.points.map(function (p) { return p[2]; }), 0.25], [sm, 1]].forEach(function (pass) {
        if (pass[1] < 1 && smoothing === 0) return;
        g.strokeStyle = s.color; g.globalAlpha = pass[1]; g.setLineDash(s.dash); g.lineWidth = pass[1] < 1 ? 1 : 1.6;
        g.beginPath();
        var pen = false;
        s.points.forEach(function (p, i) {
          var v = pass[0][i];
          if (v === null || !isFinite(v) || (c.log && v <= 0)) { pen = false; return; }
          var x = px(xOf(s.run, p)), y = py(v);
          if (pen) g.lineTo(x, y); else g.moveTo(x, y);
          pen = true;
        });
        if (s.points.length === 1 && pen) g.arc(px(xOf(s.run, s.points[0])), py(pass[0][0]), 2, 0, 7);
        g.stroke();
      });
      g.globalAlpha = 1; g.setLineDash([]);
      count += s.points.length;
    });
    c.fig.setAttribute('data-points', String(count));
    c.tip.style.display = 'none';
    if (c.hover === null || c.hover < L) return;
    var xv = xlo + (c.hover - L) / (W - L - R) * (xhi - xlo);
    var lines = [];
    g.strokeStyle = '#999'; g.beginPath(); g.moveTo(c.hover, T); g.lineTo(c.hover, H - B); g.stroke();
    c.series.forEach(function (s) {
      if (s.points.length === 0) return;
      var best = 0, bd = Infinity;
      s.points.forEach(function (p, i) { var d = Math.abs(xOf(s.run, p) - xv); if (d < bd) { bd = d; best = i; } });
      var p = s.points[best], sm = smooth(s.points, smoothing)[best];
      lines.push([s.color, s.label + '  step ' + p[0] + ': ' + fmt(p[2]) + (smoothing > 0 ? '  (smoothed ' + fmt(sm) + ')' : '')]);
    });
    c.tip.textContent = '';
    lines.slice(0, 12).forEach(function (l) { c.tip.appendChild(el('div', { text: l[1], style: 'color:' + l[0] })); });
    c.tip.style.display = 'block';
    c.tip.style.left = Math.min(c.hover + 12, W - 260) + 'px';
  }

  // The series' labels under a chart with more than one series (redrawn when they change).
  function drawLegend(c) {
    var key = c.series.map(function (s) { return s.label + s.color + s.dash.join(); }).join('|');
    if (key === c.legendKey) return;
    c.legendKey = key;
    c.legend.textContent = '';
    if (c.series.length < 2) return;
    c.series.forEach(function (s) {
      var line = el('i', { style: 'border-top: 2px ' + (s.dash.length ? 'dashed ' : 'solid ') + s.color });
      c.legend.appendChild(el('span', {}, [line, el('span', { text: s.label })]));
    });
  }

  function heatmap(parent, id, title, hists) {
    var c = chart(parent, id, title, {});
    var canvas = c.canvas, dpr = window.devicePixelRatio || 1;
    var W = canvas.clientWidth || 400, H = 220, L = 58, B = 26, T = 8, R = 10;
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    if (hists.length === 0) return;
    var lo = Math.min.apply(null, hists.map(function (h) { return h.min; }));
    var hi = Math.max.apply(null, hists.map(function (h) { return h.max; }));
    if (!(hi > lo)) hi = lo + 1;
    var cw = (W - L - R) / hists.length;
    var py = function (v) { return T + (hi - v) / (hi - lo) * (H - T - B); };
    hists.forEach(function (h, i) {
      var top = Math.max.apply(null, h.counts) || 1, bw = (h.max - h.min) / h.counts.length;
      h.counts.forEach(function (n, b) {
        if (n === 0) return;
        var y0 = py(h.min + (b + 1) * bw), y1 = py(h.min + b * bw);
        g.fillStyle = 'rgba(31,119,180,' + (0.15 + 0.85 * n / top).toFixed(3) + ')';
        g.fillRect(L + i * cw, y0, Math.max(1, cw - 0.5), Math.max(1, y1 - y0));
      });
    });
    g.font = '11px system-ui, sans-serif'; g.fillStyle = '#57606a'; g.textAlign = 'right';
    ticks(lo, hi, 4).forEach(function (t) { g.fillText(fmt(t), L - 4, py(t) + 4); });
    g.textAlign = 'left'; g.fillText('step ' + hists[0].step, L, H - B + 14);
    g.textAlign = 'right'; g.fillText('step ' + hists[hists.length - 1].step, W - R, H - B + 14);
    c.fig.setAttribute('data-points', String(hists.length));
  }

  function sortedTags() {
    var seen = {};
    S.runs.forEach(function (r) { Object.keys(r.scalars).forEach(function (t) { seen[t] = 1; }); });
    delete seen.epoch;
    return Object.keys(seen).sort(function (a, b) {
      var i = TAG_ORDER.indexOf(a), j = TAG_ORDER.indexOf(b);
      return (i < 0 ? 99 : i) - (j < 0 ? 99 : j) || (a < b ? -1 : 1);
    });
  }
  function runColor(i) { return COLORS[i % COLORS.length]; }

  function renderRuns() {
    var box = $('runs');
    box.textContent = '';
    S.runs.forEach(function (r, i) {
      var total = r.start ? r.start.totalSteps : 0;
      var status = r.end ? r.end.status : 'training';
      var acc = r.end && r.end.testAccuracy !== undefined && r.end.testAccuracy !== null ? ', test accuracy ' + (100 * r.end.testAccuracy).toFixed(2) + '%' : '';
      box.appendChild(el('span', { class: 'run', 'data-status': status }, [
        el('i', { style: 'background:' + runColor(i) }),
        el('b', { text: r.name }),
        el('span', { text: ' ' + status + ', step ' + r.step + (total ? ' / ' + total : '') + acc }),
      ]));
    });
  }

  function render() {
    S.dirty = false;
    renderRuns();
    var scalars = $('scalars');
    sortedTags().forEach(function (tag) {
      // Per-epoch values and the learning rate are drawn as they are, never smoothed.
      var c = chart(scalars, 'scalar:' + tag, tag, { raw: tag === 'lr' || /^(val|epoch)\//.test(tag) });
      c.series = S.runs.map(function (r, i) {
        return { label: r.name, color: runColor(i), dash: [], run: r, points: r.scalars[tag] || [] };
      });
      draw(c);
    });
    var layers = $('layers');
    STATS.forEach(function (s) {
      var series = [];
      S.runs.forEach(function (r, i) {
        Object.keys(r.layers[s[0]]).forEach(function (layer, j) {
          series.push({ label: (S.runs.length > 1 ? r.name + ' · ' : '') + layer, color: COLORS[j % COLORS.length], dash: DASHES[i % DASHES.length], run: r, points: r.layers[s[0]][layer] });
        });
      });
      if (series.length === 0) return;
      var c = chart(layers, 'layers:' + s[0], s[1] + ' (log scale)', { log: true });
      c.series = series;
      draw(c);
    });
    var hist = $('histograms');
    S.runs.forEach(function (r) {
      Object.keys(r.histograms).forEach(function (layer) {
        heatmap(hist, 'histogram:' + r.name + ':' + layer, (S.runs.length > 1 ? r.name + ' · ' : '') + layer + ' weights over steps', r.histograms[layer]);
      });
    });
    $('layers-empty').style.display = Object.keys(S.charts).some(function (k) { return k.indexOf('layers:') === 0; }) ? 'none' : 'block';
    renderFindings();
    renderConfig();
  }

  function renderFindings() {
    var box = $('findings');
    box.textContent = '';
    S.runs.forEach(function (r) {
      var fs = r.findings || [];
      var head = S.runs.length > 1 ? r.name + ': ' : '';
      if (fs.length === 0) {
        box.appendChild(el('p', { class: 'ok', text: head + (r.layers.gradNorm && Object.keys(r.layers.gradNorm).length ? (r.end ? 'no problem found' : 'no problem found so far') : 'no health records (train with --dashboard or --diagnose)') }));
        return;
      }
      fs.forEach(function (f) {
        box.appendChild(el('div', { class: 'finding ' + f.severity }, [
          el('h3', { text: head + f.title }),
          el('p', { text: f.message }),
          el('ul', {}, f.remedies.map(function (m) { return el('li', { text: m }); })),
        ]));
      });
    });
  }

  function renderConfig() {
    var box = $('config');
    if (box.getAttribute('data-runs') === String(S.runs.length) + S.runs.map(function (r) { return r.start ? 1 : 0; }).join('')) return;
    box.setAttribute('data-runs', String(S.runs.length) + S.runs.map(function (r) { return r.start ? 1 : 0; }).join(''));
    box.textContent = '';
    S.runs.forEach(function (r) {
      var st = r.start || {};
      var kids = [el('h3', { text: r.name })];
      if (st.config) kids.push(el('pre', { text: JSON.stringify(st.config, null, 2) }));
      if (st.data) kids.push(el('pre', { text: 'data: ' + JSON.stringify(st.data) }));
      if (st.model) kids.push(el('pre', { text: st.model.summary + '\n\n' + st.model.parameters.toLocaleString('en-US') + ' parameters' }));
      box.appendChild(el('div', { class: 'runconfig' }, kids));
    });
  }

  function schedule() {
    if (S.dirty) return;
    S.dirty = true;
    requestAnimationFrame(render);
  }
  function setConnection(s) {
    document.body.setAttribute('data-connection', s);
    $('connection').textContent = s;
  }

  $('smoothing').addEventListener('input', function (ev) {
    S.smoothing = Number(ev.target.value);
    $('smoothing-value').textContent = S.smoothing.toFixed(2);
    schedule();
  });
  $('xaxis').addEventListener('change', function (ev) { S.x = ev.target.value; schedule(); });
  window.addEventListener('resize', schedule);

  var source = new EventSource('/api/events');
  source.addEventListener('snapshot', function (m) {
    S.runs = JSON.parse(m.data).runs;
    setConnection('live');
    schedule();
  });
  source.addEventListener('run', function (m) {
    var d = JSON.parse(m.data);
    S.runs[d.index] = d.run;
    schedule();
  });
  source.addEventListener('events', function (m) {
    var d = JSON.parse(m.data), run = S.runs[d.index];
    if (!run) return;
    d.events.forEach(function (e) { ingest(run, e); });
    schedule();
  });
  source.addEventListener('bye', function () {
    source.close();
    setConnection('server stopped');
  });
  source.onerror = function () { if (source.readyState !== 2) setConnection('reconnecting'); };
})();
`;
