import 'reflect-metadata';
import { loadSubgraphConfig } from '../kit/config';
import { runSubgraph, SubgraphApp } from '../kit/subgraph';
import { auditSubgraph } from './audit.subgraph';

void runSubgraph(new SubgraphApp(auditSubgraph, loadSubgraphConfig('audit', process.env)));
