/* landclear maps: compact feature decoding, tooltips, popups and search.
 * Every value from the data is rendered with textContent, never innerHTML,
 * so ledger text such as <img onerror=...> or ${...} shows as text.
 * (c) landclear contributors, MIT. */
(function (global) {
  'use strict';
  var LC = global.LandclearMaps = global.LandclearMaps || {};
  LC.maps = LC.maps || {};

  /* Geometry payload: integer coordinates (lon, lat times 10^p) delta-coded
   * in one flat array; rn = vertices per ring, pr = rings per polygon,
   * fp = polygons per feature. Rings are open (Leaflet closes them). */
  LC.decode = function (g) {
    var xy = g.xy, rn = g.rn, pr = g.pr, fp = g.fp, s = g.s;
    var x = g.o[0], y = g.o[1], k = 0, r = 0, q = 0;
    var out = new Array(fp.length);
    for (var f = 0; f < fp.length; f++) {
      var polys = [];
      for (var a = 0; a < fp[f]; a++) {
        var rings = [];
        for (var b = 0; b < pr[q]; b++) {
          var n = rn[r], ring = new Array(n);
          for (var c = 0; c < n; c++) {
            x += xy[k++];
            y += xy[k++];
            ring[c] = L.latLng(y / s, x / s);
          }
          rings.push(ring);
          r++;
        }
        polys.push(rings);
        q++;
      }
      out[f] = polys.length === 1 ? polys[0] : polys;
    }
    return out;
  };

  /* A column is a plain array, or {d: distinct values, i: codes}. */
  LC.value = function (col, i) {
    if (!col) { return ''; }
    var v = col.d ? col.d[col.i[i]] : col[i];
    return v === null || v === undefined ? '' : String(v);
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  LC.el = el;

  /* A card: optional heading (first column's value), then label/value rows;
   * with withLink, the feature's link (popups only: a tooltip cannot be clicked). */
  LC.card = function (data, i, cols, heading, withLink) {
    var box = el('div', 'lc-card');
    var start = 0;
    if (heading && cols.length) {
      box.appendChild(el('div', 'lc-card-title', LC.value(data.cols[cols[0]], i)));
      start = 1;
    }
    var table = el('table', 'lc-card-table');
    for (var c = start; c < cols.length; c++) {
      var v = LC.value(data.cols[cols[c]], i);
      if (v === '') { continue; }
      var tr = el('tr');
      tr.appendChild(el('th', null, data.labels[cols[c]] || cols[c]));
      tr.appendChild(el('td', null, v));
      table.appendChild(tr);
    }
    box.appendChild(table);
    /* Links are our own relative file names (see maps.write_maps); anything
     * with a scheme (javascript:, http:) is refused. */
    var link = withLink && data.links ? LC.value(data.links, i) : '';
    if (link && !/^[a-z][a-z0-9+.-]*:/i.test(link) && link.indexOf('//') !== 0) {
      var a = el('a', 'lc-card-link', data.linkText || '→');
      a.setAttribute('href', link);
      box.appendChild(a);
    }
    return box;
  };

  /* While the measure tool is active a click is a vertex, not a parcel query. */
  LC.watchMeasure = function (map) {
    map.on('measurestart', function () { map._lcMeasuring = true; map.closePopup(); });
    map.on('measurefinish', function () { map._lcMeasuring = false; });
  };

  /* GCJ-02 (Gaode tiles), as landclear.geo: same constants and operation
   * order, so JS and Python agree to the last bit. Outside China: unchanged. */
  var GCJ_A = 6378245.0, GCJ_EE = 0.00669342162296594323, PI = Math.PI;
  function outOfChina(lng, lat) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  LC.wgs84ToGcj02 = function (lng, lat) {
    if (outOfChina(lng, lat)) { return [lng, lat]; }
    var x = lng - 105.0, y = lat - 35.0, sx = Math.sqrt(Math.abs(x));
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx;
    dlat = dlat + common;
    dlat = dlat + (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dlat = dlat + (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx;
    dlng = dlng + common;
    dlng = dlng + (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dlng = dlng + (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radlat = lat / 180.0 * PI, magic = Math.sin(radlat);
    magic = 1 - GCJ_EE * magic * magic;
    var sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtmagic) * PI);
    dlng = (dlng * 180.0) / (GCJ_A / sqrtmagic * Math.cos(radlat) * PI);
    return [lng + dlng, lat + dlat];
  };
  /* Exact inverse by fixed-point iteration (as landclear.geo.gcj02_to_wgs84). */
  LC.gcj02ToWgs84 = function (lng, lat) {
    var w = [lng, lat];
    for (var k = 0; k < 30; k++) {
      var f = LC.wgs84ToGcj02(w[0], w[1]);
      var ex = f[0] - lng, ey = f[1] - lat;
      w = [w[0] - ex, w[1] - ey];
      if (!(Math.max(Math.abs(ex), Math.abs(ey)) > 1e-12)) { break; }
    }
    return w;
  };
  function toWgs(ll) {
    var w = LC.gcj02ToWgs84(ll.lng, ll.lat);
    return L.latLng(w[1], w[0]);
  }

  /* On a GCJ-02 map (Gaode tiles) the measure control must report true
   * coordinates, lengths and areas: compute them on the points converted
   * back to WGS84/CGCS2000, but keep drawing on the shifted points. */
  LC.measureInWgs84 = function (control) {
    var update = control._updateResults, finish = control._handleMeasureDoubleClick;
    control._updateResults = function () {
      var shown = this._latlngs;
      this._latlngs = shown.map(toWgs);
      try { update.call(this); } finally { this._latlngs = shown; }
    };
    control._handleMeasureDoubleClick = function () {
      var shown = this._latlngs.slice(), before = {};
      this._layer.eachLayer(function (l) { before[L.stamp(l)] = true; });
      this._latlngs = shown.map(toWgs);
      finish.call(this);
      this._layer.eachLayer(function (l) {
        if (before[L.stamp(l)] || !shown.length) { return; }
        if (l.setLatLngs) {
          l.setLatLngs(shown);
          l.openPopup(l.getBounds().getCenter());
        } else if (l.setLatLng) {
          l.setLatLng(shown[0]);
          l.openPopup(shown[0]);
        }
      });
    };
    control._lcWgs84 = true;
    return control;
  };

  LC.renderer = function (map) {
    if (!map._lcRenderer) { map._lcRenderer = L.canvas({padding: 0.5, tolerance: 2}); }
    return map._lcRenderer;
  };

  /* One layer over shared shapes. opts: idx (subset or null), styles (one per
   * class), cls (class per feature, or a number for all), tip, popup (column
   * names), interactive. */
  LC.layer = function (map, shapes, data, opts) {
    var group = L.featureGroup();
    var renderer = LC.renderer(map);
    var idx = typeof opts.idx === 'string' ? data.idx[opts.idx] : opts.idx;
    var n = idx ? idx.length : shapes.length;
    var cls = typeof opts.cls === 'string' ? data.cls[opts.cls] : opts.cls;
    var styles = opts.styles;
    var interactive = opts.interactive !== false;
    function populate() {
      for (var j = 0; j < n; j++) {
        var i = idx ? idx[j] : j;
        var st = styles[typeof cls === 'number' ? cls : cls[i]];
        var poly = L.polygon(shapes[i], L.extend({renderer: renderer, interactive: interactive}, st));
        poly._lc = i;
        group.addLayer(poly);
      }
    }
    /* Hidden layers are built when first switched on: opening stays fast. */
    if (opts.lazy) { group.once('add', populate); } else { populate(); }
    if (interactive && opts.tip && opts.tip.length) {
      group.bindTooltip(function (layer) {
        return LC.card(data, layer._lc, opts.tip, true);
      }, {sticky: true, direction: 'top', opacity: 0.95});
    }
    if (interactive && opts.popup && opts.popup.length) {
      group.on('click', function (e) {
        if (!e.layer || e.layer._lc === undefined || map._lcMeasuring) { return; }
        LC.openPopup(map, data, e.layer._lc, opts.popup, e.latlng);
      });
    }
    return group;
  };

  LC.openPopup = function (map, data, i, cols, latlng) {
    return L.popup({maxWidth: 380, maxHeight: 420, autoPanPadding: [20, 20]})
      .setLatLng(latlng)
      .setContent(LC.card(data, i, cols, true, true))
      .openOn(map);
  };

  /* Search by any of opts.cols (case-insensitive substring); a result zooms
   * to the feature and opens its popup. */
  LC.search = function (map, shapes, data, opts) {
    var Control = L.Control.extend({
      options: {position: opts.position || 'topleft'},
      onAdd: function () {
        var box = el('div', 'leaflet-bar lc-search');
        var input = el('input');
        input.type = 'search';
        input.placeholder = opts.placeholder || '';
        input.setAttribute('aria-label', opts.placeholder || 'search');
        var list = el('ul', 'lc-search-results');
        box.appendChild(input);
        box.appendChild(list);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var cols = opts.cols.filter(function (c) { return data.cols[c]; });
        var n = shapes.length, max = opts.max || 12;
        function pick(i) {
          var layer = L.polygon(shapes[i]);
          var bounds = layer.getBounds();
          map.fitBounds(bounds, {maxZoom: 17, padding: [40, 40]});
          LC.openPopup(map, data, i, opts.popup, bounds.getCenter());
        }
        function run() {
          var q = input.value.trim().toLowerCase();
          list.textContent = '';
          if (!q) { return; }
          var found = 0;
          for (var i = 0; i < n && found < max; i++) {
            for (var c = 0; c < cols.length; c++) {
              if (LC.value(data.cols[cols[c]], i).toLowerCase().indexOf(q) >= 0) {
                var parts = cols.map(function (k) { return LC.value(data.cols[k], i); });
                var li = el('li', null, parts.filter(Boolean).join(' · '));
                li.tabIndex = 0;
                li.addEventListener('click', pick.bind(null, i));
                li.addEventListener('keydown', function (i2, ev) {
                  if (ev.key === 'Enter') { pick(i2); }
                }.bind(null, i));
                list.appendChild(li);
                found++;
                break;
              }
            }
          }
          if (!found) { list.appendChild(el('li', 'lc-search-none', opts.none || '—')); }
        }
        input.addEventListener('input', run);
        input.addEventListener('keydown', function (ev) {
          if (ev.key === 'Enter' && list.firstChild && list.firstChild.tabIndex === 0) {
            list.firstChild.click();
          }
        });
        return box;
      }
    });
    return new Control().addTo(map);
  };

  /* A title box at the top centre of the map. */
  LC.title = function (map, lines) {
    var box = el('div', 'lc-title');
    for (var i = 0; i < lines.length; i++) {
      box.appendChild(el('div', i === 0 ? 'lc-title-main' : 'lc-title-sub', lines[i]));
    }
    L.DomEvent.disableClickPropagation(box);
    map.getContainer().appendChild(box);
    return box;
  };

  /* A legend control: entries [label, fill, stroke, count text]. */
  LC.legend = function (map, title, entries, position, note) {
    var Control = L.Control.extend({
      options: {position: position || 'bottomright'},
      onAdd: function () {
        var box = el('div', 'lc-legend');
        box.appendChild(el('div', 'lc-legend-title', title));
        for (var i = 0; i < entries.length; i++) {
          var row = el('div', 'lc-legend-row');
          var sw = el('span', 'lc-swatch');
          sw.style.background = entries[i][1];
          sw.style.borderColor = entries[i][2];
          row.appendChild(sw);
          row.appendChild(el('span', 'lc-legend-label', entries[i][0]));
          if (entries[i][3]) { row.appendChild(el('span', 'lc-legend-count', entries[i][3])); }
          box.appendChild(row);
        }
        if (note) { box.appendChild(el('div', 'lc-legend-note', note)); }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Control().addTo(map);
  };

  LC.register = function (key, obj) {
    LC.maps[key] = obj;
    return obj;
  };
})(window);
