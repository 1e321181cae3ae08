import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { BillingContext } from '../billing.context';
import { money } from '../balance/credit-balance.view';
import { TokenizeResultType } from './tokenizer.types';

@Resolver(() => TokenizeResultType)
export class TokenizerResolver {
  @Allow(Access.SignedIn)
  @Query(() => TokenizeResultType, { description: "Splits text into the model's tokens and estimates what a prompt of it would cost. Signed-in users." })
  tokenizeText(@Arg('model', () => String) model: string, @Arg('text', () => String) text: string, @Ctx() ctx: BillingContext): TokenizeResultType {
    const r = ctx.services.tokenizer.tokenize(model, text);
    return { ...r, estimatedPromptCost: money(r.estimatedPromptCostTicks) };
  }
}
