// The colour of a field's handle and edge, per field type, after InvokeAI's idea: one hue per kind of
// value, so that a glance tells which handles can meet (the same colour, or a number into a number).
// The hues are ours (picked to be told apart on both themes), not InvokeAI's exact palette.
import type { FieldType } from '../../../shared/node-templates/index.js';

const COLORS: Record<string, string> = {
  IntegerField: '#e05252',
  FloatField: '#e88a2d',
  StringField: '#d4b106',
  BooleanField: '#3fa34d',
  EnumField: '#3b82f6',
  SchedulerField: '#3b82f6',
  ImageField: '#9b59d0',
  VideoField: '#9b59d0',
  BoardField: '#9b59d0',
  LatentsField: '#e0559b',
  DenoiseMaskField: '#b83232',
  TensorField: '#c2448a',
  ConditioningField: '#17a2b8',
  ColorField: '#f08fc0',
  MetadataField: '#8a8f98',
  MetadataItemField: '#8a8f98',
  ModelIdentifierField: '#159a8c',
  LoRAField: '#159a8c',
  ControlField: '#1f9e89',
  IPAdapterField: '#1f9e89',
  T2IAdapterField: '#1f9e89',
  UNetField: '#d9534f',
  TransformerField: '#d9534f',
  VAEField: '#4f7fe0',
  CLIPField: '#4caf50',
  T5EncoderField: '#4caf50',
  AnyField: '#a0a4ab',
  CollectionField: '#a0a4ab',
  CollectionItemField: '#a0a4ab',
};

/** Families the schema keeps adding to (FluxConditioningField, WanTransformerField…), by name ending. */
const FAMILIES: Array<[RegExp, string]> = [
  [/ConditioningField$/, '#17a2b8'],
  [/TransformerField$/, '#d9534f'],
  [/EncoderField$/, '#4caf50'],
  [/(ControlNet|Control|Adapter|LoRA)Field$/, '#1f9e89'],
];

/** Handle and edge colour for a type (by its name; an unknown type is neutral grey). */
export function fieldColor(type: FieldType | string | undefined): string {
  const name = typeof type === 'string' ? type : type?.name;
  if (!name) return NEUTRAL;
  // Own keys only: a name such as "constructor" must not reach Object.prototype.
  return (Object.hasOwn(COLORS, name) ? COLORS[name] : undefined) ?? FAMILIES.find(([re]) => re.test(name))?.[1] ?? NEUTRAL;
}

/** The colour of fields whose type is not known (unknown node types). */
export const NEUTRAL = '#a0a4ab';
