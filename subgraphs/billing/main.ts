import 'reflect-metadata';
import { loadSubgraphConfig } from '../kit/config';
import { runSubgraph, SubgraphApp } from '../kit/subgraph';
import { billingSubgraph } from './billing.subgraph';

void runSubgraph(new SubgraphApp(billingSubgraph, loadSubgraphConfig('billing', process.env)));
