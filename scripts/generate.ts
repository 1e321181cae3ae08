/**
 * The schema pipeline: emits each subgraph's SDL, composes the supergraph, and generates typed
 * test documents. With --check it writes nothing and fails when a committed file differs.
 */
import 'reflect-metadata';
import { generate } from '@graphql-codegen/cli';
import { composeServices } from '@theguild/federation-composition';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join, relative } from 'node:path';
import { Kind, parse, print, visit, type DocumentNode } from 'graphql';
import codegenConfig from '../codegen';
import { defaultPorts, subgraphNames } from '../subgraphs/kit/config';
import { protectedFields, renderAccessMatrix, type ProtectedField } from '../subgraphs/kit/access-matrix';
import { buildAnnotatedSchema, buildFederatedSchema, printSubgraphSdl } from '../subgraphs/kit/federation';
import { subgraphs } from '../subgraphs';

const root = join(__dirname, '..');
const check = process.argv.includes('--check');

async function main(): Promise<void> {
  const outputs = new Map<string, string>();
  const services = [];
  for (const name of subgraphNames) {
    const sdl = printSubgraphSdl(await buildFederatedSchema(subgraphs[name].schema));
    outputs.set(`schema/${name}.graphql`, sdl);
    services.push({ name, typeDefs: parse(sdl), url: `http://127.0.0.1:${defaultPorts[name]}/graphql` });
  }
  const guarded: ProtectedField[] = [];
  for (const name of subgraphNames) guarded.push(...protectedFields(name, await buildAnnotatedSchema(subgraphs[name].schema)));
  outputs.set('docs/authorization.md', renderAccessMatrix(guarded));

  const composed = composeServices(services);
  if (composed.errors?.length) {
    for (const error of composed.errors) console.error(`composition error: ${error.message}`);
    process.exit(1);
  }
  outputs.set('schema/supergraph.graphql', composed.supergraphSdl!.trim() + '\n');
  outputs.set('schema/api.graphql', composed.publicSdl!.trim() + '\n');

  // Codegen reads the public schema from disk, so write it first (to a temporary path in check mode).
  const apiPath = check ? join(root, 'schema/.api.check.graphql') : join(root, 'schema/api.graphql');
  writeFileSync(apiPath, outputs.get('schema/api.graphql')!);
  try {
    const files = await generate({ ...codegenConfig, cwd: root, schema: relative(root, apiPath) }, false);
    for (const file of files) outputs.set(relative(root, join(root, file.filename)), file.content);
  } finally {
    if (check) require('node:fs').rmSync(apiPath, { force: true });
  }

  // Trusted documents: every operation the clients in this repository send, by SHA-256 of its text.
  const trusted: Record<string, string> = {};
  for (const file of readdirSync(join(root, 'test/operations')).filter((f) => f.endsWith('.graphql')).sort()) {
    const document = parse(readFileSync(join(root, 'test/operations', file), 'utf8'));
    const fragments = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    for (const operation of document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
      // Only the fragments this operation uses, directly or through other fragments (as codegen does).
      const used = new Set<string>();
      const collect = (node: unknown) => {
        visit(node as DocumentNode, {
          FragmentSpread(spread) {
            if (used.has(spread.name.value)) return;
            used.add(spread.name.value);
            const fragment = fragments.get(spread.name.value);
            if (fragment) collect(fragment);
          },
        });
      };
      collect(operation);
      const text = print({ kind: Kind.DOCUMENT, definitions: [operation, ...[...used].flatMap((n) => (fragments.has(n) ? [fragments.get(n)!] : []))] });
      trusted[createHash('sha256').update(text).digest('hex')] = text;
    }
  }
  outputs.set('schema/trusted-documents.json', JSON.stringify(Object.fromEntries(Object.entries(trusted).sort()), null, 2) + '\n');

  const drifted: string[] = [];
  for (const [path, content] of outputs) {
    const full = join(root, path);
    const current = existsSync(full) ? readFileSync(full, 'utf8') : undefined;
    if (current === content) continue;
    if (check) drifted.push(path);
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  if (check && drifted.length) {
    console.error(`Generated files differ from the code: ${drifted.join(', ')}\nRun \`npm run generate\` and commit the result.`);
    process.exit(1);
  }
  console.log(check ? 'Generated files are up to date.' : `Generated ${outputs.size} files.`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
