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

  /* A card: optional heading (first column's value), then label/value rows. */
  LC.card = function (data, i, cols, heading) {
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
    var link = data.links ? LC.value(data.links, i) : '';
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
      .setContent(LC.card(data, i, cols, true))
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
