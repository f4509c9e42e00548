// The `shared` tag rule (reference §2, PATCH /is_public): a public workflow carries the tag `shared`,
// a private one does not.
//
// is_public is the source of truth. Every read derives the tag from it and every write sets it, so two
// devices that concurrently change is_public and the tags string can never leave them disagreeing
// (contract §5): whichever tags string wins the merge, the reader re-applies the rule.
//
// Decisions where InvokeAI is silent or quirky:
// - The tag is matched case-insensitively ("Shared", "SHARED" count as the tag). InvokeAI compares
//   exactly, but its tag filters match case-insensitively (SQL LIKE), so a private workflow tagged
//   "Shared" would show up under the `shared` filter and contradict is_public.
// - A tags string that already obeys the rule is returned unchanged, spacing included: InvokeAI only
//   normalizes when it toggles is_public, and deriving on every read must not rewrite user text.
// - When the rule must change the string it is normalized like InvokeAI does it: split on ',', trim,
//   drop empties, rejoin with ', '. A variant spelling of the tag is replaced in place by `shared`;
//   a missing tag is appended.

export const SHARED_TAG = 'shared';

export function splitTags(tags: string): string[] {
  return tags
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

export function joinTags(list: string[]): string {
  return list.join(', ');
}

function isSharedTag(tag: string): boolean {
  return tag.toLowerCase() === SHARED_TAG;
}

/** Whether the tags string carries the `shared` tag (any case). */
export function hasSharedTag(tags: string): boolean {
  return splitTags(tags).some(isSharedTag);
}

/** The tags string made to agree with is_public (see the rules above). */
export function withSharedTag(tags: string, isPublic: boolean): string {
  const list = splitTags(tags);
  const variants = list.filter(isSharedTag);
  if (isPublic && variants.length === 1 && variants[0] === SHARED_TAG) return tags;
  if (!isPublic && variants.length === 0) return tags;
  const first = list.findIndex(isSharedTag);
  const rest = list.filter((tag) => !isSharedTag(tag));
  if (isPublic) {
    // Keep the tag where the user had it; append when it was absent.
    rest.splice(first === -1 ? rest.length : first, 0, SHARED_TAG);
  }
  return joinTags(rest);
}
