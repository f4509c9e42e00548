// PostgreSQL's text refuses U+0000; SQLite's TEXT keeps it, and a client may put one in any name, tag or
// description. Text columns that queries compare, order or search (LIKE, lower()) cannot be bytea, so
// they hold the text through this escape instead:
//   U+0000 -> U+0001 U+0001,   U+0001 -> U+0001 U+0002,   every other character as itself.
// The code is prefix-free and keeps code-point order (U+0001 U+0001 < U+0001 U+0002 < any character
// from U+0002 on), so byte order, equality, lower() (A-Z only on "C") and the bounded name prefix of
// migration 0007 behave on escaped text as on the original. Patterns go through the same escape. One
// limit: a search for U+0002 alone also matches a U+0001 (the second half of its escape).
const NEEDS_ESCAPE = /[\u0000\u0001]/;
const ESCAPED = /\u0001[\u0001\u0002]/g;

export function escapeNul(text: string): string;
export function escapeNul(text: string | null): string | null;
export function escapeNul(text: string | null): string | null {
  if (text === null || !NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\u0000\u0001]/g, (c) => (c === '\u0000' ? '\u0001\u0001' : '\u0001\u0002'));
}

export function unescapeNul(text: string): string;
export function unescapeNul(text: string | null): string | null;
export function unescapeNul(text: string | null): string | null {
  if (text === null || !text.includes('\u0001')) return text;
  return text.replace(ESCAPED, (pair) => (pair === '\u0001\u0001' ? '\u0000' : '\u0001'));
}

/** The same escape in SQL, for rows written before it (migration 0007). */
export function escapeNulSql(column: string): string {
  return `replace(${column}, chr(1), chr(1) || chr(2))`;
}
