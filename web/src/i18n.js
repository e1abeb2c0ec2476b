// i18n: every string the page shows comes from this dictionary.
// Chinese (zh) is the primary language, English (en) the second one.
// Add a key to BOTH languages; test/smoke.mjs checks that the key sets match.

export const LANGS = ['zh', 'en'];
export const DEFAULT_LANG = 'zh';
const STORAGE_KEY = 'hexcover.lang';

export const messages = {
  zh: {
    'app.title': 'hexcover 骑手服务站覆盖分析',
    'app.product': 'hexcover',
    'app.subtitle': '骑手服务站覆盖分析',
    'lang.switch': 'English',
    'lang.switch.title': '切换到英文',
    'header.district.unknown': '未知区域',
    'header.counts': '骑手 {riders} · 站点 {sites} · 网格 {grids} · 定位点 {pings}',
    'header.version': '数据版本 {version}',
    'status.loading': '加载中…',
    'error.meta': '无法获取地图元数据（/api/meta），已显示默认视图（上海）。',
    'error.tiles': '部分图层瓦片加载失败（{source}）。',
    'error.map': '地图出错：{message}',
    'error.webgl': '此浏览器无法显示地图（需要 WebGL）。',
    'error.dismiss': '关闭',
    'panel.title': '图层',
    'panel.toggle': '图层与图例',
    'layer.activity': '骑手活动',
    'layer.grids': '社区网格',
    'layer.sites': '站点',
    'layer.areas': '行政区划',
    'legend.activity': '骑手活动（骑手·小时）',
    'legend.activity.unit': '骑手·小时',
    'legend.sites': '站点类型',
    'legend.sites.hollow': '空心 = 规划中 / 候选',
    'legend.areas.street': '街道边界',
    'legend.areas.community': '社区边界',
    'kind.service_center': '骑手服务中心',
    'kind.rest_station': '骑手驿站',
    'kind.fuel_station': '加油站休息点',
    'kind.branch': '网点',
    'kind.candidate': '候选点',
    'kind.other': '其他',
    'status.existing': '已建成',
    'status.planned': '规划中',
    'status.candidate': '候选',
    'popup.site': '站点',
    'popup.grid': '网格',
    'popup.code': '编码',
    'popup.name': '名称',
    'popup.manager': '网格长',
    'popup.target': '目标兼职人数',
    'popup.kind': '类型',
    'popup.status': '状态',
    'popup.capacity': '容量',
    'popup.amenities': '设施',
    'popup.none': '无',
    'popup.unknown': '—',
    'popup.cell': '六边形',
    'popup.riders': '骑手数',
    'popup.rider_hours': '骑手·小时',
    'amenity.charging': '充电',
    'amenity.battery_swap': '换电',
    'amenity.water': '饮水',
    'amenity.toilet': '卫生间',
    'amenity.rest': '休息区',
    'amenity.seating': '座椅',
    'amenity.microwave': '微波炉',
    'amenity.fridge': '冰箱',
    'amenity.wifi': '无线网络',
    'amenity.air_conditioning': '空调',
    'amenity.first_aid': '急救箱',
    'amenity.umbrella': '雨具',
    'amenity.repair': '维修',
    'amenity.locker': '储物柜',
    'amenity.parking': '停车',
    'amenity.shower': '淋浴',
    'map.attribution': 'hexcover 数据',
    'error.forbidden': '无权访问：您的角色不允许查看此内容。',
    'auth.expired': '登录已过期，请重新登录。',
    'error.api': '请求失败：{message}',
    'heat.coverage': '覆盖率',
    'heat.demand': '需求 {demand} {unit}，已覆盖 {covered}',
    'heat.col.demand': '活跃度',
    'heat.col.coverage': '覆盖率',
    'heat.col.gaps': '缺口',
    'heat.rowhint': '点击一行，地图缩放到该区域。',
    'view.heatmap': '热力图',
    'view.siting': '缺口与选址',
    'view.siting.readonly': '服务缺口',
    'view.grids': '网格招募',
    'heat.metric': '指标',
    'heat.hours': '时段',
    'heat.days': '日期',
    'heat.overlay': '显示覆盖缺口（紫色）',
    'heat.summary': '分区汇总',
    'heat.level': '汇总层级',
    'gaps.none': '当前筛选下没有缺口。',
    'gaps.line': '需求 {demand} · 骑手 {riders} · {area} km² · 最近站点 {dist} 米',
    'gaps.zone': '缺口区',
    'popup.street': '街道',
    'popup.community': '社区',
    'popup.demand': '需求',
    'popup.dwell': '停留（小时）',
    'popup.area_km2': '面积（km²）',
    'popup.cells': '六边形数',
    'popup.nearest': '最近站点',
    'popup.candidates_in': '区内候选点',
    'popup.radius': '服务半径',
    'popup.activity': '骑手活动',
    'popup.pings': '定位点',
    'popup.gap': '覆盖缺口',
    'popup.zone': '缺口区',
    'popup.area': '区域',
    'popup.level': '层级',
    'siting.gain': '新增覆盖 {gain}（{pct}），累计 {cum}',
    'siting.before': '覆盖率 选址前',
    'siting.after': '选址后',
    'siting.bound': '新增需求 {gain}；上界 {bound}',
    'siting.csv': '导出 CSV',
    'siting.geojson': '导出 GeoJSON',
    'siting.undo': '撤销',
    'siting.title': '选址',
    'siting.k': '新站点数量 k',
    'siting.kinds': '候选类型',
    'siting.edit': '在地图上编辑：点击空白处添加站点，点击已有站点将其移除',
    'siting.edit.hint': '编辑中：点击地图添加骑手驿站；点击已建成站点切换“移除”。然后重新运行。',
    'siting.run': '运行选址',
    'siting.newsite': '手动站点',
    'siting.col.gain': '新增覆盖需求',
    'siting.col.gainpct': '新增占比',
    'siting.col.cum': '累计覆盖率',
    'scenario.name': '方案名称',
    'scenario.save': '保存方案',
    'scenario.list': '已保存方案',
    'scenario.open': '打开',
    'scenario.none': '还没有保存的方案。',
    'scenario.title': '方案',
    'scenario.default': '方案',
    'scenario.saved': '已保存方案“{name}”（#{id}）。',
    'scenario.opened': '已打开方案“{name}”。',
    'scenario.compare': '基线覆盖率 {base}，按当前数据重算 {now}{stale}。',
    'scenario.stale': '（数据已更新）',
    'gaps.readonly': '只读：按未覆盖需求排序的缺口区，点击查看。',
    'gaps.title': '缺口区排名',
    'gaps.total': '共 {zones} 个，覆盖率 {pct}',
    'grids.nomatch': '没有匹配的网格。',
    'grids.hint': '搜索网格编码或名称，或在地图上点击网格。',
    'grids.score': '得分',
    'assign.accepted': '已接受',
    'grids.nomembers': '还没有兼职网格员。',
    'assign.accept': '接受',
    'assign.decline': '拒绝',
    'grids.noproposals': '没有待处理的提议。',
    'grids.nocandidates': '没有候选骑手。',
    'grids.figures': '网格内时间 {time}（{hours} 小时）· {days}/{total} 天 · 停留 {dwell} · 稳定度 {stab}',
    'grids.roster.csv': '名册 CSV',
    'grids.roster.geojson': '名册 GeoJSON',
    'grids.members': '兼职网格员',
    'grids.proposals': '待处理提议',
    'grids.candidates': '候选骑手（排名）',
    'assign.propose': '为本网格提议',
    'grids.search': '查找网格',
    'grids.search.ph': '编码或名称',
    'assign.proposed': '已提议 {n} 人（提议 #{id}）。',
    'assign.accepted.msg': '已接受，名册已更新。',
    'assign.declined.msg': '已拒绝。',
    'auth.bad': '令牌无效或已停用。',
    'auth.switch': '切换角色',
    'auth.title': '登录 hexcover',
    'auth.hint': '请输入访问令牌，或选择演示账号。',
    'auth.token': '访问令牌',
    'auth.submit': '登录',
    'auth.demo': '演示账号（一键登录）',
    'auth.demo.admin': '演示：管理员',
    'auth.demo.planner': '演示：规划人员',
    'auth.demo.leader': '演示：区领导',
    'auth.demo.grid_manager': '演示：网格长',
    'role.admin': '管理员',
    'role.planner': '规划人员',
    'role.leader': '区领导',
    'role.grid_manager': '网格长',
    'legend.activity.note': '颜色按所选指标与时段',
    'legend.gaps': '有需求但无站点覆盖',
    'layer.gaps': '覆盖缺口',
    'metric.rider_hours': '骑手·小时',
    'metric.riders': '骑手数',
    'metric.pings': '定位点数',
    'metric.dwell': '停留时长',
    'unit.rider_hours': '骑手·小时',
    'unit.riders': '人',
    'unit.pings': '个',
    'unit.dwell_hours': '小时',
    'tod.all': '全天',
    'tod.breakfast': '早餐',
    'tod.lunch': '午高峰',
    'tod.dinner': '晚高峰',
    'tod.night': '夜间',
    'tod.peak': '午晚高峰',
    'days.all': '全周',
    'days.weekday': '工作日',
    'days.weekend': '周末',
    'level.street': '街道',
    'level.community': '社区',
    'level.district': '区',
  },
  en: {
    'app.title': 'hexcover rider service station coverage',
    'app.product': 'hexcover',
    'app.subtitle': 'Rider service station coverage',
    'lang.switch': '中文',
    'lang.switch.title': 'Switch to Chinese',
    'header.district.unknown': 'Unknown area',
    'header.counts': 'Riders {riders} · Sites {sites} · Grids {grids} · Pings {pings}',
    'header.version': 'Data version {version}',
    'status.loading': 'Loading…',
    'error.meta': 'Could not load the map metadata (/api/meta); showing the default view (Shanghai).',
    'error.tiles': 'Some map tiles failed to load ({source}).',
    'error.map': 'Map error: {message}',
    'error.webgl': 'This browser cannot show the map (WebGL is required).',
    'error.dismiss': 'Dismiss',
    'panel.title': 'Layers',
    'panel.toggle': 'Layers and legend',
    'layer.activity': 'Rider activity',
    'layer.grids': 'Community grids',
    'layer.sites': 'Sites',
    'layer.areas': 'Admin areas',
    'legend.activity': 'Rider activity (rider-hours)',
    'legend.activity.unit': 'rider-hours',
    'legend.sites': 'Site kinds',
    'legend.sites.hollow': 'Hollow = planned / candidate',
    'legend.areas.street': 'Street boundary',
    'legend.areas.community': 'Community boundary',
    'kind.service_center': 'Rider service centre',
    'kind.rest_station': 'Rest station',
    'kind.fuel_station': 'Fuel-station rest point',
    'kind.branch': 'Branch',
    'kind.candidate': 'Candidate',
    'kind.other': 'Other',
    'status.existing': 'Existing',
    'status.planned': 'Planned',
    'status.candidate': 'Candidate',
    'popup.site': 'Site',
    'popup.grid': 'Grid',
    'popup.code': 'Code',
    'popup.name': 'Name',
    'popup.manager': 'Manager',
    'popup.target': 'Target part-time members',
    'popup.kind': 'Kind',
    'popup.status': 'Status',
    'popup.capacity': 'Capacity',
    'popup.amenities': 'Amenities',
    'popup.none': 'None',
    'popup.unknown': '—',
    'popup.cell': 'Hexagon',
    'popup.riders': 'Riders',
    'popup.rider_hours': 'Rider-hours',
    'amenity.charging': 'Charging',
    'amenity.battery_swap': 'Battery swap',
    'amenity.water': 'Drinking water',
    'amenity.toilet': 'Toilet',
    'amenity.rest': 'Rest area',
    'amenity.seating': 'Seating',
    'amenity.microwave': 'Microwave',
    'amenity.fridge': 'Fridge',
    'amenity.wifi': 'Wi-Fi',
    'amenity.air_conditioning': 'Air conditioning',
    'amenity.first_aid': 'First-aid kit',
    'amenity.umbrella': 'Rain gear',
    'amenity.repair': 'Repairs',
    'amenity.locker': 'Lockers',
    'amenity.parking': 'Parking',
    'amenity.shower': 'Shower',
    'map.attribution': 'hexcover data',
    'error.forbidden': 'Not allowed: your role cannot see this.',
    'auth.expired': 'Your session has expired; please log in again.',
    'error.api': 'Request failed: {message}',
    'heat.coverage': 'Coverage',
    'heat.demand': 'demand {demand} {unit}, covered {covered}',
    'heat.col.demand': 'Activity',
    'heat.col.coverage': 'Coverage',
    'heat.col.gaps': 'Gaps',
    'heat.rowhint': 'Click a row to zoom the map to it.',
    'view.heatmap': 'Heatmap',
    'view.siting': 'Gaps & siting',
    'view.siting.readonly': 'Coverage gaps',
    'view.grids': 'Grid recruiting',
    'heat.metric': 'Metric',
    'heat.hours': 'Time of day',
    'heat.days': 'Days',
    'heat.overlay': 'Show coverage gaps (purple)',
    'heat.summary': 'Summary by area',
    'heat.level': 'Summary level',
    'gaps.none': 'No gaps for this filter.',
    'gaps.line': 'demand {demand} · riders {riders} · {area} km² · nearest site {dist} m',
    'gaps.zone': 'Gap zone',
    'popup.street': 'Street',
    'popup.community': 'Community',
    'popup.demand': 'Demand',
    'popup.dwell': 'Dwell (hours)',
    'popup.area_km2': 'Area (km²)',
    'popup.cells': 'Hexagons',
    'popup.nearest': 'Nearest site',
    'popup.candidates_in': 'Candidates inside',
    'popup.radius': 'Service radius',
    'popup.activity': 'Rider activity',
    'popup.pings': 'Pings',
    'popup.gap': 'Coverage gap',
    'popup.zone': 'Gap zone',
    'popup.area': 'Area',
    'popup.level': 'Level',
    'siting.gain': 'adds {gain} ({pct}), cumulative {cum}',
    'siting.before': 'Coverage before',
    'siting.after': 'after',
    'siting.bound': 'Added demand {gain}; upper bound {bound}',
    'siting.csv': 'Export CSV',
    'siting.geojson': 'Export GeoJSON',
    'siting.undo': 'Undo',
    'siting.title': 'Siting',
    'siting.k': 'New sites k',
    'siting.kinds': 'Candidate kinds',
    'siting.edit': 'Edit on the map: click to add a site, click an existing site to remove it',
    'siting.edit.hint': 'Editing: click the map to add a rest station; click an existing site to toggle "remove". Then run again.',
    'siting.run': 'Run siting',
    'siting.newsite': 'Manual site',
    'siting.col.gain': 'Demand added',
    'siting.col.gainpct': 'Share added',
    'siting.col.cum': 'Cumulative coverage',
    'scenario.name': 'Scenario name',
    'scenario.save': 'Save scenario',
    'scenario.list': 'Saved scenarios',
    'scenario.open': 'Open',
    'scenario.none': 'No saved scenarios yet.',
    'scenario.title': 'Scenarios',
    'scenario.default': 'Scenario',
    'scenario.saved': 'Saved scenario "{name}" (#{id}).',
    'scenario.opened': 'Opened scenario "{name}".',
    'scenario.compare': 'Baseline coverage {base}, recomputed on current data {now}{stale}.',
    'scenario.stale': ' (data changed)',
    'gaps.readonly': 'Read-only: gap zones ranked by uncovered demand; click one to see it.',
    'gaps.title': 'Ranked gap zones',
    'gaps.total': '{zones} zones, coverage {pct}',
    'grids.nomatch': 'No matching grid.',
    'grids.hint': 'Search a grid by code or name, or click a grid on the map.',
    'grids.score': 'score',
    'assign.accepted': 'Accepted',
    'grids.nomembers': 'No part-time grid members yet.',
    'assign.accept': 'Accept',
    'assign.decline': 'Decline',
    'grids.noproposals': 'No open proposals.',
    'grids.nocandidates': 'No candidate couriers.',
    'grids.figures': 'time in grid {time} ({hours} h) · {days}/{total} days · dwell {dwell} · stability {stab}',
    'grids.roster.csv': 'Roster CSV',
    'grids.roster.geojson': 'Roster GeoJSON',
    'grids.members': 'Part-time grid members',
    'grids.proposals': 'Open proposals',
    'grids.candidates': 'Ranked candidate couriers',
    'assign.propose': 'Propose for this grid',
    'grids.search': 'Find a grid',
    'grids.search.ph': 'code or name',
    'assign.proposed': 'Proposed {n} courier(s) (proposal #{id}).',
    'assign.accepted.msg': 'Accepted; the roster is updated.',
    'assign.declined.msg': 'Declined.',
    'auth.bad': 'The token is invalid or revoked.',
    'auth.switch': 'Switch role',
    'auth.title': 'Log in to hexcover',
    'auth.hint': 'Enter an access token, or pick a demo account.',
    'auth.token': 'Access token',
    'auth.submit': 'Log in',
    'auth.demo': 'Demo accounts (one click)',
    'auth.demo.admin': 'Demo: admin',
    'auth.demo.planner': 'Demo: planner',
    'auth.demo.leader': 'Demo: district leader',
    'auth.demo.grid_manager': 'Demo: grid manager',
    'role.admin': 'Admin',
    'role.planner': 'Planner',
    'role.leader': 'District leader',
    'role.grid_manager': 'Grid manager',
    'legend.activity.note': 'Colours follow the chosen metric and hours',
    'legend.gaps': 'Demand without a station nearby',
    'layer.gaps': 'Coverage gaps',
    'metric.rider_hours': 'Rider-hours',
    'metric.riders': 'Riders',
    'metric.pings': 'Pings',
    'metric.dwell': 'Dwell time',
    'unit.rider_hours': 'rider-hours',
    'unit.riders': 'riders',
    'unit.pings': 'pings',
    'unit.dwell_hours': 'hours',
    'tod.all': 'All day',
    'tod.breakfast': 'Breakfast',
    'tod.lunch': 'Lunch',
    'tod.dinner': 'Dinner',
    'tod.night': 'Night',
    'tod.peak': 'Lunch+dinner',
    'days.all': 'Whole week',
    'days.weekday': 'Weekdays',
    'days.weekend': 'Weekend',
    'level.street': 'Street',
    'level.community': 'Community',
    'level.district': 'District',
  },
};

let current = DEFAULT_LANG;
const listeners = new Set();

function normalize(lang) {
  if (!lang) return null;
  const l = String(lang).toLowerCase();
  if (l.startsWith('zh')) return 'zh';
  if (l.startsWith('en')) return 'en';
  return null;
}

/** Picks the starting language: ?lang= in the URL, then localStorage, then Chinese. */
export function initLang() {
  const fromUrl = normalize(new URLSearchParams(location.search).get('lang'));
  let stored = null;
  try {
    stored = normalize(localStorage.getItem(STORAGE_KEY));
  } catch {
    // storage can be blocked (private mode); the URL still carries the choice
  }
  current = fromUrl || stored || DEFAULT_LANG;
  persist();
  return current;
}

export function getLang() {
  return current;
}

/** Switches the language, remembers it (localStorage + ?lang=) and notifies listeners. */
export function setLang(lang) {
  const l = normalize(lang);
  if (!l || l === current) return;
  current = l;
  persist();
  for (const fn of listeners) fn(current);
}

export function toggleLang() {
  setLang(current === 'zh' ? 'en' : 'zh');
}

/** Calls fn(lang) after every language change; returns an unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function persist() {
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch {
    // ignore
  }
  // Keep ?lang= in the URL; keep the #z/lat/lng hash MapLibre maintains.
  const url = new URL(location.href);
  if (url.searchParams.get('lang') !== current) {
    url.searchParams.set('lang', current);
    history.replaceState(history.state, '', url.href);
  }
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

/** Translates key, filling {name} placeholders from params. Unknown keys show as the key. */
export function t(key, params) {
  const dict = messages[current] || messages[DEFAULT_LANG];
  let s = dict[key] ?? messages[DEFAULT_LANG][key] ?? key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (params[name] ?? m).toString());
  }
  return s;
}

/** Translates a value from a known set (kind, status, amenity), falling back to the raw value. */
export function tValue(prefix, value) {
  if (value === undefined || value === null || value === '') return t('popup.unknown');
  const key = `${prefix}.${value}`;
  const dict = messages[current] || messages[DEFAULT_LANG];
  return key in dict ? dict[key] : String(value);
}

/** Formats a number for the current language. */
export function formatNumber(n, opts) {
  if (n === undefined || n === null || n === '' || Number.isNaN(Number(n))) return t('popup.unknown');
  return new Intl.NumberFormat(current === 'zh' ? 'zh-CN' : 'en-US', opts).format(Number(n));
}

/**
 * Fills every element under root that has data-i18n (text), data-i18n-title (title attribute)
 * or data-i18n-aria (aria-label) with its translation.
 */
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  document.title = t('app.title');
}
