import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { BillingContext } from '../billing.context';
import { BillingTeamType } from '../balance/credit-balance.types';
import type { BillingInformationEntity } from './billing-information.entity';
import { BillingInformationInput, BillingInformationType } from './billing-information.types';

const view = (i: BillingInformationEntity): BillingInformationType => ({ legalName: i.legalName, address: i.address, country: i.country, taxId: i.taxId, updatedAt: i.updatedAt });

@Resolver(() => BillingInformationType)
export class BillingInformationResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => BillingInformationType, { description: "Sets who the team's invoices are made out to. Team admins only." })
  async setBillingInformation(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('input', () => BillingInformationInput) input: BillingInformationInput,
    @Ctx() ctx: BillingContext,
  ): Promise<BillingInformationType> {
    return view(await ctx.services.billingInformation.set(ctx.session, teamId, input));
  }
}

@Resolver(() => BillingTeamType)
export class TeamBillingInformationResolver {
  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => BillingInformationType, { nullable: true, description: 'Null until an admin sets it. Team admins only.' })
  async billingInformation(@Root() team: BillingTeamType, @Ctx() ctx: BillingContext): Promise<BillingInformationType | null> {
    ctx.services.billingInformation.assertCanManage(ctx.session, team.id);
    const info = await ctx.loaders.billingInformation.load(team.id);
    return info ? view(info) : null;
  }
}
