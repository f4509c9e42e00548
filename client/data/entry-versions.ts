// A change counter per entry of a document's top-level map (the library's or `public`'s `workflows`):
// whatever changes inside an entry, from any device, bumps its number. Something derived from one
// workflow (its problems) is cached under that number and recomputed only when it moves, whereas
// updated_at cannot tell: two devices' concurrent edits merge into a workflow that neither timestamp
// describes.
import * as Y from 'yjs';
import { entryKeyOf, workflowsMap } from '../../shared/workflow/library-doc.js';
import { publicMap } from '../../shared/workflow/public-doc.js';

export class EntryVersions {
  private readonly versions = new Map<string, number>();
  private readonly onEvents = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>): void => {
    for (const event of events) {
      if (event instanceof Y.YMapEvent && event.target === this.map) {
        for (const key of event.keysChanged) this.bump(key);
      } else {
        const key = this.keyOf(event.target as Y.AbstractType<unknown>);
        if (key !== null) this.bump(key);
      }
    }
  };

  /**
   * `keyOf`: the entry a nested type belongs to (library-doc's entryKeyOf); `public` holds plain JSON
   * values, so only its map itself ever changes.
   */
  constructor(
    private readonly map: Y.Map<unknown>,
    private readonly keyOf: (type: Y.AbstractType<unknown>) => string | null = () => null,
  ) {
    map.observeDeep(this.onEvents);
  }

  /** The entry's current number: equal numbers mean nothing in the entry changed in between. */
  version(id: string): number {
    return this.versions.get(id) ?? 0;
  }

  private bump(id: string): void {
    this.versions.set(id, this.version(id) + 1);
  }
}

// One counter set per document, made on first use and kept as long as the document: every cache of
// the same document reads the same numbers, and the observer costs a short walk per change.
const libraryVersions = new WeakMap<Y.Doc, EntryVersions>();
const publicVersions = new WeakMap<Y.Doc, EntryVersions>();

/** The entry versions of a library document's `workflows`. */
export function libraryEntryVersions(doc: Y.Doc): EntryVersions {
  let versions = libraryVersions.get(doc);
  if (!versions) {
    versions = new EntryVersions(workflowsMap(doc) as Y.Map<unknown>, (type) => entryKeyOf(doc, type));
    libraryVersions.set(doc, versions);
  }
  return versions;
}

/** The entry versions of `public`'s `workflows` (plain JSON values, replaced whole). */
export function publicEntryVersions(doc: Y.Doc): EntryVersions {
  let versions = publicVersions.get(doc);
  if (!versions) {
    versions = new EntryVersions(publicMap(doc));
    publicVersions.set(doc, versions);
  }
  return versions;
}
