// Limits on what one client update may add to a document, checked BEFORE Y.applyUpdate (contract §3).
//
// Yjs accepts anything its encoding can carry, and several paths recurse once per nesting level: Yjs
// deleting or garbage-collecting a type (Item.delete → ContentType.delete → …, Item.gc → …), lib0's
// readAny/writeAny, JSON.stringify. A type nested 50,000 levels deep, once integrated, makes any of
// them overflow the stack (a REST delete of the entry, a compaction, a restart), and nothing can take
// it out again safely. So an update that would create one is refused before it is integrated, as is
// one that carries a single value too large for a workflow.
//
// The check reads the update's structs itself, with lib0's primitive readers and no recursion (Yjs'
// own decodeUpdate reads plain values with the recursive readAny), and works out where every new item
// would land:
// - an item whose parent is encoded names a root type (level 0) or a type item by ID, found in the
//   update itself or in the document's store;
// - an item whose parent is left out (Yjs omits it when the item has a left or right origin) lands
//   under the parent of that neighbour, found the same way;
// so every item's level follows from others, resolved with an explicit stack. Structs still pending
// in the document (waiting for state from another update) are read along with the update, so a deep
// chain cannot be sent in two halves, the lower one first. An item whose parent cannot be found yet
// counts as if its parent were a root type: it is checked again with the update that completes it.
// Items the document has already (a client resending its state) are not checked: they add nothing.
// Deletions are checked too: one update may not delete a stored type with content nested more than
// SAFE_DELETE_DEPTH levels below it (only documents stored before these limits have such content).
//
// Only v1 updates are read: the sync protocol (y-websocket) carries v1 only (Yjs' pending structs,
// kept in v2, are converted first).
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { MAX_DOCUMENT_DEPTH, MAX_VALUE_BYTES } from '../../shared/workflow/limits.js';
import { SAFE_DELETE_DEPTH } from '../../shared/workflow/yjson.js';

export interface UpdateLimits {
  /** Deepest level a type or a plain value may reach below its root type (the root type is 0). */
  maxDepth: number;
  /** Largest string, binary, key, plain value or JSON string one update may carry, in bytes. */
  maxValueBytes: number;
}

export const DEFAULT_UPDATE_LIMITS: UpdateLimits = { maxDepth: MAX_DOCUMENT_DEPTH, maxValueBytes: MAX_VALUE_BYTES };

export type UpdateCheck = { ok: true } | { ok: false; refusal: 'too-large' | 'malformed'; reason: string };

class Refusal extends Error {
  constructor(
    readonly refusal: 'too-large' | 'malformed',
    reason: string,
  ) {
    super(reason);
  }
}

interface StructId {
  client: number;
  clock: number;
}

/** One struct of an update, with what the check needs and nothing of its content. */
interface DecodedStruct {
  client: number;
  clock: number;
  length: number;
  /** False for GC and Skip structs (no parent, no content). */
  isItem: boolean;
  /** 'root': a root type; an ID: a type item; null: left out, the origins' parent. */
  parent: StructId | 'root' | null;
  origin: StructId | null;
  rightOrigin: StructId | null;
  /** The item's content is a type (Y.Map, Y.Array, …): it is one level below its parent. */
  isType: boolean;
  /** Deepest nesting of the plain values it carries (an object or array is 1, a scalar 0). */
  valueDepth: number;
}

// Bits of a struct's info byte (Yjs' encoding: lib0/binary BIT8, BIT7, BIT6, BITS5).
const HAS_ORIGIN = 0x80;
const HAS_RIGHT_ORIGIN = 0x40;
const HAS_PARENT_SUB = 0x20;
const CONTENT_REF = 0x1f;

// Content refs (Yjs' contentRefs) and type refs (Yjs' typeRefs).
const GC_REF = 0;
const SKIP_REF = 10;
const TYPE_REF_XML_ELEMENT = 3;
const TYPE_REF_XML_HOOK = 5;
const LAST_TYPE_REF = 6;

// lib0's writeAny tags.
const ANY_UNDEFINED = 127;
const ANY_NULL = 126;
const ANY_INTEGER = 125;
const ANY_FLOAT32 = 124;
const ANY_FLOAT64 = 123;
const ANY_BIGINT = 122;
const ANY_FALSE = 121;
const ANY_TRUE = 120;
const ANY_STRING = 119;
const ANY_OBJECT = 118;
const ANY_ARRAY = 117;
const ANY_BINARY = 116;

/** Reads one update's structs; every read is bounds-checked, every loop consumes input. */
class StructReader {
  private readonly decoder: decoding.Decoder;

  constructor(
    update: Uint8Array,
    private readonly limits: UpdateLimits,
  ) {
    this.decoder = decoding.createDecoder(update);
  }

  readStructs(out: DecodedStruct[]): void {
    const clients = this.count();
    for (let c = 0; c < clients; c++) {
      const structs = this.count();
      const client = this.uint();
      let clock = this.uint();
      for (let s = 0; s < structs; s++) {
        const struct = this.readStruct(client, clock);
        out.push(struct);
        clock += struct.length;
      }
    }
  }

  /** The delete set that follows the structs: every range of (client, clock, length) it deletes. */
  readDeleteSet(): Array<{ client: number; clock: number; length: number }> {
    const ranges: Array<{ client: number; clock: number; length: number }> = [];
    const clients = this.count();
    for (let c = 0; c < clients; c++) {
      const client = this.uint();
      const deletes = this.count();
      for (let d = 0; d < deletes; d++) ranges.push({ client, clock: this.uint(), length: this.uint() });
    }
    return ranges;
  }

  private readStruct(client: number, clock: number): DecodedStruct {
    const info = this.byte();
    const ref = info & CONTENT_REF;
    const struct: DecodedStruct = {
      client,
      clock,
      length: 0,
      isItem: false,
      parent: null,
      origin: null,
      rightOrigin: null,
      isType: false,
      valueDepth: 0,
    };
    if (ref === GC_REF || ref === SKIP_REF) {
      struct.length = this.uint();
      return struct;
    }
    struct.isItem = true;
    if ((info & HAS_ORIGIN) !== 0) struct.origin = this.id();
    if ((info & HAS_RIGHT_ORIGIN) !== 0) struct.rightOrigin = this.id();
    if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
      if (this.uint() === 1) {
        this.skipString('a root type name');
        struct.parent = 'root';
      } else {
        struct.parent = this.id();
      }
      if ((info & HAS_PARENT_SUB) !== 0) this.skipString('a map key');
    }
    this.readContent(ref, struct);
    return struct;
  }

  /** Reads the content of an item, setting its length (Yjs' clock units), isType and valueDepth. */
  private readContent(ref: number, struct: DecodedStruct): void {
    switch (ref) {
      case 1: // ContentDeleted
        struct.length = this.uint();
        return;
      case 2: {
        // ContentJSON: strings of JSON (or 'undefined'), parsed by Yjs with JSON.parse.
        const count = this.count();
        for (let i = 0; i < count; i++) struct.valueDepth = Math.max(struct.valueDepth, this.jsonStringDepth('a JSON value'));
        struct.length = count;
        return;
      }
      case 3: // ContentBinary
        this.skipBytes('binary data');
        struct.length = 1;
        return;
      case 4: // ContentString: its length is the string's UTF-16 length, which only decoding tells.
        struct.length = this.string('a string').length;
        return;
      case 5: // ContentEmbed
        struct.valueDepth = this.jsonStringDepth('an embed');
        struct.length = 1;
        return;
      case 6: // ContentFormat
        this.skipString('a format key');
        struct.valueDepth = this.jsonStringDepth('a format value');
        struct.length = 1;
        return;
      case 7: {
        // ContentType
        const typeRef = this.uint();
        if (typeRef > LAST_TYPE_REF) throw new Refusal('malformed', `unknown type ${typeRef}`);
        if (typeRef === TYPE_REF_XML_ELEMENT || typeRef === TYPE_REF_XML_HOOK) this.skipString('an XML node name');
        struct.isType = true;
        struct.length = 1;
        return;
      }
      case 8: {
        // ContentAny
        const count = this.count();
        for (let i = 0; i < count; i++) struct.valueDepth = Math.max(struct.valueDepth, this.anyDepth());
        struct.length = count;
        return;
      }
      case 9: // ContentDoc: a subdocument's guid and options
        this.skipString('a subdocument id');
        struct.valueDepth = this.anyDepth();
        struct.length = 1;
        return;
      default:
        throw new Refusal('malformed', `unknown content ${ref}`);
    }
  }

  /**
   * Reads one lib0 "any" value without building it and returns its nesting (0 for a scalar). Its size
   * counts against the value limit: a string's UTF-8 bytes, any other value's encoded bytes.
   */
  private anyDepth(): number {
    const start = this.decoder.pos;
    // Open containers: entries left to read, and whether each entry starts with a key.
    const open: Array<{ left: number; keyed: boolean }> = [];
    let depth = 0;
    do {
      const top = open[open.length - 1];
      if (top !== undefined) {
        if (top.left === 0) {
          open.pop();
          continue;
        }
        top.left--;
        if (top.keyed) this.skipString('a key');
      }
      const tag = this.byte();
      switch (tag) {
        case ANY_UNDEFINED:
        case ANY_NULL:
        case ANY_FALSE:
        case ANY_TRUE:
          break;
        case ANY_INTEGER:
          decoding.readVarInt(this.decoder);
          break;
        case ANY_FLOAT32:
          this.skip(4);
          break;
        case ANY_FLOAT64:
        case ANY_BIGINT:
          this.skip(8);
          break;
        case ANY_STRING:
          this.skipString('a string');
          // A string on its own counts by its UTF-8 bytes, as REST counts it, not with its header.
          if (open.length === 0) return 0;
          break;
        case ANY_BINARY:
          this.skipBytes('binary data');
          break;
        case ANY_OBJECT:
        case ANY_ARRAY:
          open.push({ left: this.count(), keyed: tag === ANY_OBJECT });
          depth = Math.max(depth, open.length);
          if (depth > this.limits.maxDepth) throw new Refusal('too-large', `a value nested deeper than ${this.limits.maxDepth} levels`);
          break;
        default:
          throw new Refusal('malformed', `unknown value tag ${tag}`);
      }
    } while (open.length > 0);
    if (this.decoder.pos - start > this.limits.maxValueBytes) {
      throw new Refusal('too-large', `a value of ${this.decoder.pos - start} bytes (at most ${this.limits.maxValueBytes})`);
    }
    return depth;
  }

  /** Nesting of a JSON string ('undefined' included), by scanning it: JSON.parse builds it later. */
  private jsonStringDepth(what: string): number {
    const text = this.string(what);
    let depth = 0;
    let open = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (inString) {
        if (char === 0x5c) i++; // backslash: the next character is escaped
        else if (char === 0x22) inString = false;
      } else if (char === 0x22) inString = true;
      else if (char === 0x5b || char === 0x7b) {
        open++;
        if (open > depth) depth = open;
      } else if (char === 0x5d || char === 0x7d) open--;
    }
    if (depth > this.limits.maxDepth) throw new Refusal('too-large', `${what} nested deeper than ${this.limits.maxDepth} levels`);
    return depth;
  }

  private id(): StructId {
    return { client: this.uint(), clock: this.uint() };
  }

  private uint(): number {
    return decoding.readVarUint(this.decoder);
  }

  /** A count of things that follow: each takes at least a byte, so more than the bytes left is malformed. */
  private count(): number {
    const count = this.uint();
    if (count > this.decoder.arr.length - this.decoder.pos) throw new Refusal('malformed', 'a count beyond the end of the update');
    return count;
  }

  private byte(): number {
    if (this.decoder.pos >= this.decoder.arr.length) throw new Refusal('malformed', 'unexpected end of the update');
    return decoding.readUint8(this.decoder);
  }

  private skip(bytes: number): void {
    if (bytes > this.decoder.arr.length - this.decoder.pos) throw new Refusal('malformed', 'unexpected end of the update');
    this.decoder.pos += bytes;
  }

  /** Skips a length-prefixed byte string (a string's UTF-8 bytes, or binary data), after the size check. */
  private skipBytes(what: string): void {
    this.skip(this.sized(what));
  }

  private skipString(what: string): void {
    this.skipBytes(what);
  }

  private string(what: string): string {
    const bytes = this.sized(what);
    if (bytes > this.decoder.arr.length - this.decoder.pos) throw new Refusal('malformed', 'unexpected end of the update');
    const view = this.decoder.arr.subarray(this.decoder.pos, this.decoder.pos + bytes);
    this.decoder.pos += bytes;
    return utf8.decode(view);
  }

  private sized(what: string): number {
    const bytes = this.uint();
    if (bytes > this.limits.maxValueBytes) throw new Refusal('too-large', `${what} of ${bytes} bytes (at most ${this.limits.maxValueBytes})`);
    return bytes;
  }
}

const utf8 = new TextDecoder();

/** The structs of the update followed by those pending in the doc, each client's sorted by clock. */
function decodeAll(
  doc: Y.Doc,
  update: Uint8Array,
  limits: UpdateLimits,
): { structs: DecodedStruct[]; byClient: Map<number, DecodedStruct[]>; deletes: Array<{ client: number; clock: number; length: number }> } {
  const structs: DecodedStruct[] = [];
  const reader = new StructReader(update, limits);
  reader.readStructs(structs);
  const deletes = reader.readDeleteSet();
  const pending = doc.store.pendingStructs?.update;
  // Yjs keeps pending structs in the v2 encoding. They passed this check when they arrived, so their
  // values are within the limits and converting them (Yjs reads values recursively) is safe.
  if (pending !== undefined) {
    const unlimited = { maxDepth: Number.MAX_SAFE_INTEGER, maxValueBytes: Number.MAX_SAFE_INTEGER };
    new StructReader(Y.convertUpdateFormatV2ToV1(pending), unlimited).readStructs(structs);
  }
  const byClient = new Map<number, DecodedStruct[]>();
  for (const struct of structs) {
    if (struct.length === 0) continue;
    let list = byClient.get(struct.client);
    if (list === undefined) byClient.set(struct.client, (list = []));
    list.push(struct);
  }
  for (const list of byClient.values()) list.sort((a, b) => a.clock - b.clock);
  return { structs, byClient, deletes };
}

/**
 * Refuses deleting, in one update, a type with live content nested more than SAFE_DELETE_DEPTH levels
 * below it: Yjs would recurse through all of it (only a document stored before the limits can hold
 * such content; the app and the API take it apart in steps, see pruneDeepTypes). Looks only at types
 * the store holds, each subtree once, without recursion.
 */
function checkDeletions(doc: Y.Doc, deletes: Array<{ client: number; clock: number; length: number }>): void {
  // Height of each type's live content (0: no type inside), shared by every range: a type deleted with
  // its ancestor in the same update is measured once.
  const height = new Map<Y.AbstractType<unknown>, number>();
  for (const range of deletes) {
    const structs = doc.store.clients.get(range.client);
    if (structs === undefined || range.clock >= Y.getState(doc.store, range.client) || range.length === 0) continue;
    const end = range.clock + range.length;
    for (let i = Y.findIndexSS(structs, range.clock); i < structs.length && structs[i]!.id.clock < end; i++) {
      const struct = structs[i]!;
      if (!(struct instanceof Y.Item) || struct.deleted || !(struct.content instanceof Y.ContentType)) continue;
      const root = struct.content.type as Y.AbstractType<unknown>;
      // Post-order without recursion: a type is measured once all its child types are.
      const stack: Y.AbstractType<unknown>[] = [root];
      while (stack.length > 0) {
        const type = stack[stack.length - 1]!;
        if (height.has(type)) {
          stack.pop();
          continue;
        }
        const children = liveChildTypes(type);
        const unmeasured = children.filter((child) => !height.has(child));
        if (unmeasured.length > 0) {
          for (const child of unmeasured) stack.push(child);
          continue;
        }
        const own = children.reduce((highest, child) => Math.max(highest, height.get(child)! + 1), 0);
        if (own > SAFE_DELETE_DEPTH) {
          throw new Refusal('too-large', `deletes content nested more than ${SAFE_DELETE_DEPTH} levels deep at once`);
        }
        height.set(type, own);
        stack.pop();
      }
    }
  }
}

/** The types directly inside a type, not deleted. */
function liveChildTypes(type: Y.AbstractType<unknown>): Y.AbstractType<unknown>[] {
  const out: Y.AbstractType<unknown>[] = [];
  const visit = (item: Y.Item | null): void => {
    if (item !== null && !item.deleted && item.content instanceof Y.ContentType) out.push(item.content.type as Y.AbstractType<unknown>);
  };
  for (const item of type._map.values()) visit(item);
  for (let item = type._start; item !== null; item = item.right) visit(item);
  return out;
}

/** The decoded struct covering an ID, if any (binary search in its client's sorted list). */
function findDecoded(byClient: Map<number, DecodedStruct[]>, id: StructId): DecodedStruct | null {
  const list = byClient.get(id.client);
  if (list === undefined) return null;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const struct = list[mid]!;
    if (id.clock < struct.clock) hi = mid - 1;
    else if (id.clock >= struct.clock + struct.length) lo = mid + 1;
    else return struct;
  }
  return null;
}

/**
 * Checks an update from a client against the limits, before it is applied to `doc`. Never throws and
 * never changes the doc. 'malformed': the update cannot be read (Yjs would refuse it too);
 * 'too-large': it would nest something deeper than maxDepth or carries a value over maxValueBytes.
 */
export function checkClientUpdate(doc: Y.Doc, update: Uint8Array, limits: UpdateLimits = DEFAULT_UPDATE_LIMITS): UpdateCheck {
  try {
    const { structs, byClient, deletes } = decodeAll(doc, update, limits);
    new Placement(doc, byClient).check(structs, limits.maxDepth);
    checkDeletions(doc, deletes);
    return { ok: true };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, refusal: error.refusal, reason: error.message };
    // lib0's readers throw on a varint out of range or past the end: an unreadable update.
    return { ok: false, refusal: 'malformed', reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Works out the level of every new item's parent, from the update, the pending structs and the store. */
class Placement {
  private readonly store: Y.Doc['store'];
  /** Level of each decoded item's parent, once known. */
  private readonly parentLevel = new Map<DecodedStruct, number>();
  /** Level of each stored type. */
  private readonly typeLevel = new Map<Y.AbstractType<unknown>, number>();

  constructor(
    doc: Y.Doc,
    private readonly byClient: Map<number, DecodedStruct[]>,
  ) {
    this.store = doc.store;
  }

  check(structs: DecodedStruct[], maxDepth: number): void {
    for (const struct of structs) {
      if (!struct.isItem || struct.clock + struct.length <= Y.getState(this.store, struct.client)) continue;
      // Only what nests counts: a scalar adds no level (and may still be written into a type of a
      // document stored too deep before these limits existed).
      const added = Math.max(struct.isType ? 1 : 0, struct.valueDepth);
      if (added === 0) continue;
      const level = this.resolve(struct) + added;
      if (level > maxDepth) throw new Refusal('too-large', `content nested ${level} levels deep (at most ${maxDepth})`);
    }
  }

  /** The parent level of `start`, resolving the items it depends on first, without recursion. */
  private resolve(start: DecodedStruct): number {
    const known = this.parentLevel.get(start);
    if (known !== undefined) return known;
    const stack: DecodedStruct[] = [start];
    const onStack = new Set<DecodedStruct>(stack);
    while (stack.length > 0) {
      const item = stack[stack.length - 1]!;
      let level = 0;
      let next: DecodedStruct | null = null;
      for (const dependency of this.dependencies(item)) {
        if (typeof dependency === 'number') {
          level = Math.max(level, dependency);
          continue;
        }
        const resolved = this.parentLevel.get(dependency.on);
        if (resolved !== undefined) level = Math.max(level, resolved + dependency.plus);
        // A cycle (only a hostile update has one; Yjs never integrates it): unknown, counts as 0.
        else if (!onStack.has(dependency.on)) {
          next = dependency.on;
          break;
        }
      }
      if (next !== null) {
        stack.push(next);
        onStack.add(next);
        continue;
      }
      this.parentLevel.set(item, level);
      stack.pop();
      onStack.delete(item);
    }
    return this.parentLevel.get(start)!;
  }

  /**
   * Where an item's parent level comes from: known levels (numbers), or another decoded item (its
   * parent level, plus 1 when that item is the parent type itself).
   */
  private dependencies(item: DecodedStruct): Array<number | { on: DecodedStruct; plus: number }> {
    if (item.parent === 'root') return [0];
    if (item.parent !== null) {
      const stored = this.storedStruct(item.parent);
      if (stored !== undefined) {
        return stored instanceof Y.Item && stored.content instanceof Y.ContentType ? [this.levelOfType(stored.content.type)] : [0];
      }
      const decoded = findDecoded(this.byClient, item.parent);
      return decoded !== null && decoded.isType ? [{ on: decoded, plus: 1 }] : [0];
    }
    const out: Array<number | { on: DecodedStruct; plus: number }> = [];
    // Yjs takes the parent of the left neighbour, else of the right one: both are counted.
    for (const neighbour of [item.origin, item.rightOrigin]) {
      if (neighbour === null) continue;
      const stored = this.storedStruct(neighbour);
      if (stored !== undefined) {
        out.push(stored instanceof Y.Item && stored.parent instanceof Y.AbstractType ? this.levelOfType(stored.parent) : 0);
        continue;
      }
      const decoded = findDecoded(this.byClient, neighbour);
      if (decoded !== null && decoded !== item && decoded.isItem) out.push({ on: decoded, plus: 0 });
    }
    return out;
  }

  /** The stored struct (Item or GC) covering an ID, undefined when the store has not got it. */
  private storedStruct(id: StructId): Y.Item | Y.GC | undefined {
    if (id.clock >= Y.getState(this.store, id.client)) return undefined;
    const structs = this.store.clients.get(id.client);
    if (structs === undefined) return undefined;
    return structs[Y.findIndexSS(structs, id.clock)];
  }

  /** The level of a stored type (a root type is 0), walking up iteratively and remembering the way. */
  private levelOfType(type: Y.AbstractType<unknown>): number {
    const path: Y.AbstractType<unknown>[] = [];
    let at: Y.AbstractType<unknown> | null = type;
    let base = 0;
    while (at !== null) {
      const known = this.typeLevel.get(at);
      if (known !== undefined) {
        base = known;
        break;
      }
      path.push(at);
      const parent: unknown = at._item?.parent ?? null;
      at = parent instanceof Y.AbstractType ? parent : null;
      if (at === null) base = -1; // `path`'s last entry is a root type: level 0
    }
    for (let i = path.length - 1; i >= 0; i--) this.typeLevel.set(path[i]!, ++base);
    return this.typeLevel.get(type)!;
  }
}
