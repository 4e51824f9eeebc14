/** Chart settings kept across reloads (localStorage: only display preferences, never data or tokens). */
import type { XAxis } from './views/scalar-chart.js';

export interface Settings {
  smoothing: number;
  xAxis: XAxis;
  logY: boolean;
  autoRefresh: boolean;
}

const KEY = 'store-console-settings';
const DEFAULTS: Settings = { smoothing: 0.6, xAxis: 'step', logY: false, autoRefresh: false };

export function loadSettings(): Settings {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Settings>;
    const s = { ...DEFAULTS, ...raw };
    if (!(s.smoothing >= 0 && s.smoothing < 1)) s.smoothing = DEFAULTS.smoothing;
    if (!['step', 'relative', 'wall'].includes(s.xAxis)) s.xAxis = 'step';
    return { smoothing: Number(s.smoothing), xAxis: s.xAxis, logY: s.logY === true, autoRefresh: s.autoRefresh === true };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(s: Settings): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}

export const PALETTE = ['#ff7043', '#1e88e5', '#43a047', '#8e24aa', '#fdd835', '#00acc1', '#e53935', '#6d4c41', '#3949ab', '#c0ca33', '#d81b60', '#00897b'];
