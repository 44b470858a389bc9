// The bridge: a narrow, typed API instead of raw ipcRenderer. Requests are validated here too so a
// renderer bug fails loudly in the page instead of as a rejected call in main.
import { contextBridge, ipcRenderer } from 'electron'
import { API_KEY, eventContract, invokeContract, type BackupApi } from './contract'

const api: BackupApi = {
  async invoke(channel, request) {
    const spec = invokeContract[channel]
    const checked = spec.request.parse(request)
    return spec.response.parse(await ipcRenderer.invoke(channel, checked)) as never
  },
  on(channel, listener) {
    const schema = eventContract[channel]
    const handler = (_event: unknown, payload: unknown): void => {
      const parsed = schema.safeParse(payload)
      if (parsed.success) listener(parsed.data as never)
    }
    ipcRenderer.on(channel, handler)
    return () => ipcRenderer.removeListener(channel, handler)
  },
}

contextBridge.exposeInMainWorld(API_KEY, api)
