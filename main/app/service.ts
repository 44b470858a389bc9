// The app's state as the window sees it, and the handlers behind every IPC call. The tray-app issue
// replaces this placeholder with the real coordinator (config, drive watcher, privileged helper).
import type { AppState } from '../../preload/contract'
import type { Handlers } from './ipc'

export interface AppService extends Handlers {
  state(): AppState
  onChange(listener: (state: AppState) => void): () => void
}

export function createAppService(): AppService {
  const listeners = new Set<(state: AppState) => void>()
  const state: AppState = { configured: false, sources: [], drives: [], run: null, lastRun: null, restore: null }
  const no = async () => ({ accepted: false, reason: 'Not available yet.' })
  return {
    state: () => state,
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    'state:get': async () => state,
    'doctor:get': async () => [],
    'sources:list': async () => [],
    'sources:set': no,
    'backup:start': no,
    'run:cancel': async () => ({ accepted: false, reason: 'Nothing is running.' }),
    'drive:eject': no,
    'history:list': async () => [],
    'snapshots:list': async () => ({ source: [], drive: null }),
    'diff:get': async () => ({ entries: [] }),
    'disks:list': async () => [],
    'setup:start': no,
    'adopt:start': no,
    'scrub:start': no,
    'restore:open': no,
    'restore:file': no,
    'restore:close': no,
    'folder:choose': async () => null,
  }
}
