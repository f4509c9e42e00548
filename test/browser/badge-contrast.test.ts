// Every badge of the app keeps a contrast of at least 4.5:1 (WCAG AA for small text) between its text
// and its background, in the light and the dark scheme. Computed from the sources the browser uses:
// the design tokens (CSS custom properties) of client/public/index.html, and every `.badge` rule of
// every component the app defines (found by recording customElements.define while the app loads, so
// a component added later is covered without touching this test).
import { expect } from 'chai';
import { sharedStyles } from '../../client/components/shared-styles.js';
import type { CSSResultOrNative } from 'lit';

type Tokens = Map<string, string>;

const MIN_CONTRAST = 4.5;

/** The :root tokens of index.html: light, and dark (light overridden by the dark media block). */
async function tokens(): Promise<{ light: Tokens; dark: Tokens }> {
  const page = await (await fetch('/client/public/index.html')).text();
  const doc = new DOMParser().parseFromString(page, 'text/html');
  const sheet = new CSSStyleSheet();
  sheet.replaceSync([...doc.querySelectorAll('style')].map((s) => s.textContent).join('\n'));
  const light: Tokens = new Map();
  const dark: Tokens = new Map();
  const collect = (rule: CSSStyleRule, into: Tokens) => {
    for (const prop of Array.from(rule.style)) if (prop.startsWith('--')) into.set(prop, rule.style.getPropertyValue(prop).trim());
  };
  for (const rule of Array.from(sheet.cssRules)) {
    if (rule instanceof CSSStyleRule && rule.selectorText === ':root') collect(rule, light);
    if (rule instanceof CSSMediaRule && rule.conditionText.includes('prefers-color-scheme: dark')) {
      for (const inner of Array.from(rule.cssRules)) if (inner instanceof CSSStyleRule && inner.selectorText === ':root') collect(inner, dark);
    }
  }
  return { light, dark: new Map([...light, ...dark]) };
}

/** Every component class the app defines, recorded while the app's modules load. */
async function appComponents(): Promise<CustomElementConstructor[]> {
  const defined: CustomElementConstructor[] = [];
  const define = customElements.define.bind(customElements);
  customElements.define = (name, ctor, options) => {
    defined.push(ctor);
    define(name, ctor, options);
  };
  try {
    await import('../../client/components/app/flowshelf-app.js');
  } finally {
    customElements.define = define;
  }
  return defined;
}

interface BadgeRule {
  selector: string;
  background?: string;
  color?: string;
}

function badgeRules(styles: CSSResultOrNative[]): BadgeRule[] {
  const out: BadgeRule[] = [];
  const walk = (rules: CSSRuleList) => {
    for (const rule of Array.from(rules)) {
      if (rule instanceof CSSMediaRule) walk(rule.cssRules);
      if (!(rule instanceof CSSStyleRule)) continue;
      for (const selector of rule.selectorText.split(',').map((s) => s.trim())) {
        if (!/\.badge\b/.test(selector)) continue;
        const background = rule.style.getPropertyValue('background-color') || rule.style.getPropertyValue('background');
        const color = rule.style.getPropertyValue('color');
        out.push({ selector, ...(background ? { background: background.trim() } : {}), ...(color ? { color: color.trim() } : {}) });
      }
    }
  };
  for (const style of styles) {
    const sheet = style instanceof CSSStyleSheet ? style : new CSSStyleSheet();
    if (!(style instanceof CSSStyleSheet)) sheet.replaceSync(style.cssText);
    walk(sheet.cssRules);
  }
  return out;
}

/** A CSS colour value with var() references resolved against the tokens, as the browser's rgb(). */
function resolveColor(value: string, t: Tokens): [number, number, number] {
  let v = value;
  for (let i = 0; i < 10 && v.includes('var('); i++) {
    v = v.replace(/var\(\s*(--[\w-]+)\s*(?:,\s*([^)]+))?\)/g, (_m, name: string, fallback?: string) => {
      const token = t.get(name) ?? fallback;
      if (token === undefined) throw new Error(`${value}: ${name} is not defined in index.html`);
      return token;
    });
  }
  const probe = document.createElement('span');
  probe.style.color = v;
  if (!probe.style.color) throw new Error(`${value} is not a colour`);
  document.body.append(probe);
  const rgb = getComputedStyle(probe).color;
  probe.remove();
  const m = /rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)/.exec(rgb);
  if (!m) throw new Error(`unexpected computed colour ${rgb}`);
  if (m[4] !== undefined && Number(m[4]) < 1) throw new Error(`${value} is translucent: its contrast depends on what is behind`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** WCAG 2 relative luminance and contrast ratio. */
function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
export function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('badge colours', () => {
  it('computes contrast as WCAG does (white on the old green was 4.37:1)', () => {
    expect(contrast([255, 255, 255], [0x2b, 0x8a, 0x3e])).to.be.closeTo(4.37, 0.01);
    expect(contrast([0, 0, 0], [255, 255, 255])).to.equal(21);
  });

  it('every badge of every component has text and background at least 4.5:1 apart, light and dark', async () => {
    const { light, dark } = await tokens();
    const components = await appComponents();
    const styles = [sharedStyles, ...components.flatMap((c) => (c as unknown as { elementStyles?: CSSResultOrNative[] }).elementStyles ?? [])];
    const rules = badgeRules(styles);
    const base = rules.filter((r) => r.selector === '.badge');
    const baseBackground = base.map((r) => r.background).find(Boolean);
    const baseColor = base.map((r) => r.color).find(Boolean);
    expect(baseBackground, 'the .badge rule sets a background').to.be.a('string');
    expect(baseColor, 'the .badge rule sets a colour').to.be.a('string');
    const variants = new Map<string, { background: string; color: string }>();
    for (const r of rules) {
      const prev = variants.get(r.selector) ?? { background: baseBackground!, color: baseColor! };
      variants.set(r.selector, { background: r.background ?? prev.background, color: r.color ?? prev.color });
    }
    // The variants this app has today must all be among those checked (a sanity check on the walk).
    for (const known of ['.badge', '.badge.default', '.badge.invalid', '.badge.withheld', '.badge.problems']) expect([...variants.keys()]).to.include(known);

    const measured: string[] = [];
    const tooLow: string[] = [];
    for (const [scheme, t] of [['light', light], ['dark', dark]] as const) {
      for (const [selector, { background, color }] of variants) {
        const ratio = contrast(resolveColor(color, t), resolveColor(background, t));
        const line = `${scheme} ${selector}: ${color} on ${background} = ${ratio.toFixed(2)}:1`;
        measured.push(line);
        if (ratio < MIN_CONTRAST) tooLow.push(line);
      }
    }
    expect(tooLow, `under ${MIN_CONTRAST}:1; all measured:\n${measured.join('\n')}`).to.deep.equal([]);
  });
});
