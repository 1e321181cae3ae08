import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObjectType, parse, type ObjectTypeDefinitionNode } from 'graphql';
import { ACCESS_EXTENSION } from '../../subgraphs/kit/access';
import { subgraphNames } from '../../subgraphs/kit/config';
import { buildAnnotatedSchema } from '../../subgraphs/kit/federation';
import { subgraphs } from '../../subgraphs';

/** Entity types (with @key) of a subgraph: any id can reach their fields through `_entities`. */
function entityTypes(name: string): Set<string> {
  const sdl = parse(readFileSync(join(__dirname, '..', '..', 'schema', `${name}.graphql`), 'utf8'));
  return new Set(
    sdl.definitions
      .filter((d): d is ObjectTypeDefinitionNode => d.kind === 'ObjectTypeDefinition' || d.kind === 'ObjectTypeExtension')
      .filter((d) => d.directives?.some((dir) => dir.name.value === 'key'))
      .map((d) => d.name.value),
  );
}

describe.each(subgraphNames)('%s subgraph', (name) => {
  it('declares who may call every operation and read every entity field', async () => {
    const schema = await buildAnnotatedSchema(subgraphs[name].schema);
    const entities = entityTypes(name);
    expect(entities.size).toBeGreaterThan(0);
    const undeclared: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type)) continue;
      const isRoot = ['Query', 'Mutation', 'Subscription'].includes(type.name);
      if (!isRoot && !entities.has(type.name)) continue;
      for (const field of Object.values(type.getFields())) {
        if (!isRoot && field.name === 'id') continue; // the key itself reveals nothing
        if (!field.extensions?.[ACCESS_EXTENSION]) undeclared.push(`${type.name}.${field.name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});
