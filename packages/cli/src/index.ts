export type { CreatedProject } from './create.js';
export { createProject, listTemplates, templatesDirectory } from './create.js';
export type { Io } from './main.js';
export { main } from './main.js';
export type { Project, ProviderAvailability } from './runtime.js';
export { hasProvider, loadConfig, loadProject, prepareRuntime, providerAvailability, SCRIPTED_LABEL } from './runtime.js';
