// The app service behind every IPC call is the coordinator (main/app/coordinator.ts); this module keeps
// the name the IPC layer and tests import.
export { createCoordinator, type AppService, type Coordinator, type CoordinatorDeps } from './coordinator'
