// Limits on what a document may hold (contract §3 and §4), shared by the server, which enforces them
// on every update a client sends and on every workflow the REST API accepts, and the app, which
// checks a workflow before writing it. Imports nothing.
//
// Why they exist: Yjs accepts anything its encoding can carry, and several of its own paths (deleting
// or garbage-collecting a type, toJSON) and of lib0 and V8 (readAny, writeAny, JSON.stringify) recurse
// once per nesting level. A document nested 50,000 levels deep stops any of them with a stack
// overflow, so depth is refused before an update is integrated, not after.

/**
 * How deep a type or a plain value may sit below its document's root type. The root type (a
 * document's `workflows` map) is level 0, a library entry 1, the workflow 2, its `nodes` array 3, a
 * node 4 and so on; a plain object or array inside a value adds one level per nesting. InvokeAI's
 * deepest default workflow reaches level 8 (the workflow itself nests 7 levels), so this leaves a
 * wide margin for real workflows and none for a hostile one.
 */
export const MAX_DOCUMENT_DEPTH = 64;

/**
 * Largest single value an update may carry, in bytes: a string (UTF-8), binary data, a map key, one
 * element of a plain-value insert (as encoded) or one JSON string. The longest string in InvokeAI's
 * default workflows is about 1 KB; a frame is at most 8 MiB by default, so without this one string
 * could take a frame (and every reader's memory) whole.
 */
export const MAX_VALUE_BYTES = 1024 * 1024;

/** UTF-8 length of a string, without allocating (the app has no Buffer). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * True when a string is longer than MAX_VALUE_BYTES in UTF-8. A UTF-16 code unit is at most 3 bytes,
 * so most strings are decided without a scan.
 */
export function isOverValueLimit(text: string): boolean {
  if (text.length * 3 <= MAX_VALUE_BYTES) return false;
  if (text.length > MAX_VALUE_BYTES) return true;
  return utf8Length(text) > MAX_VALUE_BYTES;
}
