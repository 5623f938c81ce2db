/**
 * `npm run docs`: writes the OpenAPI document generated from the route table
 * and its schemas to docs/openapi.json. A unit test fails when the committed
 * file differs from what the code generates, so run this after changing a route
 * or a schema and commit the result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOpenApiDocument } from './openapi';

export const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');

export function renderOpenApiFile(): string {
  return `${JSON.stringify(createOpenApiDocument(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, renderOpenApiFile());
  console.log(`[docs] wrote ${OPENAPI_FILE}`);
}
