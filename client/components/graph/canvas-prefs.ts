// The canvas settings a user keeps between workflows and visits (InvokeAI keeps them too): snap to
// grid and the minimap. Stored in this browser only; a browser that refuses storage (private mode,
// quota) just starts from the defaults every time.
export interface CanvasPrefs {
  snap: boolean;
  minimap: boolean;
}

const KEY = 'flowshelf.canvas';
const DEFAULTS: CanvasPrefs = { snap: false, minimap: true };

export function loadCanvasPrefs(): CanvasPrefs {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return { ...DEFAULTS };
    const r = raw as Record<string, unknown>;
    return {
      snap: typeof r.snap === 'boolean' ? r.snap : DEFAULTS.snap,
      minimap: typeof r.minimap === 'boolean' ? r.minimap : DEFAULTS.minimap,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveCanvasPrefs(prefs: CanvasPrefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // Storage refused: the setting lasts as long as the page.
  }
}
