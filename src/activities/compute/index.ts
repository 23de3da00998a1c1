export * from './plugin-activities';
export { createPluginClientCache } from './client-cache';
export * from './queue-activities';
export * from './preflight';
