import 'reflect-metadata';
import { loadSubgraphConfig } from '../kit/config';
import { runSubgraph, SubgraphApp } from '../kit/subgraph';
import { identitySubgraph } from './identity.subgraph';

void runSubgraph(new SubgraphApp(identitySubgraph, loadSubgraphConfig('identity', process.env)));
