// This browser profile as a "device" of its user (HISTORY design): a random id kept in localStorage
// (`flowshelf.device`), so every tab of the profile is one device and a new profile is a new one, and
// a label people recognise ("Chrome on Linux") derived from the user agent. Versions, Save markers and
// presence name the device by both.
const DEVICE_KEY = 'flowshelf.device';

export interface Device {
  id: string;
  label: string;
}

/** The id must stay a short token (the server ignores a `last_save` whose device is anything else). */
const DEVICE_ID = /^[A-Za-z0-9._:~-]{1,100}$/;

/** "Chrome on Linux", "Firefox on Windows", "Safari on iPhone"; "Browser" when nothing is recognised. */
export function deviceLabel(userAgent: string): string {
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\/|Opera/.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : 'Browser';
  const system = /iPhone/.test(ua)
    ? 'iPhone'
    : /iPad/.test(ua)
      ? 'iPad'
      : /Android/.test(ua)
        ? 'Android'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Mac OS X|Macintosh/.test(ua)
            ? 'macOS'
            : /CrOS/.test(ua)
              ? 'ChromeOS'
              : /Linux/.test(ua)
                ? 'Linux'
                : '';
  return system ? `${browser} on ${system}` : browser;
}

let cached: Device | null = null;

/** This profile's device; made (and kept) on first use. */
export function currentDevice(): Device {
  if (cached) return cached;
  let id = '';
  try {
    id = localStorage.getItem(DEVICE_KEY) ?? '';
    if (!DEVICE_ID.test(id)) {
      id = crypto.randomUUID();
      localStorage.setItem(DEVICE_KEY, id);
    }
  } catch {
    // Storage refused (private mode quirks): one id for this page's life still tells tabs apart.
    id = id && DEVICE_ID.test(id) ? id : crypto.randomUUID();
  }
  cached = { id, label: deviceLabel(navigator.userAgent) };
  return cached;
}
