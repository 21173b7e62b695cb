/* simex live dashboard. No build step, no CDN: uPlot is served from node_modules by the
 * server (/dashboard/uplot.min.js). Data sources:
 *   - GET /api/metrics/history : backfill (one FeedPoint per second, oldest first)
 *   - WebSocket cfg.feedPath, topic "metrics": one FeedPoint per second (live)
 *     fallback when the feed is unavailable: GET /api/metrics/live every second
 *   - GET /health and GET /api/simulation every 3 s
 * A FeedPoint's fields are documented in src/metrics/hub.ts (FeedPoint). */
(function () {
  'use strict';
  var cfg = window.SIMEX_DASHBOARD || { feedPath: '/ws/feed', subscribeTemplate: { op: 'subscribe' }, topicsField: 'topics' };
  var MAX_POINTS = 300;
  var $ = function (id) { return document.getElementById(id); };

  // ------------------------------------------------------------------ formatting
  function fmt(v, d) { return v === null || v === undefined || !isFinite(v) ? '–' : Number(v).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }); }
  function fmtUs(v) {
    if (v === null || v === undefined) return '–';
    if (v >= 1000) return fmt(v / 1000, 2) + ' ms';
    return fmt(v, v < 10 ? 2 : 1) + ' µs';
  }
  function fmtInt(v) { return v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'); }
  function fmtDur(s) {
    if (s === null || s === undefined) return '–';
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
    return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + sec + 's';
  }
  function priceDecimals(p) { return p >= 10 ? 2 : 4; }
  function qtyDecimals(p) { return p >= 10000 ? 4 : p >= 100 ? 3 : 0; }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function cls(el, name) { el.className = name; }

  // ------------------------------------------------------------------ charts
  var series = { t: [], o1: [], ops: [], t1: [], tps: [], a50: [], a90: [], a99: [], amax: [], e50: [], e99: [], emax: [], err: [], eld: [] };
  function compact(v) {
    if (v === null || v === undefined) return '';
    var a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toPrecision(3) + 'M';
    if (a >= 1e3) return +(v / 1e3).toPrecision(3) + 'k';
    return +v.toPrecision(3) + '';
  }
  function axis(label) {
    return { stroke: '#7d879c', grid: { stroke: '#1c2436', width: 1 }, ticks: { stroke: '#1c2436', width: 1 }, label: label, labelSize: label ? 18 : 0, size: 52, font: '11px system-ui', labelFont: '11px system-ui' };
  }
  function yaxis() {
    var a = axis();
    a.values = function (u, vals) { return vals.map(compact); };
    return a;
  }
  function line(label, color, width, dash) {
    return { label: label, stroke: color, width: width || 1.5, dash: dash, points: { show: false }, value: function (u, v) { return v === null ? '–' : fmt(v, v < 10 ? 2 : 1); } };
  }
  var charts = {};
  function makeChart(id, seriesDefs, opts) {
    var el = $(id);
    var o = {
      width: el.clientWidth || 600,
      height: 200,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: Object.assign({ x: { time: true } }, opts && opts.scales),
      axes: [axis()].concat(opts && opts.axes ? opts.axes : [yaxis()]),
      series: [{ value: function (u, v) { return v ? new Date(v * 1000).toLocaleTimeString() : '–'; } }].concat(seriesDefs),
    };
    var data = [[]].concat(seriesDefs.map(function () { return []; }));
    charts[id] = new uPlot(o, data, el);
  }
  function initCharts() {
    makeChart('c-rate', [line('orders/s', '#5ab0ff', 1.2), line('orders/s (10 s avg)', '#5ab0ff', 2.2, [6, 3]), line('trades/s', '#2fd47e', 1.2), line('trades/s (10 s avg)', '#2fd47e', 2.2, [6, 3])]);
    makeChart('c-ack', [line('p50', '#5ab0ff'), line('p90', '#b48cff'), line('p99', '#ffb84d', 2), line('max', '#ff5d6c', 1, [3, 3])], { scales: { y: { distr: 3 } } });
    makeChart('c-eng', [line('p50', '#5ab0ff'), line('p99', '#ffb84d', 2), line('max', '#ff5d6c', 1, [3, 3])], { scales: { y: { distr: 3 } } });
    makeChart('c-err', [line('error rate %', '#ff5d6c', 2), Object.assign(line('event loop p99 ms', '#b48cff', 1.5), { scale: 'ms' })], {
      scales: { ms: {} },
      axes: [yaxis(), Object.assign(yaxis(), { scale: 'ms', side: 1, grid: { show: false } })],
    });
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (id) { charts[id].setSize({ width: $(id).clientWidth, height: 200 }); });
    });
  }
  function pos(v) { return v === null || v === undefined || v <= 0 ? null : v; }
  function pushPoint(p) {
    var t = p.ts / 1000;
    var n = series.t.length;
    if (n && t <= series.t[n - 1]) return false; // duplicate or out of order
    series.t.push(t);
    series.o1.push(p.orders_1s); series.ops.push(p.orders_per_sec);
    series.t1.push(p.trades_1s); series.tps.push(p.trades_per_sec);
    series.a50.push(pos(p.ack.p50_us)); series.a90.push(pos(p.ack.p90_us)); series.a99.push(pos(p.ack.p99_us)); series.amax.push(pos(p.ack.max_us));
    series.e50.push(pos(p.engine.p50_us)); series.e99.push(pos(p.engine.p99_us)); series.emax.push(pos(p.engine.max_us));
    series.err.push(p.error_rate); series.eld.push(p.event_loop ? p.event_loop.p99_ms : null);
    if (series.t.length > MAX_POINTS) Object.keys(series).forEach(function (k) { series[k].shift(); });
    return true;
  }
  function redraw() {
    if (!charts['c-rate']) return;
    charts['c-rate'].setData([series.t, series.o1, series.ops, series.t1, series.tps]);
    charts['c-ack'].setData([series.t, series.a50, series.a90, series.a99, series.amax]);
    charts['c-eng'].setData([series.t, series.e50, series.e99, series.emax]);
    charts['c-err'].setData([series.t, series.err, series.eld]);
  }

  // ------------------------------------------------------------------ panels
  function sloClass(el, v, ok, warn) { cls(el, 'v' + (v === null || v === undefined ? '' : v <= ok ? ' ok' : v <= warn ? ' warn' : ' bad')); }
  function renderKpis(p) {
    $('k-orders').textContent = fmt(p.orders_per_sec, 1);
    $('k-orders-s').textContent = 'last 1 s: ' + fmtInt(p.orders_1s) + ' · ' + p.rate_window_s + ' s avg';
    $('k-trades').textContent = fmt(p.trades_per_sec, 1);
    $('k-trades-s').textContent = 'last 1 s: ' + fmtInt(p.trades_1s);
    $('k-ack').textContent = fmtUs(p.ack.p99_us);
    sloClass($('k-ack'), p.ack.p99_us, 500, 1000);
    $('k-ack-s').textContent = 'p50 ' + fmtUs(p.ack.p50_us) + ' · n=' + fmtInt(p.ack.count);
    $('k-eng').textContent = fmtUs(p.engine.p99_us);
    sloClass($('k-eng'), p.engine.p99_us, 25, 50);
    $('k-eng-s').textContent = 'p50 ' + fmtUs(p.engine.p50_us) + ' · n=' + fmtInt(p.engine.count);
    $('k-err').textContent = fmt(p.error_rate, 2) + ' %';
    sloClass($('k-err'), p.error_rate, 1, 5);
    $('k-err-s').textContent = fmtInt(p.error_count) + ' rejected/failed total';
    $('k-ocount').textContent = fmtInt(p.order_count);
    $('k-tcount').textContent = fmtInt(p.trade_count) + ' trades';
    var conns = p.connections || {};
    var total = Object.keys(conns).reduce(function (a, k) { return a + conns[k]; }, 0);
    $('k-conn').textContent = fmtInt(total);
    var drops = p.drops_total || {};
    $('k-drops').textContent = Object.keys(conns).map(function (k) { return k + ' ' + conns[k]; }).join(' · ') +
      (Object.keys(drops).length ? ' · drops ' + Object.keys(drops).map(function (k) { return k + ' ' + drops[k]; }).join(' ') : '');
    $('k-eld').textContent = p.event_loop ? fmt(p.event_loop.p99_ms, 2) + ' ms' : '–';
    if (p.event_loop) sloClass($('k-eld'), p.event_loop.p99_ms, 20, 50);
    $('k-eld-s').textContent = p.event_loop ? 'max ' + fmt(p.event_loop.max_ms, 1) + ' ms' : '';
    $('uptime').textContent = fmtDur(p.uptime_s);
  }
  function renderShards(p) {
    var body = document.querySelector('#shards tbody');
    if (!p.shards || !p.shards.length) { body.innerHTML = '<tr><td colspan="6" class="empty">no shard has reported yet</td></tr>'; return; }
    body.innerHTML = p.shards.map(function (s) {
      var g = s.gauges || {};
      var rings = ['in_ring_bytes', 'out_ring_bytes'].filter(function (k) { return k in g; }).map(function (k) { return k.split('_')[0] + ' ' + fmtInt(g[k]) + ' B'; }).join(' · ');
      return '<tr><td>' + esc(s.id) + '</td><td><span class="dot ' + (s.up ? 'up' : 'down') + '"></span>' + (s.up ? 'up' : 'down') + '</td><td>' + fmt(s.commands_per_sec, 1) + '</td><td>' + fmtInt(s.commands_total) +
        '</td><td>' + (s.age_s === null ? 'never' : fmt(s.age_s, 1) + ' s') + '</td><td>' + (rings || '–') + '</td></tr>';
    }).join('');
  }
  var bookEls = {};
  function bookCard(sym) {
    if (bookEls[sym]) return bookEls[sym];
    var card = document.createElement('div');
    card.className = 'card book';
    card.setAttribute('data-symbol', sym);
    card.innerHTML = '<div class="book-head"><span class="sym">' + esc(sym) + '</span><span class="px" data-f="last">–</span></div>' +
      '<div class="book-meta"><span data-f="spread"></span><span data-f="depth"></span><span data-f="stats"></span></div>' +
      '<div class="book-body"><table class="ladder"><thead><tr><th>price</th><th>qty</th><th>ord</th><th></th></tr></thead><tbody data-f="ladder"></tbody></table>' +
      '<table class="tape"><thead><tr><th>time</th><th>price</th><th>qty</th></tr></thead><tbody data-f="tape"></tbody></table></div>';
    $('books').appendChild(card);
    var f = function (n) { return card.querySelector('[data-f="' + n + '"]'); };
    bookEls[sym] = { card: card, last: f('last'), spread: f('spread'), depth: f('depth'), stats: f('stats'), ladder: f('ladder'), tape: f('tape'), prev: null };
    return bookEls[sym];
  }
  function renderBooks(p) {
    var syms = Object.keys(p.symbols || {}).filter(function (s) { return s !== 'other'; });
    syms.forEach(function (sym) {
      var e = bookCard(sym);
      var b = (p.books || {})[sym];
      var st = p.symbols[sym];
      var ref = (b && (b.mid || b.best_bid || b.best_ask)) || st.last_price || st.avg_price || 1;
      var pd = priceDecimals(ref), qd = qtyDecimals(ref);
      var last = st.last_price;
      e.last.textContent = last === null ? '–' : fmt(last, pd);
      e.last.style.color = e.prev === null || last === e.prev ? '' : last > e.prev ? 'var(--green)' : 'var(--red)';
      e.prev = last;
      e.stats.textContent = fmtInt(st.order_count) + ' orders · ' + fmtInt(st.trade_count) + ' trades · vol ' + fmt(st.volume, qd) + (st.avg_price ? ' · vwap ' + fmt(st.avg_price, pd) : '');
      if (!b) {
        e.spread.textContent = 'no book sample yet';
        e.depth.textContent = '';
        e.ladder.innerHTML = '<tr><td colspan="4" class="empty">waiting for the shard</td></tr>';
      } else {
        e.spread.textContent = 'spread ' + (b.spread === null ? '–' : fmt(b.spread, pd)) + (b.spread !== null && b.mid ? ' (' + fmt((b.spread / b.mid) * 10000, 1) + ' bp)' : '');
        e.depth.textContent = 'depth ' + fmt(b.bid_depth, qd) + ' / ' + fmt(b.ask_depth, qd) + ' · ' + b.bid_levels + '×' + b.ask_levels + ' lvls';
        var N = 8;
        var asks = b.asks.slice(0, N).reverse(), bids = b.bids.slice(0, N);
        var max = Math.max.apply(null, asks.concat(bids).map(function (l) { return l[1]; }).concat([1e-12]));
        var row = function (side) { return function (l) { return '<tr class="' + side + '"><td class="p">' + fmt(l[0], pd) + '</td><td>' + fmt(l[1], qd) + '</td><td>' + l[2] + '</td><td class="bar"><span style="width:' + Math.max(2, (l[1] / max) * 100).toFixed(1) + '%"></span></td></tr>'; }; };
        e.ladder.innerHTML = (asks.length ? asks.map(row('ask')).join('') : '<tr><td colspan="4" class="empty">no asks</td></tr>') +
          '<tr class="spread"><td colspan="4">' + (b.mid ? 'mid ' + fmt(b.mid, pd) : 'one-sided book') + '</td></tr>' +
          (bids.length ? bids.map(row('bid')).join('') : '<tr><td colspan="4" class="empty">no bids</td></tr>');
      }
      var trades = ((p.trades || {})[sym] || []).slice(-16).reverse();
      e.tape.innerHTML = trades.length ? trades.map(function (t) {
        return '<tr><td class="t">' + new Date(t.ts).toLocaleTimeString() + '</td><td class="' + (t.side || '') + '">' + fmt(t.price, pd) + '</td><td>' + fmt(t.qty, qd) + '</td></tr>';
      }).join('') : '<tr><td colspan="3" class="empty">no trades yet</td></tr>';
    });
  }
  var lastPointTs = 0;
  function onPoint(p) {
    if (!p || p.v !== 1) return;
    lastPointTs = Date.now();
    if (pushPoint(p)) redraw();
    renderKpis(p);
    renderShards(p);
    renderBooks(p);
  }

  // ------------------------------------------------------------------ health & simulation
  function statusOf(v) { return typeof v === 'string' ? v : v && typeof v === 'object' ? (v.status || 'unknown') : 'unknown'; }
  function pollHealth() {
    fetch('/health', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (h) {
      var s = statusOf(h.status);
      var el = $('overall');
      el.textContent = s;
      cls(el, 'pill pill-' + s);
      var svc = h.services || {};
      $('services').innerHTML = Object.keys(svc).map(function (k) {
        var st = statusOf(svc[k]);
        var reason = svc[k] && typeof svc[k] === 'object' && svc[k].reason ? ' title="' + esc(svc[k].reason) + '"' : '';
        return '<li' + reason + '><span class="name">' + esc(k) + '</span><span class="pill pill-' + esc(st) + '">' + esc(st) + '</span></li>';
      }).join('') || '<li class="empty">no components reported</li>';
    }).catch(function () {
      var el = $('overall');
      el.textContent = 'unreachable';
      cls(el, 'pill pill-error');
    });
  }
  var simRunning = false;
  function renderSim(s) {
    simRunning = !!s.running;
    var c = s.config || {};
    var st = s.stats || {};
    var rows = [
      ['status', '<span class="pill pill-' + esc(s.status) + '">' + esc(s.status) + '</span>' + (s.reason ? ' <span class="l">' + esc(s.reason) + '</span>' : '')],
      ['orders/s target', fmt(c.orders_per_second, 1)],
      ['volatility', fmt(c.volatility_factor, 3)],
      ['sent', fmtInt(st.orders_sent) + ' new · ' + fmtInt(st.cancels_sent) + ' cxl · ' + fmtInt(st.amends_sent) + ' amd'],
      ['fair', Object.keys(s.fair_prices || {}).map(function (k) { return k + ' ' + fmt(s.fair_prices[k], priceDecimals(s.fair_prices[k])); }).join(' · ') || '–'],
    ];
    $('sim').innerHTML = rows.map(function (r) { return '<span class="l">' + r[0] + '</span><span>' + r[1] + '</span>'; }).join('');
    $('sim-toggle').textContent = simRunning ? 'stop' : 'start';
    if (document.activeElement !== $('sim-ops')) $('sim-ops').value = c.orders_per_second;
    if (document.activeElement !== $('sim-vol')) $('sim-vol').value = c.volatility_factor;
  }
  function pollSim() {
    fetch('/api/simulation', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(renderSim).catch(function () {});
  }
  function postSim(body) {
    fetch('/api/simulation', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); }).then(function (s) { if (s.error) alert(s.error); else renderSim(s); });
  }
  $('sim-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    postSim({ orders_per_second: Number($('sim-ops').value), volatility_factor: Number($('sim-vol').value) });
  });
  $('sim-toggle').addEventListener('click', function () { postSim({ action: simRunning ? 'stop' : 'start' }); });

  // ------------------------------------------------------------------ live feed
  var ws = null, pollTimer = null;
  function feedState(s) { $('feed-state').textContent = s; }
  function extractPoint(msg) {
    if (!msg || typeof msg !== 'object') return null;
    if (msg.v === 1 && 'orders_per_sec' in msg) return msg;
    if (msg.topic === 'metrics' || msg.type === 'metrics' || msg.channel === 'metrics') return msg.data || msg.payload || null;
    return null;
  }
  function startPolling() {
    if (pollTimer) return;
    feedState('polling');
    pollTimer = setInterval(function () {
      fetch('/api/metrics/live', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(onPoint).catch(function () { feedState('offline'); });
    }, 1000);
  }
  function stopPolling() { if (pollTimer) clearInterval(pollTimer); pollTimer = null; }
  function connect() {
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + cfg.feedPath);
    } catch (e) { startPolling(); setTimeout(connect, 5000); return; }
    var gotPoint = false;
    var guard = setTimeout(function () { if (!gotPoint) startPolling(); }, 3000);
    ws.onopen = function () {
      var sub = Object.assign({}, cfg.subscribeTemplate);
      sub[cfg.topicsField || 'topics'] = ['metrics'];
      ws.send(JSON.stringify(sub));
    };
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      var list = Array.isArray(msg) ? msg : [msg];
      list.forEach(function (m) {
        var p = extractPoint(m);
        if (p) {
          if (!gotPoint) { gotPoint = true; stopPolling(); feedState('websocket'); }
          onPoint(p);
        }
      });
    };
    ws.onclose = function () { clearTimeout(guard); startPolling(); setTimeout(connect, 5000); };
    ws.onerror = function () { /* onclose follows */ };
  }

  // ------------------------------------------------------------------ boot
  setInterval(function () {
    $('clock').textContent = new Date().toISOString().slice(11, 19) + ' UTC';
    if (lastPointTs && Date.now() - lastPointTs > 5000) feedState('stale ' + Math.round((Date.now() - lastPointTs) / 1000) + ' s');
  }, 1000);
  initCharts();
  fetch('/api/metrics/history', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (h) {
    (h.points || []).forEach(pushPoint);
    redraw();
  }).catch(function () {}).then(function () {
    return fetch('/api/metrics/live', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(onPoint);
  }).catch(function () {}).then(connect);
  pollHealth(); pollSim();
  setInterval(pollHealth, 3000);
  setInterval(pollSim, 3000);
})();
