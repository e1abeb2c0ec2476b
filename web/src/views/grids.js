// Grids view (grid managers): search or click a grid; ranked candidates; propose;
// accept / decline; roster downloads.

import { getJSON, postJSON } from '../api.js';
import { html } from '../html.js';
import { formatNumber, getLang, t } from '../i18n.js';
import { inScope, parseScope, scopeLabel } from '../scope.js';
import { setState, state } from '../state.js';
import { $, errBox, errText, fmt1, loading, pct } from './common.js';

/** ctx: { me, scopeNames, isCurrent, fitBbox, setFocus, selectGrid } (see views.js). */
export function createGrids(ctx) {
  const root = $('#view-grids');
  const scope = parseScope(ctx.me);
  let names = null;
  if (ctx.scopeNames) ctx.scopeNames.then((n) => {
    names = n;
    render();
  });
  let query = '';
  let results = null;
  let searchError = null;
  let detail = null; // {grid, members, proposals}
  let detailError = null;
  let candidates = null;
  let candError = null;
  let msg = null;
  let searchTimer = null;

  function listHtml() {
    if (searchError) return errBox(searchError);
    if (!results) return '';
    if (!results.length) return html`<p class="muted">${t(scope.length ? 'grids.nomatch.scope' : 'grids.nomatch', { scope: scopeLabel(ctx.me, names) })}</p>`;
    const items = results.map(
      (g) =>
        html`<li><button type="button" class="list-item${detail && detail.grid.code === g.code && ' selected'}" data-grid="${g.code}"><span class="grow"><b>${g.name}</b><br/><span class="muted small">${g.code} · ${t('popup.manager')} ${g.manager || '—'}</span></span></button></li>`,
    );
    return html`<ul class="list" id="grid-results">${items}</ul>`;
  }

  function candidatesHtml() {
    if (candError) return errBox(candError);
    if (!candidates) return loading();
    if (!candidates.candidates || !candidates.candidates.length) return html`<p class="muted" id="no-candidates">${(candidates.reason && (candidates.reason[getLang()] || candidates.reason.zh)) || t('grids.nocandidates')}</p>`;
    const items = candidates.candidates.map(
      (c) => html`<li class="cand${c.status && ` decided ${c.status}`}" data-rider="${c.rider}"><div class="row-between"><span><span class="rank">${c.rank}</span> <code>${c.rider}</code>${c.status && html` <span class="badge ${c.status === 'accepted' ? 'ok' : c.status === 'declined' ? 'no' : ''}" data-status="${c.status}">${t(`assign.status.${c.status}`)}</span>`}</span><b title="${t('def.score')}">${c.score != null ? fmt1(c.score) : ''}</b></div>
          <div class="muted small">${t('grids.figures', { time: c.time_share != null ? pct(c.time_share * 100) : c.time_share_band, hours: fmt1(c.in_grid_hours), days: formatNumber(c.days_active), total: formatNumber(c.days_total), dwell: c.dwell_share != null ? pct(c.dwell_share * 100) : c.dwell_share_band, stab: c.stability != null ? fmt1(c.stability) : '—' })}</div>
          <div class="small explain">${(c.explanation && (c.explanation[getLang()] || c.explanation.zh)) || ''}</div></li>`,
    );
    return html`<ol class="list" id="candidate-list">${items}</ol>`;
  }

  function detailHtml() {
    if (detailError) return errBox(detailError);
    if (!detail) return html`<p class="muted small">${t('grids.hint')}</p>${scope.length > 0 && html`<p class="muted small" id="grid-scope">${t('grids.scope', { scope: scopeLabel(ctx.me, names) })}</p>`}`;
    const g = detail.grid;
    const rosterBase = `/api/grids/${encodeURIComponent(g.code)}/roster`;
    const members = detail.members.length
      ? html`<ul class="list" id="member-list">${detail.members.map((m) => html`<li class="list-row"><span class="grow"><code>${m.rider}</code>${m.score != null ? ` · ${t('grids.score')} ${fmt1(m.score)}` : ''}</span><span class="badge ok">${t('assign.accepted')}</span></li>`)}</ul>`
      : html`<p class="muted">${t('grids.nomembers')}</p>`;
    const props = detail.proposals.length
      ? html`<ul class="list" id="proposal-list">${detail.proposals.map(
          (p) =>
            html`<li class="list-row" data-assignment="${p.id}"><span class="grow"><code>${p.rider}</code>${p.score != null ? ` · ${t('grids.score')} ${fmt1(p.score)}` : ''}</span>
              <button type="button" class="btn btn-small btn-primary" data-accept="${p.id}">${t('assign.accept')}</button>
              <button type="button" class="btn btn-small" data-decline="${p.id}">${t('assign.decline')}</button></li>`,
        )}</ul>`
      : html`<p class="muted">${t('grids.noproposals')}</p>`;
    return html`<div class="grid-card" id="grid-detail" data-code="${g.code}">
      <h3>${g.name}</h3>
      <p class="muted small">${g.code} · ${t('popup.manager')} ${g.manager || '—'} · ${t('popup.target')} ${formatNumber(g.target)}</p>
      <div class="row"><a class="btn btn-small" id="roster-csv" href="${rosterBase}.csv" download>${t('grids.roster.csv')}</a><a class="btn btn-small" id="roster-geojson" href="${rosterBase}.geojson" download>${t('grids.roster.geojson')}</a></div>
      ${msg && html`<p class="msg">${msg}</p>`}
      <h4>${t('grids.members')}</h4>${members}
      <h4>${t('grids.proposals')}</h4>${props}
      <div class="row-between"><h4>${t('grids.candidates')}</h4><button type="button" class="btn btn-small btn-primary" id="propose">${t('assign.propose')}</button></div>
      ${candidatesHtml()}</div>`;
  }

  function render() {
    root.innerHTML = html`<h2>${t('view.grids')}</h2>
      <label class="field"><span>${t('grids.search')}</span><input id="grid-search" type="search" value="${query}" placeholder="${t('grids.search.ph')}" autocomplete="off"/></label>
      ${listHtml()}${detailHtml()}`;
  }

  async function search(q) {
    query = q;
    try {
      const r = await getJSON(`/api/grids?${new URLSearchParams({ q, limit: '12' })}`);
      if (query !== q) return;
      // Only grids this user may open: outside the scope they would answer 403.
      results = (r.grids || []).filter((g) => inScope(scope, g));
      searchError = null;
    } catch (err) {
      searchError = err;
    }
    const focus = document.activeElement && document.activeElement.id === 'grid-search';
    render();
    if (focus) {
      const i = $('#grid-search');
      i.focus();
      i.setSelectionRange(i.value.length, i.value.length);
    }
  }

  /** Opens a grid: detail, candidates, its real outline on the map; push: a new history entry. */
  async function select(code, { fly = true, push = true } = {}) {
    setState({ grid: code }, { push: push && state.grid !== code });
    detailError = null;
    candError = null;
    candidates = null;
    msg = null;
    try {
      detail = await getJSON(`/api/grids/${encodeURIComponent(code)}`);
    } catch (err) {
      detail = null;
      detailError = err;
      ctx.selectGrid(null);
      render();
      return;
    }
    const g = detail.grid;
    ctx.selectGrid(g.code, g.geometry || null);
    if (fly) ctx.fitBbox(g.bounds, 17);
    render();
    loadCandidates(code);
  }

  async function loadCandidates(code) {
    try {
      const c = await getJSON(`/api/grids/${encodeURIComponent(code)}/candidates?limit=10`);
      if (detail && detail.grid.code === code) candidates = c;
    } catch (err) {
      candError = err;
    }
    render();
  }

  async function refreshDetail() {
    const code = detail.grid.code;
    try {
      const d = await getJSON(`/api/grids/${encodeURIComponent(code)}`);
      if (detail && detail.grid.code === code) detail = d;
    } catch (err) {
      msg = errText(err);
    }
    render();
    loadCandidates(code); // their accepted / declined marks changed
  }

  root.addEventListener('input', (e) => {
    if (e.target.id !== 'grid-search') return;
    clearTimeout(searchTimer);
    const q = e.target.value.trim();
    searchTimer = setTimeout(() => search(q), 250);
  });
  root.addEventListener('click', async (e) => {
    const g = e.target.closest('[data-grid]');
    if (g) return select(g.dataset.grid);
    const acc = e.target.closest('[data-accept],[data-decline]');
    if (acc) {
      const ok = acc.dataset.accept !== undefined;
      const id = ok ? acc.dataset.accept : acc.dataset.decline;
      try {
        await postJSON(`/api/assignments/${encodeURIComponent(id)}/${ok ? 'accept' : 'decline'}`, {});
        msg = t(ok ? 'assign.accepted.msg' : 'assign.declined.msg');
      } catch (err) {
        msg = errText(err);
      }
      return refreshDetail();
    }
    if (e.target.id === 'propose' && detail) {
      try {
        const p = await postJSON('/api/assignments', { grids: [detail.grid.code] });
        msg = t('assign.proposed', { n: formatNumber(p.proposed ?? 0) });
      } catch (err) {
        msg = errText(err);
      }
      return refreshDetail();
    }
  });

  return {
    open() {
      render();
      if (results === null) search(query);
      if (state.grid && (!detail || detail.grid.code !== state.grid)) select(state.grid, { fly: true, push: false });
    },
    render,
    /** Back / forward: open the grid of the restored URL, or none. */
    restore() {
      if (!ctx.isCurrent('grids')) return;
      if (state.grid && (!detail || detail.grid.code !== state.grid)) select(state.grid, { fly: true, push: false });
      else if (!state.grid && detail) {
        detail = null;
        candidates = null;
        ctx.selectGrid(null);
        render();
      }
    },
    /** A click on a grid in this view opens it (and its popup); a grid outside the scope only shows its popup. */
    click(e, hit) {
      if (!hit.grid || hit.site) return false;
      const p = hit.grid.properties;
      if (inScope(scope, { code: String(p.code), street_code: p.street_code, community_code: p.community_code, district_code: p.district_code })) select(String(p.code), { fly: false });
      return false; // still show the grid popup
    },
  };
}
