import {
  getNamedType,
  GraphQLError,
  isListType,
  isNonNullType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type GraphQLOutputType,
  type ValidationContext,
} from 'graphql';

export const LIST_SIZE_CAP = 100;
/** A list with no `first`/`limit` is assumed this long (a page). */
const DEFAULT_LIST_SIZE = 10;

function isList(type: GraphQLOutputType | null | undefined): boolean {
  if (!type) return false;
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** The size a field asks for with `first`/`limit`: the literal (capped), the cap for a variable, or none. */
function requestedSize(node: FieldNode): number | undefined {
  const arg = node.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
  if (!arg) return undefined;
  if (arg.value.kind === Kind.INT) return Math.max(1, Math.min(LIST_SIZE_CAP, Number(arg.value.value)));
  return LIST_SIZE_CAP;
}

const costs = new WeakMap<import('graphql').DocumentNode, number>();

/** The cost validation computed for a document (1 when it was not validated here). */
export const documentCost = (document: import('graphql').DocumentNode) => costs.get(document) ?? 1;

/**
 * Estimated cost: every field costs 1, times the sizes of the lists it sits in (from `first` or
 * `limit`, capped at 100). Fragments are expanded where they are spread. Refused above `maxCost`.
 */
export function costLimitRule(maxCost: number, exposeLimits: boolean) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(context.getDocument().definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    return {
      OperationDefinition(operation) {
        const rootType = context.getSchema().getRootType(operation.operation);
        if (!rootType) return;
        let total = 0;
        // `sized`: the enclosing field already set the page size (a connection's `first`), so the
        // list right inside it (its `edges`) is that page, not another multiplier.
        const visit = (selections: readonly import('graphql').SelectionNode[], parent: import('graphql').GraphQLNamedType, multiplier: number, seen: Set<string>, sized: boolean) => {
          for (const selection of selections) {
            if (total > maxCost) return;
            if (selection.kind === Kind.FIELD) {
              total += multiplier;
              if (!selection.selectionSet) continue;
              const fieldDef = 'getFields' in parent ? (parent as import('graphql').GraphQLObjectType).getFields()[selection.name.value] : undefined;
              const requested = requestedSize(selection);
              let next = multiplier;
              let childSized = false;
              if (requested !== undefined) {
                next = multiplier * requested;
                childSized = !isList(fieldDef?.type);
              } else if (isList(fieldDef?.type) && !sized) {
                next = multiplier * DEFAULT_LIST_SIZE;
              }
              const child = fieldDef ? getNamedType(fieldDef.type) : parent;
              visit(selection.selectionSet.selections, child, next, seen, childSized);
            } else if (selection.kind === Kind.INLINE_FRAGMENT) {
              const typed = selection.typeCondition ? context.getSchema().getType(selection.typeCondition.name.value) : parent;
              visit(selection.selectionSet.selections, typed ?? parent, multiplier, seen, sized);
            } else {
              const name = selection.name.value;
              const fragment = fragments.get(name);
              if (!fragment || seen.has(name)) continue; // cycles are reported by GraphQL's own rule
              const typed = context.getSchema().getType(fragment.typeCondition.name.value) ?? parent;
              visit(fragment.selectionSet.selections, typed, multiplier, new Set([...seen, name]), sized);
            }
          }
        };
        visit(operation.selectionSet.selections, rootType, 1, new Set(), false);
        costs.set(context.getDocument(), Math.max(costs.get(context.getDocument()) ?? 0, total));
        if (total > maxCost) {
          context.reportError(
            new GraphQLError(exposeLimits ? `Query is too expensive: cost over ${maxCost}` : 'Query is too expensive', {
              nodes: [operation],
              extensions: { code: 'QUERY_TOO_EXPENSIVE' },
            }),
          );
        }
      },
    };
  };
}
