// The side bar: view tabs and the shared map focus (selected gap zone or grid). Each view lives in
// its own module under views/ (heatmap: district leaders; siting: gaps and siting for planners;
// grids: grid managers) and renders from its own state, again on a language change.

import { ALL_VIEWS, ROLE_VIEWS, SITING_ROLES } from './config.js';
import { html } from './html.js';
import { t } from './i18n.js';
import { PICKS_SOURCE, SELECTED_GRID_LAYER } from './mapstyle.js';
import { bboxToMap, featuresToMap } from './datum.js';
import { hoursParam, readState, setState, state } from './state.js';
import { $ } from './views/common.js';
import { createGrids } from './views/grids.js';
import { createHeatmap } from './views/heatmap.js';
import { createSiting } from './views/siting.js';

export function createViews({ map, me, popups, applyFilters, setGroupVisible, isGroupVisible, scopeNames }) {
  const role = me.role;
  // What the user may do: /api/me capabilities when the server lists them, else the role's defaults.
  const caps = Array.isArray(me.capabilities) ? new Set(me.capabilities) : null;
  const can = (c, byRole) => (caps ? caps.has(c) : byRole);
  const views = (ROLE_VIEWS[role] || ['heatmap']).filter((v) => v !== 'grids' || can('candidates', true));
  const canSite = can('siting', SITING_ROLES.includes(role));
  const canSaveScenarios = can('scenarios.write', role === 'admin' || role === 'planner');
  let current = views.includes(state.view) ? state.view : views[0];

  // ---------- focus outline (selected gap zone or grid) and siting radii ----------
  const picksData = { focus: null, radius: [] };
  function pushPicks() {
    const features = [];
    if (picksData.focus) features.push({ type: 'Feature', geometry: picksData.focus, properties: { role: 'focus' } });
    for (const g of picksData.radius) features.push({ type: 'Feature', geometry: g, properties: { role: 'radius' } });
    const src = map.getSource(PICKS_SOURCE);
    if (src) src.setData(featuresToMap({ type: 'FeatureCollection', features })); // WGS-84 → the basemap's datum
  }

  /** Padding that keeps a fitted area clear of the side bar and the layer panel over the map. */
  function freePadding() {
    const c = map.getContainer().getBoundingClientRect();
    const pad = { top: 50, bottom: 50, left: 50, right: 50 };
    const sb = $('#sidebar').getBoundingClientRect();
    if (sb.width && sb.left < c.right && sb.left > c.left) pad.right += c.right - sb.left;
    const pn = $('#panel').getBoundingClientRect();
    if (pn.width && pn.right > c.left && pn.height > c.height * 0.3) pad.left += pn.right - c.left;
    const spare = c.width - pad.left - pad.right;
    if (spare < 120) {
      const k = Math.max(0, (c.width - 120) / (pad.left + pad.right));
      pad.left *= k;
      pad.right *= k;
    }
    if (c.height - pad.top - pad.bottom < 120) pad.top = pad.bottom = Math.max(0, (c.height - 120) / 2);
    return pad;
  }

  const ctx = {
    map,
    me,
    scopeNames,
    role,
    canSite,
    canSaveScenarios,
    popups,
    isGroupVisible,
    setGroupVisible,
    isCurrent: (v) => current === v,
    /** Fits [w, s, e, n] into the part of the map not covered by the side bar and the layer panel. */
    fitBbox(b, maxZoom = 16) {
      if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite)) return;
      const m = bboxToMap(b);
      map.fitBounds([[m[0], m[1]], [m[2], m[3]]], { padding: freePadding(), maxZoom, duration: 600 });
    },
    setFocus(geometry) {
      picksData.focus = geometry;
      pushPicks();
    },
    /** Outlines the grid with this code (its real shape, from the grid tiles); null clears. */
    selectGrid(code, geometry = null) {
      if (map.getLayer(SELECTED_GRID_LAYER)) map.setFilter(SELECTED_GRID_LAYER, ['==', ['get', 'code'], code || '']);
      picksData.focus = geometry;
      pushPicks();
    },
    setRadius(list) {
      picksData.radius = list;
      pushPicks();
    },
    filtersChanged() {
      applyFilters();
      heat.render();
      heat.reload();
      siting.filtersChanged();
    },
  };
  const heat = createHeatmap(ctx);
  const siting = createSiting(ctx);
  const grids = createGrids(ctx);

  // ---------- tabs ----------
  function renderTabs() {
    $('#view-tabs').innerHTML = html`${views.map(
      (v) =>
        html`<button type="button" role="tab" class="tab${v === current && ' active'}" data-view-tab="${v}" aria-selected="${String(v === current)}">${t(`view.${v}${v === 'siting' && !canSite ? '.readonly' : ''}`)}</button>`,
    )}`;
  }
  $('#view-tabs').addEventListener('click', (e) => {
    const b = e.target.closest('[data-view-tab]');
    if (b && b.dataset.viewTab !== current) show(b.dataset.viewTab, { push: true });
  });

  /** Opens view v; push: as a new history entry (a tab click), not on start or back/forward. */
  function show(v, { push = false } = {}) {
    if (!views.includes(v)) v = views[0];
    current = v;
    setState({ view: v }, { push });
    for (const name of ALL_VIEWS) $(`#view-${name}`).hidden = name !== v;
    document.body.dataset.view = v;
    renderTabs();
    if (v === 'heatmap') heat.open();
    if (v === 'siting') siting.open();
    if (v === 'grids') grids.open();
    if (v !== 'siting') siting.setEditing(false);
  }

  // Back / forward: the URL holds the state of the entry; filters, view, grid, gap zone and siting
  // run follow it.
  window.addEventListener('popstate', () => {
    const before = { ...state };
    readState();
    if (before.tod !== state.tod || before.days !== state.days || before.metric !== state.metric) ctx.filtersChanged();
    popups.close();
    show(state.view);
    grids.restore();
    siting.restore();
  });

  /** What a map click selects in each view, in priority order (sites stay clickable everywhere). */
  const CLICK_KINDS = {
    heatmap: ['site', 'activity', 'gap', 'area'],
    siting: ['site', 'gap', 'activity', 'area'],
    grids: ['site', 'grid', 'area'],
  };

  return {
    start: () => {
      $('#sidebar').hidden = false;
      show(current);
    },
    clickKinds: () => CLICK_KINDS[current],
    /** A map click: the current view selects its own kind of feature (a view may take the click). */
    onMapClick(e, hit, kind, feature) {
      if (siting.click(e, hit)) return true;
      if (current === 'grids') return grids.click(e, hit);
      if (current === 'siting' && kind === 'gap') return siting.clickZone(e, feature);
      if (current === 'heatmap' && kind === 'activity') {
        ctx.setFocus(feature.geometry);
        return false; // and the hexagon's popup
      }
      ctx.setFocus(null);
      return false;
    },
    /** { rank, street, community } of the zone a gap cell belongs to, when it is a listed one. */
    describeZone: (zone, props) => siting.describeZone(zone, props),
    refreshTexts() {
      renderTabs();
      heat.render();
      siting.render();
      grids.render();
    },
    hoursParam,
  };
}
