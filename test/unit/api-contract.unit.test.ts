import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isInputObjectType, isInterfaceType, isObjectType, isUnionType, type GraphQLSchema } from 'graphql';

/**
 * The public API contract names what clients build on. Whatever part of it the graph serves
 * must be served with exactly the contract's shape: same field types, same arguments.
 */
const root = join(__dirname, '..', '..');
// The shared reference when it is beside the checkout; otherwise the copy kept in docs/.
const sharedContract = join(root, '..', 'shared', 'reference', 'api-contract.graphql');
const keptContract = join(root, 'docs', 'api-contract.graphql');
const contractPath = existsSync(sharedContract) ? sharedContract : keptContract;

function fieldSignatures(schema: GraphQLSchema): Map<string, string> {
  const out = new Map<string, string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const args = field.args.map((a) => `${a.name}: ${a.type}`).sort().join(', ');
        out.set(`${type.name}.${field.name}`, `(${args}): ${field.type}`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) out.set(`${type.name}.${field.name}`, `input ${field.type}`);
    } else if (isUnionType(type)) {
      out.set(type.name, `union ${type.getTypes().map((t) => t.name).sort().join(' | ')}`);
    }
  }
  return out;
}

describe('public API contract', () => {
  // The contract marks entities with @key; declare it so the contract parses on its own.
  const contract = fieldSignatures(buildSchema(`directive @key(fields: String!) repeatable on OBJECT\n${readFileSync(contractPath, 'utf8')}`));
  const ours = fieldSignatures(buildSchema(readFileSync(join(root, 'schema', 'api.graphql'), 'utf8')));

  it('keeps docs/api-contract.graphql identical to the contract', () => {
    expect(readFileSync(keptContract, 'utf8')).toBe(readFileSync(contractPath, 'utf8'));
  });

  it('serves every contract name it implements with the contract’s exact shape', () => {
    const mismatched = [...contract].filter(([name, signature]) => ours.has(name) && ours.get(name) !== signature).map(([name, signature]) => `${name}: contract ${signature}, served ${ours.get(name)}`);
    expect(mismatched).toEqual([]);
  });

  it('serves the parts of the contract this release covers', () => {
    const required = [
      'Query.me', 'Query.team', 'Query.auditLog', 'Mutation.signUp', 'Mutation.signIn', 'Mutation.signOut', 'Mutation.revokeSession',
      'Mutation.revokeAllSessions', 'Mutation.createTeam', 'Mutation.updateTeam', 'Subscription.creditBalanceChanged', 'User.email',
      'User.teams', 'User.sessions', 'Team.name', 'Team.members', 'Team.creditBalance', 'Team.auditLog', 'AuthResult',
      'Mutation.addPaymentMethod', 'Mutation.purchaseCredits', 'Mutation.setInvoicedSpendingLimit', 'Mutation.recordUsage', 'Team.paymentMethods',
      'PurchaseCreditsInput.idempotencyKey', 'UsageEventInput.requestId', 'RecordUsageResult.rejected', 'UsageRejection.code', 'PaymentMethod.country',
      'CreditPurchase.balance',
    ];
    expect(required.filter((name) => !ours.has(name))).toEqual([]);
  });
});
