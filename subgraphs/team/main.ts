import 'reflect-metadata';
import { loadSubgraphConfig } from '../kit/config';
import { runSubgraph, SubgraphApp } from '../kit/subgraph';
import { teamSubgraph } from './team.subgraph';

void runSubgraph(new SubgraphApp(teamSubgraph, loadSubgraphConfig('team', process.env)));
