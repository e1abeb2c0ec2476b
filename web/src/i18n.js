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
