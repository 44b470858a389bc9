import { describe, expect, it, vi } from 'vitest'
import type { IpcMainInvokeEvent } from 'electron'
import { desktopHandlers } from '../../main/app/desktop'
import { registerIpc, senderIs, type Handlers } from '../../main/app/ipc'
import { invokeContract } from '../../preload/contract'
import { createCoordinator } from '../../main/app/service'
import { FakeLauncher, fakeRunner, tempFiles } from './app/fakes'

vi.mock('electron', () => ({}))

const files = tempFiles()
const launcher = new FakeLauncher()
const service = createCoordinator({ ...files, launcher, runner: fakeRunner(), availableVerbs: ['backup', 'eject', 'restore-open'], log: () => undefined })

type Listener = (event: IpcMainInvokeEvent, arg: unknown) => Promise<unknown>

function fakeIpc() {
  const handlers = new Map<string, Listener>()
  return { handle: (c: string, l: Listener) => void handlers.set(c, l), handlers }
}

const handlers: Handlers = { ...service, ...desktopHandlers({ autostart: { enabled: async () => false, set: async () => undefined }, trayHost: () => true }), 'backup:start': vi.fn(async () => ({ accepted: true })) }

const page = 'file:///app/out/renderer/index.html'
const event = (over: Partial<{ id: number; url: string; parent: unknown }> = {}) =>
  ({ sender: { id: over.id ?? 7 }, senderFrame: { url: over.url ?? page, parent: over.parent ?? null } }) as unknown as IpcMainInvokeEvent

describe('IPC contract in main', () => {
  const ipc = fakeIpc()
  registerIpc(ipc, handlers, senderIs(() => 7, () => page))

  it('registers every channel of the contract', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.keys(invokeContract).sort())
  })

  it('passes a valid request to the handler', async () => {
    await expect(ipc.handlers.get('backup:start')!(event(), { drive: 'Samsung T7' })).resolves.toEqual({ accepted: true })
  })

  it('rejects a request that breaks the schema before any handler runs', async () => {
    const start = handlers['backup:start'] as ReturnType<typeof vi.fn>
    start.mockClear()
    await expect(ipc.handlers.get('backup:start')!(event(), { drive: 'a\nb' })).rejects.toThrow(/invalid request/)
    await expect(ipc.handlers.get('backup:start')!(event(), { drive: 'a', extra: 1 })).rejects.toThrow(/invalid request/)
    expect(start).not.toHaveBeenCalled()
  })

  it('refuses calls from another window, an iframe or a navigated page', async () => {
    const call = ipc.handlers.get('state:get')!
    await expect(call(event({ id: 8 }), undefined)).rejects.toThrow(/untrusted/)
    await expect(call(event({ parent: {} }), undefined)).rejects.toThrow(/untrusted/)
    await expect(call(event({ url: 'https://evil.example/' }), undefined)).rejects.toThrow(/untrusted/)
    await expect(call(event(), undefined)).resolves.toMatchObject({ configured: false, drives: [] })
  })

  it('rejects invalid input on every kind of call before it reaches the coordinator or the helper', async () => {
    const h = (c: string) => ipc.handlers.get(c)!
    await expect(h('restore:open')(event(), { drive: 'T7' })).rejects.toThrow(/invalid request/)
    await expect(h('restore:open')(event(), { drive: 'T7', passphrase: 'x'.repeat(513) })).rejects.toThrow(/invalid request/)
    await expect(h('setup:start')(event(), { disk: '/dev/sda', name: 'T7', confirm: 'sda' })).rejects.toThrow(/by-id/)
    await expect(h('diff:get')(event(), { dataset: '-rf /', from: 'a', to: 'b' })).rejects.toThrow(/invalid request/)
    await expect(h('history:list')(event(), { limit: 10_000 })).rejects.toThrow(/invalid request/)
    await expect(h('drive:eject')(event(), {})).rejects.toThrow(/invalid request/)
    await expect(h('run:cancel')(event(), { now: true })).rejects.toThrow(/invalid request/)
    expect(launcher.runs).toHaveLength(0)
  })

  it('validates replies too: a handler answering outside the contract fails in main, not in the window', async () => {
    const ipc2 = fakeIpc()
    registerIpc(ipc2, { ...handlers, 'state:get': async () => ({ configured: 'yes' }) as never }, () => true)
    await expect(ipc2.handlers.get('state:get')!(event(), undefined)).rejects.toThrow()
  })
})
