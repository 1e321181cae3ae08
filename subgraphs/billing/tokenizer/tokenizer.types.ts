import { Field, Int, ObjectType } from 'type-graphql';
import { MoneyType } from '../balance/credit-balance.types';

@ObjectType('Token')
export class TokenType {
  @Field(() => Int)
  id: number;

  @Field(() => String, { description: 'The text of the token; a token holding part of a multi-byte character shows U+FFFD for it.' })
  text: string;
}

@ObjectType('TokenizeResult')
export class TokenizeResultType {
  @Field(() => String)
  model: string;

  @Field(() => [TokenType])
  tokens: TokenType[];

  @Field(() => Int, { description: 'Tokens in the text, as the tokenizer counts them.' })
  tokenCount: number;

  @Field(() => Int, { description: 'Tokens the model adds to every prompt; billed, but not in the text.' })
  predefinedPromptTokens: number;

  @Field(() => Int, { description: 'tokenCount + predefinedPromptTokens: the prompt tokens a request with this text is billed for.' })
  billedPromptTokens: number;

  @Field(() => MoneyType, { description: 'What a prompt of this text would cost, pre-defined tokens included, without caching or completion.' })
  estimatedPromptCost: MoneyType;
}
