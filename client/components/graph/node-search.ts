// Searching node templates for the add-node popover: by title, type, tags and description, ranked so
// that what the user most likely means comes first (a title or type starting with the words typed,
// then a tag, then any mention). Every word typed must match somewhere.
import type { NodeTemplate } from '../../../shared/node-templates/index.js';

function wordStarts(text: string, term: string): boolean {
  return text.split(/[\s_\-–—/(),.]+/).some((w) => w.startsWith(term));
}

/** How well one word of the query matches a template; 0 = not at all. */
function termScore(t: NodeTemplate, term: string): number {
  const title = t.title.toLowerCase();
  const type = t.type.toLowerCase();
  if (title === term || type === term) return 100;
  if (title.startsWith(term)) return 80;
  if (type.startsWith(term)) return 70;
  if (wordStarts(title, term)) return 60;
  if (wordStarts(type, term)) return 55;
  const tags = t.tags.map((x) => x.toLowerCase());
  if (tags.includes(term)) return 50;
  if (title.includes(term) || type.includes(term)) return 40;
  if (tags.some((x) => x.includes(term)) || t.category.toLowerCase() === term) return 30;
  if (t.description.toLowerCase().includes(term)) return 10;
  return 0;
}

/** Deprecated and internal node types are offered last (InvokeAI marks them too). */
function demotion(t: NodeTemplate): number {
  return t.classification === 'deprecated' || t.classification === 'internal' ? 1 : 0;
}

/**
 * The templates matching `query`, best first (ties by title). An empty query lists everything by title.
 */
export function searchTemplates(templates: readonly NodeTemplate[], query: string): NodeTemplate[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  const scored: Array<{ t: NodeTemplate; score: number }> = [];
  for (const t of templates) {
    let score = 0;
    let all = true;
    for (const term of terms) {
      const s = termScore(t, term);
      if (s === 0) {
        all = false;
        break;
      }
      score += s;
    }
    if (!all) continue;
    // The words as typed, in order, weigh more than the same words scattered ("latents to image").
    const phrase = terms.join(' ');
    const title = t.title.toLowerCase();
    if (terms.length > 1 && title.startsWith(phrase)) score += 150;
    else if (terms.length > 1 && title.includes(phrase)) score += 100;
    scored.push({ t, score });
  }
  scored.sort((a, b) => demotion(a.t) - demotion(b.t) || b.score - a.score || a.t.title.localeCompare(b.t.title));
  return scored.map((s) => s.t);
}
