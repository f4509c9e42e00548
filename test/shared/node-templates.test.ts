// The shipped node templates against InvokeAI's schema facts and the 26 default workflows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  allTemplates,
  compareVersions,
  describeFieldType,
  fieldTitle,
  nodeIsOutdated,
  nodeTitle,
  templateFor,
  type NodeTemplate,
} from '../../shared/node-templates/index.js';
import { loadFixtures } from './helpers.js';

function template(type: string): NodeTemplate {
  const t = templateFor(type);
  if (!t) throw new Error(`no template for ${type}`);
  return t;
}

function input(type: string, name: string) {
  const field = template(type).inputs.find((i) => i.name === name);
  if (!field) throw new Error(`${type} has no input ${name}`);
  return field;
}

function output(type: string, name: string) {
  const field = template(type).outputs.find((o) => o.name === name);
  if (!field) throw new Error(`${type} has no output ${name}`);
  return field;
}

describe('node templates', () => {
  it('cover the 307 invocation types of the schema, each with a title, version and labelled fields', () => {
    const templates = allTemplates();
    expect(templates).toHaveLength(307);
    expect(new Set(templates.map((t) => t.type)).size).toBe(307);
    for (const t of templates) {
      expect(t.title, t.type).not.toBe('');
      expect(t.version, t.type).toMatch(/^\d+\.\d+\.\d+$/);
      expect(t.outputType, t.type).not.toBe('');
      for (const f of [...t.inputs, ...t.outputs]) {
        expect(f.title.trim(), `${t.type}.${f.name}`).not.toBe('');
        expect(f.type.name, `${t.type}.${f.name}`).not.toBe('');
      }
    }
  });

  it('skip the node attributes InvokeAI reserves (id, type, use_cache, is_intermediate, iterate.index)', () => {
    for (const t of allTemplates()) {
      const names = t.inputs.map((i) => i.name);
      expect(names, t.type).not.toContain('id');
      expect(names, t.type).not.toContain('type');
      expect(names, t.type).not.toContain('use_cache');
      expect(names, t.type).not.toContain('is_intermediate');
      expect(t.outputs.map((o) => o.name), t.type).not.toContain('type');
    }
    expect(template('iterate').inputs.map((i) => i.name)).toEqual(['collection']);
  });

  it('derive types, cardinalities, kinds, defaults, enums and bounds as InvokeAI does', () => {
    expect(input('denoise_latents', 'steps')).toMatchObject({
      title: 'Steps',
      type: { name: 'IntegerField', cardinality: 'SINGLE' },
      input: 'any',
      default: 10,
      exclusiveMinimum: 0,
    });
    expect(input('denoise_latents', 'cfg_scale').type).toEqual({ name: 'FloatField', cardinality: 'SINGLE_OR_COLLECTION' });
    expect(input('denoise_latents', 'positive_conditioning')).toMatchObject({
      type: { name: 'ConditioningField', cardinality: 'SINGLE_OR_COLLECTION' },
      input: 'connection',
      required: true,
    });
    // ui_type overrides the parsed type; the parsed one stays as originalType for stateful types.
    expect(input('denoise_latents', 'scheduler')).toMatchObject({
      type: { name: 'SchedulerField', cardinality: 'SINGLE', originalType: { name: 'EnumField', cardinality: 'SINGLE' } },
      default: 'euler',
    });
    expect(input('denoise_latents', 'denoising_start')).toMatchObject({ minimum: 0, maximum: 1, default: 0 });
    // An untitled field gets InvokeAI's start-cased name.
    expect(input('denoise_latents', 'noise').title).toBe('Noise');
    expect(input('collect', 'item').type).toEqual({ name: 'CollectionItemField', cardinality: 'SINGLE' });
    expect(input('collect', 'collection').type).toEqual({ name: 'CollectionField', cardinality: 'COLLECTION' });
    expect(output('iterate', 'item').type.name).toBe('CollectionItemField');
    expect(output('main_model_loader', 'vae').type).toEqual({ name: 'VAEField', cardinality: 'SINGLE' });
    expect(output('integer_generator', 'integers').type).toMatchObject({ cardinality: 'COLLECTION', batch: true });
    expect(input('integer_batch', 'integers').type).toMatchObject({ cardinality: 'COLLECTION', batch: true });
    // Node-level fields InvokeAI keeps as inputs: the board (direct) and the metadata (connection).
    expect(input('l2i', 'board')).toMatchObject({ type: { name: 'BoardField' }, input: 'direct', default: 'auto' });
    expect(input('l2i', 'metadata')).toMatchObject({ type: { name: 'MetadataField' }, input: 'connection' });
    // Stateless types only connect, whatever `input` the schema gives.
    for (const t of allTemplates()) {
      for (const i of t.inputs) {
        if (['LatentsField', 'ConditioningField', 'UNetField', 'VAEField', 'CLIPField'].includes(i.type.name)) {
          expect(i.input, `${t.type}.${i.name}`).toBe('connection');
          expect(i.default, `${t.type}.${i.name}`).toBeUndefined();
        }
      }
    }
    const enumField = template('img_resize').inputs.find((i) => i.type.name === 'EnumField');
    expect(enumField?.enum?.length).toBeGreaterThan(1);
    expect(enumField?.enum).toContain(enumField?.default);
  });

  it('list inputs in InvokeAI display order: unordered fields first, then by ui_order', () => {
    const names = template('denoise_latents').inputs.map((i) => i.name);
    const ordered = template('denoise_latents').inputs.filter((i) => i.uiOrder !== undefined);
    expect(ordered.map((i) => i.uiOrder)).toEqual([...ordered.map((i) => i.uiOrder)].sort((a, b) => a! - b!));
    expect(names.indexOf('steps')).toBeLessThan(names.indexOf('positive_conditioning'));
    expect(names.indexOf('positive_conditioning')).toBeLessThan(names.indexOf('negative_conditioning'));
  });

  it('know every field that the nodes of the 26 default workflows carry, except those dropped by a newer node version', () => {
    const fixtures = loadFixtures();
    expect(fixtures).toHaveLength(26);
    const unknownTypes = new Set<string>();
    for (const { file, json } of fixtures) {
      for (const node of json['nodes'] as Array<{ type: string; data: { type: string; inputs: Record<string, unknown> } }>) {
        if (node.type !== 'invocation') continue;
        const t = templateFor(node.data.type);
        if (!t) {
          unknownTypes.add(node.data.type);
          continue;
        }
        // FLUX Denoise 3.0.0 (two defaults) still carries board and metadata, which 4.x no longer has.
        if (node.data.type === 'flux_denoise' && (node.data as { version?: string }).version === '3.0.0') continue;
        for (const name of Object.keys(node.data.inputs)) {
          expect(t.inputs.some((i) => i.name === name), `${file}: ${node.data.type}.${name}`).toBe(true);
        }
      }
    }
    expect([...unknownTypes].sort()).toEqual(['canny_image_processor', 'midas_depth_image_processor']);
  });

  it('ship InvokeAI’s licence notice next to the data', () => {
    const notice = readFileSync(new URL('../../shared/node-templates/NOTICE.md', import.meta.url), 'utf8');
    expect(notice).toContain('Apache License, Version 2.0');
    expect(notice).toContain('Invoke and the InvokeAI contributors');
  });
});

describe('template helpers', () => {
  it('compare versions numerically and call older nodes outdated', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBe(1);
    expect(compareVersions('1.2', '1.2.0')).toBe(0);
    expect(compareVersions('1.5.3', '1.6.0')).toBe(-1);
    const denoise = template('denoise_latents');
    expect(nodeIsOutdated({ type: 'denoise_latents', version: '1.5.3' }, denoise)).toBe(true);
    expect(nodeIsOutdated({ type: 'denoise_latents', version: denoise.version }, denoise)).toBe(false);
    expect(nodeIsOutdated({ type: 'denoise_latents', version: '9.0.0' }, denoise)).toBe(false);
    expect(nodeIsOutdated({ type: 'denoise_latents' }, denoise)).toBe(true);
  });

  it('title nodes and fields by label, then template title, then raw name', () => {
    expect(nodeTitle({ type: 'denoise_latents', label: 'My denoise' })).toBe('My denoise');
    expect(nodeTitle({ type: 'denoise_latents', label: '' })).toBe('Denoise - SD1.5, SDXL');
    expect(nodeTitle({ type: 'my_custom_node' })).toBe('my_custom_node');
    const steps = input('denoise_latents', 'steps');
    expect(fieldTitle('steps', steps, { label: 'How many' })).toBe('How many');
    expect(fieldTitle('steps', steps, { label: '' })).toBe('Steps');
    expect(fieldTitle('mystery', undefined)).toBe('mystery');
  });

  it('describe types in plain words', () => {
    expect(describeFieldType({ name: 'IntegerField', cardinality: 'SINGLE' })).toBe('an integer');
    expect(describeFieldType({ name: 'VAEField', cardinality: 'SINGLE' })).toBe('a VAE');
    expect(describeFieldType({ name: 'ImageField', cardinality: 'COLLECTION' })).toBe('a collection of images');
    expect(describeFieldType({ name: 'ConditioningField', cardinality: 'SINGLE_OR_COLLECTION' })).toBe(
      'conditioning or a collection of conditionings',
    );
  });
});
