#!/usr/bin/env node
// Extracts from InvokeAI's published OpenAPI schema the workflow and auth paths and every component
// they reference (transitively), into test/invokeai/invokeai-openapi-subset.json, the copy the
// conformance test (openapi-conformance.test.ts) reads. Run again when the reference schema changes:
//
//   node test/invokeai/extract-openapi.mjs [path/to/invokeai-openapi.json]
//
// Default input: ../shared/reference/invokeai-openapi.json (beside the project). The output keeps the
// schema's own text (keys, order, descriptions) and says where it came from, with InvokeAI's licence.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const input = process.argv[2] ?? join(here, '..', '..', '..', 'shared', 'reference', 'invokeai-openapi.json');
const output = join(here, 'invokeai-openapi-subset.json');
const PATH_PREFIXES = ['/api/v1/workflows/', '/api/v1/auth/'];
const REF_PREFIX = '#/components/schemas/';

const full = JSON.parse(readFileSync(input, 'utf8'));
const paths = Object.fromEntries(Object.entries(full.paths).filter(([path]) => PATH_PREFIXES.some((p) => path.startsWith(p))));

/** Every component name referenced from `value`, followed through the components themselves. */
function referenced(value, found = new Set()) {
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) {
          const name = child.slice(REF_PREFIX.length);
          if (!found.has(name)) {
            if (!(name in full.components.schemas)) throw new Error(`${child} is not in the schema`);
            found.add(name);
            stack.push(full.components.schemas[name]);
          }
        } else stack.push(child);
      }
    }
  }
  return found;
}

const names = [...referenced(paths)].sort();
const subset = {
  openapi: full.openapi,
  info: {
    ...full.info,
    'x-source':
      "Extracted by test/invokeai/extract-openapi.mjs from InvokeAI's published OpenAPI schema (invoke-ai/InvokeAI at commit 8e71a8a519, " +
      'file invokeai/frontend/web/openapi.json): the /api/v1/workflows/ and /api/v1/auth/ paths and the components they reference, unchanged.',
    'x-license': 'Apache-2.0, © Invoke and the InvokeAI contributors (https://github.com/invoke-ai/InvokeAI/blob/main/LICENSE)',
  },
  paths,
  components: {
    schemas: Object.fromEntries(names.map((name) => [name, full.components.schemas[name]])),
    ...(full.components.securitySchemes ? { securitySchemes: full.components.securitySchemes } : {}),
  },
};
writeFileSync(output, JSON.stringify(subset, null, 2) + '\n');
console.log(`${Object.keys(paths).length} paths, ${names.length} components -> ${output}`);
