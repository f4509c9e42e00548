// What a field's widget shows and what an edit stores: numbers kept within the template's bounds and
// steps (InvokeAI clamps and rounds the same way), and the read-only chips for values this app has no
// picker for (models, images, boards, colours, collections), saying what the file holds.
import type { InputTemplate } from '../../../shared/node-templates/index.js';
import type { JsonValue } from '../../../shared/workflow/json.js';

export interface NumberBounds {
  min?: number;
  max?: number;
  step: number;
}

/** The smallest step of a float field without multipleOf (InvokeAI's float inputs step by 0.01). */
const FLOAT_STEP = 0.01;

export function numberBounds(t: InputTemplate | undefined, integer: boolean): NumberBounds {
  const step = t?.multipleOf ?? (integer ? 1 : FLOAT_STEP);
  let min = t?.minimum;
  let max = t?.maximum;
  // An exclusive bound becomes the nearest allowed value inside it.
  if (t?.exclusiveMinimum !== undefined) min = Math.max(min ?? -Infinity, t.exclusiveMinimum + step);
  if (t?.exclusiveMaximum !== undefined) max = Math.min(max ?? Infinity, t.exclusiveMaximum - step);
  const b: NumberBounds = { step };
  if (min !== undefined && Number.isFinite(min)) b.min = min;
  if (max !== undefined && Number.isFinite(max)) b.max = max;
  return b;
}

/**
 * The value to store for what was typed into a number field, or null when it is not a number. Integers
 * are rounded, a multipleOf is honoured (to its nearest multiple), and the result is kept within the bounds.
 */
export function coerceNumber(text: string, t: InputTemplate | undefined, integer: boolean): number | null {
  if (text.trim() === '') return null;
  let n = Number(text);
  if (!Number.isFinite(n)) return null;
  const b = numberBounds(t, integer);
  if (t?.multipleOf !== undefined) n = Math.round(n / t.multipleOf) * t.multipleOf;
  if (integer) n = Math.round(n);
  if (b.min !== undefined && n < b.min) n = stepUp(b.min, t?.multipleOf);
  if (b.max !== undefined && n > b.max) n = stepDown(b.max, t?.multipleOf);
  // Float steps such as 0.1 leave binary noise (0.30000000000000004): round to the step's decimals.
  const decimals = decimalsOf(b.step);
  return Number(n.toFixed(Math.min(decimals + 2, 12)));
}

function stepUp(v: number, multipleOf: number | undefined): number {
  return multipleOf ? Math.ceil(v / multipleOf) * multipleOf : v;
}

function stepDown(v: number, multipleOf: number | undefined): number {
  return multipleOf ? Math.floor(v / multipleOf) * multipleOf : v;
}

function decimalsOf(step: number): number {
  const s = String(step);
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** What a read-only chip says about a value: the model's name and base, the image's name, and so on. */
export function chipText(typeName: string | undefined, value: JsonValue | undefined): string {
  const kind = typeName ?? '';
  if (value === undefined || value === null || value === '') {
    if (/Model|LoRA/.test(kind)) return 'No model chosen';
    if (kind === 'ImageField') return 'No image';
    if (kind === 'VideoField') return 'No video';
    if (kind === 'BoardField') return 'Auto';
    return 'Not set';
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, 3).map((v) => chipText(undefined, v)).join(', ');
    const n = value.length;
    return n === 0 ? 'Empty collection' : `${n} item${n === 1 ? '' : 's'}: ${shown}${n > 3 ? ', …' : ''}`;
  }
  if (typeof value !== 'object') return String(value);
  // A model (ModelIdentifierField) or a LoRA ({lora: model, weight}).
  const model = isObject(value.lora) ? value.lora : value;
  const modelName = str(model.name) ?? str(model.key);
  if (modelName && ('base' in model || 'key' in model || 'hash' in model)) {
    const base = str(model.base);
    const weight = typeof value.weight === 'number' ? ` × ${value.weight}` : '';
    return `${modelName}${base ? ` (${base})` : ''}${weight}`;
  }
  if (str(value.image_name)) return String(value.image_name);
  if (str(value.video_id)) return String(value.video_id);
  if (str(value.board_id)) return `Board ${String(value.board_id)}`;
  if (typeof value.r === 'number' && typeof value.g === 'number' && typeof value.b === 'number') {
    return `rgba(${value.r}, ${value.g}, ${value.b}, ${typeof value.a === 'number' ? value.a : 1})`;
  }
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}…` : json;
}

/** A CSS colour for a ColorField value, for the swatch beside its chip; null when it is not one. */
export function swatchColor(value: JsonValue | undefined): string | null {
  if (!isObject(value) || typeof value.r !== 'number' || typeof value.g !== 'number' || typeof value.b !== 'number') return null;
  const a = typeof value.a === 'number' ? value.a : 255;
  // InvokeAI stores alpha 0..255 in ColorField.
  return `rgba(${value.r}, ${value.g}, ${value.b}, ${a > 1 ? a / 255 : a})`;
}
