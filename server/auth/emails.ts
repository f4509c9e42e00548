// Email addresses as account names: a deliberately simple, sound check (dot-atom local part, a domain
// of valid labels ending in an alphabetic TLD) plus the special-use names InvokeAI also accepts
// (`localhost`, `*.local`, `*.test`), normalised to lower case so lookups are case-insensitive.

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** The reason an address is refused, or null when it is acceptable. */
export function emailProblem(raw: string): string | null {
  const email = normalizeEmail(raw);
  if (email.length > 254) return 'must be at most 254 characters';
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return 'must be an email address like name@example.com';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local)) return 'has an invalid part before the @';
  if (domain === 'localhost') return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return 'has an invalid domain';
  if (!/^[a-z]{2,63}$/.test(labels[labels.length - 1]!)) return 'has an invalid domain';
  return null;
}
