// Every workflow the Merak workers run; the bundler starts here.
export { scenarioWorkflow } from './scenario';
export { nodeWorkflow } from './node';
export { nodeGroupWorkflow } from './node-group';
