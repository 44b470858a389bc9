// The app's state as the window sees it. The engine issue replaces the not-yet-built actions with
// real pipelines; until then they answer with an honest reason instead of pretending to work.
import type { AppState } from '../../preload/contract'
import type { Handlers } from './ipc'

export interface AppService extends Handlers {
  state(): AppState
  onChange(listener: (state: AppState) => void): () => void
}

export function createAppService(): AppService {
  const listeners = new Set<(state: AppState) => void>()
  const state: AppState = { configured: false, drives: [], run: null }
  const notBuilt = async () => ({ accepted: false, reason: 'No backup drive is configured yet.' })
  return {
    state: () => state,
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    'state:get': async () => state,
    'backup:start': notBuilt,
    'run:cancel': async () => ({ accepted: false, reason: 'Nothing is running.' }),
    'drive:eject': notBuilt,
  }
}
