// The window's only way out: the preload's typed API, handed down through context so views stay testable.
import { createContext, useCallback, useContext, useEffect, useState } from 'react'
import type { Accepted, AppState, BackupApi } from '../../preload/contract'

export const ApiContext = createContext<BackupApi | null>(null)

export function useApi(): BackupApi {
  const api = useContext(ApiContext)
  if (!api) throw new Error('useApi outside <ApiContext>')
  return api
}

/** The clock the views read ages from; tests pin it. */
export const NowContext = createContext<() => Date>(() => new Date())
export const useNow = (): Date => useContext(NowContext)()

export function useAppState(api: BackupApi): { state: AppState | null; error: string | null } {
  const [state, setState] = useState<AppState | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    let pushed = false
    // Subscribe first, so a change between the read and the subscription is not lost.
    const off = api.on('state:changed', (s) => {
      pushed = true
      if (live) setState(s)
    })
    api.invoke('state:get', undefined).then(
      (s) => live && !pushed && setState(s),
      (e: unknown) => live && setError(message(e)),
    )
    return () => {
      live = false
      off()
    }
  }, [api])
  return { state, error }
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * One user action that asks main for something: tracks "asking…", and keeps a refusal or failure to show
 * next to the button that caused it.
 */
export function useAction(): { busy: boolean; refusal: string | null; run: (call: () => Promise<Accepted>, fallback: string) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false)
  const [refusal, setRefusal] = useState<string | null>(null)
  const run = useCallback(async (call: () => Promise<Accepted>, fallback: string) => {
    setBusy(true)
    setRefusal(null)
    try {
      const answer = await call()
      if (!answer.accepted) setRefusal(answer.reason ?? fallback)
      return answer.accepted
    } catch (e) {
      setRefusal(message(e))
      return false
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, refusal, run, clear: useCallback(() => setRefusal(null), []) }
}

/** A request whose answer a view shows (lists, diffs): loads on mount and when `deps` change. */
export function useLoad<T>(load: (() => Promise<T>) | null, deps: readonly unknown[]): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    if (!load) return
    let live = true
    setLoading(true)
    setError(null)
    load().then(
      (d) => {
        if (!live) return
        setData(d)
        setLoading(false)
      },
      (e: unknown) => {
        if (!live) return
        setError(message(e))
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [...deps, tick])
  return { data, error, loading, reload: useCallback(() => setTick((t) => t + 1), []) }
}
